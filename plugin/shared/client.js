/*
 * factcheck client: calls the service's REST API (POST /flag, GET /articles/{id}, ...).
 *
 * Shared by the browser extension (loaded by the service worker) and the desk page
 * (service/api/desk/client.js is a link to this file). Plain JavaScript, no DOM: it runs in a service worker.
 *
 * Offsets: the service counts characters in Unicode code points (Python), the browser in
 * UTF-16 code units. Everything this file returns is in UTF-16 units, ready for
 * String.prototype.slice and DOM ranges.
 */
(function (root) {
  "use strict";

  /** Characters per /flag request; a longer text is split at paragraph or sentence ends. */
  const CHUNK_CHARS = 20000;
  /** Longest text checked at once (the service's default max_text_chars). */
  const MAX_TEXT_CHARS = 200000;
  const LABELS = ["contradiction", "entailment"];

  class ServiceError extends Error {
    /**
     * @param {"unreachable"|"auth"|"too-long"|"invalid"|"server"|"config"} kind
     * @param {string} message  one sentence for a journalist, saying what to do
     * @param {number} [status] HTTP status, when there was an answer
     */
    constructor(kind, message, status) {
      super(message);
      this.name = "ServiceError";
      this.kind = kind;
      this.status = status || 0;
    }
  }

  /** The service's base URL without a trailing slash; throws a "config" error if invalid. */
  function normaliseBase(url) {
    let parsed;
    try {
      parsed = new URL(String(url || "").trim());
    } catch (_) {
      throw new ServiceError("config", `"${url}" is not a URL. Enter the service's address, e.g. http://127.0.0.1:8000.`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new ServiceError("config", "The service URL must start with http:// or https://.");
    }
    return (parsed.origin + parsed.pathname).replace(/\/+$/, "");
  }

  /** The code-point-to-UTF-16 index table of `text`, or null when the two agree. */
  function utf16Table(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return null;
    const table = [];
    let unit = 0;
    for (const ch of text) {
      table.push(unit);
      unit += ch.length;
    }
    table.push(unit);
    return table;
  }

  function toUtf16(table, codePoint) {
    if (table === null) return codePoint;
    return table[Math.min(codePoint, table.length - 1)];
  }

  /**
   * Pieces of at most `size` characters covering `text`, each {start, text}; a piece ends
   * after a blank line, a line end, a sentence end or a space when it can, never inside a
   * surrogate pair. Offsets found in a piece + its start = offsets in the text.
   */
  function chunkText(text, size = CHUNK_CHARS) {
    const pieces = [];
    let start = 0;
    while (text.length - start > size) {
      const window = text.slice(start, start + size);
      let cut = -1;
      for (const pattern of [/\n\s*\n/g, /\n/g, /[.!?]["'”’)\]]*\s/g, /\s/g]) {
        let match;
        let last = -1;
        pattern.lastIndex = 0;
        while ((match = pattern.exec(window)) !== null) {
          last = match.index + match[0].length;
          if (match[0].length === 0) pattern.lastIndex += 1;
        }
        if (last > size / 2) {
          cut = last;
          break;
        }
      }
      if (cut <= 0) {
        cut = size;
        const code = text.charCodeAt(start + cut - 1);
        if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
      }
      pieces.push({ start, text: text.slice(start, start + cut) });
      start += cut;
    }
    pieces.push({ start, text: text.slice(start) });
    return pieces;
  }

  function detailMessage(body) {
    if (!body) return "";
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) {
      return body.detail.map((d) => d.msg || "").filter(Boolean).join("; ");
    }
    return "";
  }

  /** The ServiceError for an HTTP answer that is not 2xx. */
  function errorFor(base, status, body) {
    const detail = detailMessage(body);
    if (status === 401) {
      return new ServiceError("auth", "The factcheck service needs an API key: enter it in the plugin's options (or the desk's key field).", status);
    }
    if (status === 403) {
      return new ServiceError("auth", "The factcheck service refused the API key: check the key in the plugin's options (or the desk's key field).", status);
    }
    if (status === 413 || /characters long|too long|limit is/i.test(detail)) {
      return new ServiceError("too-long", `The text is too long for the service${detail ? ` (${detail})` : ""}. Check a selection instead.`, status);
    }
    if (status === 404) {
      return new ServiceError("invalid", `${base} answered 404: is it a factcheck service? Check the service URL.`, status);
    }
    if (status >= 500) {
      return new ServiceError("server", `The factcheck service failed (HTTP ${status}); try again, or tell whoever runs it.`, status);
    }
    return new ServiceError("invalid", `The factcheck service did not accept the request (HTTP ${status}${detail ? `: ${detail}` : ""}).`, status);
  }

  /**
   * One JSON request to the service. Sends nothing but the body and the optional key, to
   * `base` only; never cookies.
   * @returns {Promise<any>} the parsed JSON answer
   */
  async function request(base, path, { method = "GET", body, apiKey, accept = "application/json", signal } = {}) {
    const headers = { Accept: accept };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (apiKey) headers["X-API-Key"] = apiKey;
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        redirect: "error",
        signal,
      });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ServiceError("unreachable", `The factcheck service at ${base} cannot be reached. Is it running, and is the service URL in the options right?`);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) throw errorFor(base, response.status, data);
    if (data === null) {
      throw new ServiceError("invalid", `${base} did not answer with JSON: is it a factcheck service? Check the service URL.`, response.status);
    }
    return data;
  }

  /** Offsets of one /flag answer (for `piece`) moved into the whole text, in UTF-16 units. */
  function mapFlags(flags, piece) {
    const table = utf16Table(piece.text);
    return flags.map((flag) => ({
      ...flag,
      start: piece.start + toUtf16(table, flag.start),
      end: piece.start + toUtf16(table, flag.end),
    }));
  }

  /**
   * The flagged sentences of `text`: POST /flag once per piece of at most `chunkChars`
   * characters, offsets mapped back into `text` (UTF-16 units, so text.slice(start, end)
   * is the sentence).
   * @returns {Promise<{flagged: object[], model: object|null, corpus_version: string|null, requests: number}>}
   */
  async function flagText(base, text, { apiKey, title, chunkChars = CHUNK_CHARS, maxChars = MAX_TEXT_CHARS, signal } = {}) {
    if (text.length > maxChars) {
      throw new ServiceError("too-long", `The text is too long: ${text.length.toLocaleString("en")} characters, and factcheck checks at most ${maxChars.toLocaleString("en")} at a time. Select a part of it and check the selection.`);
    }
    const result = { flagged: [], model: null, corpus_version: null, requests: 0 };
    for (const piece of chunkText(text, chunkChars)) {
      if (!piece.text.trim()) continue;
      const body = { text: piece.text };
      if (title) body.title = String(title).slice(0, 500);
      const answer = await request(base, "/flag", { method: "POST", body, apiKey, signal });
      result.requests += 1;
      result.model = answer.model;
      result.corpus_version = answer.corpus_version;
      result.flagged.push(...mapFlags(answer.flagged || [], piece));
    }
    return result;
  }

  /** Title, date, outlet and URL of each article id, from GET /articles/{id}; ids that fail are left out. */
  async function articleDetails(base, ids, { apiKey, signal } = {}) {
    const details = {};
    await Promise.all(
      [...new Set(ids)].map(async (id) => {
        try {
          const a = await request(base, `/articles/${encodeURIComponent(id)}`, { apiKey, signal });
          details[id] = { id, title: a.title, published: a.published, outlet: a.outlet, url: a.url, source: a.source };
        } catch (err) {
          if (err && err.name === "AbortError") throw err;
        }
      }),
    );
    return details;
  }

  /** The flags a reader asked for: the labels in `labels`, at least `minProbability`. */
  function filterFlags(flags, { labels = LABELS, minProbability = 0 } = {}) {
    return flags.filter((f) => labels.includes(f.label) && f.probability >= minProbability);
  }

  /** Code point offsets of the service (e.g. evidence start/end) as UTF-16 offsets in `text`. */
  function utf16Offsets(text, start, end) {
    const table = utf16Table(text);
    return [toUtf16(table, start), toUtf16(table, end)];
  }

  /** Where the desk page shows an article, scrolled to the characters start..end. */
  function deskArticleUrl(base, articleId, start, end) {
    const at = start === undefined ? "" : `?start=${start}&end=${end}`;
    return `${base}/#/articles/${encodeURIComponent(articleId)}${at}`;
  }

  root.FactcheckClient = Object.freeze({
    CHUNK_CHARS,
    MAX_TEXT_CHARS,
    LABELS,
    ServiceError,
    normaliseBase,
    chunkText,
    request,
    errorFor,
    flagText,
    articleDetails,
    filterFlags,
    utf16Offsets,
    deskArticleUrl,
  });
})(globalThis);

/*
 * The desk page (GET /): check a draft with the plugin's highlights and cards, check a
 * claim (verdict, evidence, ClaimReview JSON-LD), browse the corpus contradictions by
 * article and speaker, and read each article with its claims. Talks to this origin's API
 * only; client.js and ui.js are the plugin's own files.
 */
/* global FactcheckClient, FactcheckUI */
(function () {
  "use strict";

  const C = FactcheckClient;
  const UI = FactcheckUI;
  const BASE = ""; // this origin
  const KEY_STORE = "factcheck-desk-key";
  const RECHECK_AFTER_MS = 900;
  const CLAIM_HIGHLIGHT = "desk-claim";

  const $ = (id) => document.getElementById(id);
  const root = document.documentElement;

  function apiKey() {
    try {
      return sessionStorage.getItem(KEY_STORE) || "";
    } catch (_) {
      return "";
    }
  }

  function api(path, options = {}) {
    return C.request(BASE, path, { ...options, apiKey: apiKey() });
  }

  function say(id, text, kind = "") {
    const node = $(id);
    node.textContent = text;
    node.classList.toggle("status--error", kind === "error");
    node.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function articleName(article) {
    if (!article) return "Untitled article";
    return article.title || (article.source ? `Untitled (${article.source})` : `Untitled article ${article.id}`);
  }

  // -- the API key field -------------------------------------------------------------------

  const keyField = $("desk-key");
  keyField.value = apiKey();
  keyField.addEventListener("change", () => {
    try {
      if (keyField.value.trim()) sessionStorage.setItem(KEY_STORE, keyField.value.trim());
      else sessionStorage.removeItem(KEY_STORE);
    } catch (_) {
      // storage unavailable: the key is not kept
    }
  });

  // -- routing -------------------------------------------------------------------------------

  const loaders = {};
  let firstRoute = true;

  function parseHash() {
    const hash = (location.hash || "#/draft").slice(1);
    const [path, query = ""] = hash.split("?");
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    const params = new URLSearchParams(query);
    if (parts[0] === "articles" && parts[1]) return { view: "article", id: parts[1], params };
    const view = ["draft", "check", "contradictions", "articles"].includes(parts[0]) ? parts[0] : "draft";
    return { view, params };
  }

  function route() {
    const where = parseHash();
    for (const section of document.querySelectorAll(".view")) {
      section.hidden = section.dataset.view !== where.view;
    }
    const navRoute = where.view === "article" ? "articles" : where.view;
    for (const link of document.querySelectorAll("nav a[data-route]")) {
      if (link.dataset.route === navRoute) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (where.view !== "draft") draftHighlighter.closeCard();
    if (where.view !== "article") clearArticleHighlights();
    const heading = document.querySelector(`.view[data-view="${where.view}"] h1`);
    if (!firstRoute && heading) heading.focus({ preventScroll: false });
    firstRoute = false;
    root.dataset.view = where.view;
    const load = loaders[where.view];
    if (load) load(where);
  }

  // -- draft -----------------------------------------------------------------------------------

  const draft = $("draft");
  const draftHighlighter = new UI.Highlighter(document, { deskBase: BASE, newTab: false });
  let draftTimer = 0;
  let draftSequence = 0;

  function renderFlagList(flags) {
    const list = $("draft-flags");
    list.replaceChildren();
    flags.forEach((flag, index) => {
      const item = el("li");
      const button = el("button", `flag-button flag-button--${flag.label}`);
      button.type = "button";
      button.setAttribute("aria-haspopup", "dialog");
      button.dataset.index = String(index);
      const verdict = flag.label === "contradiction" ? "Contradicted" : "Supported";
      button.appendChild(el("span", "flag-button__verdict", `${verdict} · ${UI.percent(flag.probability)}`));
      button.appendChild(el("span", "flag-button__sentence", flag.sentence));
      button.addEventListener("click", () => draftHighlighter.openCard(index, { pinned: true, focus: true }));
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  async function checkDraft() {
    clearTimeout(draftTimer);
    const text = draft.value;
    const mine = ++draftSequence;
    if (!text.trim()) {
      draftHighlighter.clear();
      renderFlagList([]);
      say("draft-status", "Type or paste a draft first.");
      root.dataset.draftState = "empty";
      return;
    }
    root.dataset.draftState = "checking";
    say("draft-status", "Checking…");
    try {
      const answer = await C.flagText(BASE, text, { apiKey: apiKey() });
      const ids = answer.flagged.flatMap((f) => f.evidence.map((e) => e.article_id));
      const articles = await C.articleDetails(BASE, ids, { apiKey: apiKey() });
      if (mine !== draftSequence || draft.value !== text) return;
      // ranges are taken in the order of the flags, so list index = highlight index
      draftHighlighter.show(new UI.FieldTarget(draft), answer.flagged, { articles });
      renderFlagList(answer.flagged);
      say("draft-status", UI.summary(answer.flagged));
      root.dataset.draftState = "done";
    } catch (err) {
      if (mine !== draftSequence) return;
      say("draft-status", err.message, "error");
      root.dataset.draftState = "error";
    }
  }

  draft.addEventListener("input", () => {
    draftHighlighter.clear();
    renderFlagList([]);
    clearTimeout(draftTimer);
    draftSequence += 1; // an answer for the old text is dropped
    root.dataset.draftState = "stale";
    say("draft-status", "Checking when you stop typing…");
    draftTimer = setTimeout(checkDraft, RECHECK_AFTER_MS);
  });
  $("draft-check").addEventListener("click", checkDraft);

  // -- check a claim ------------------------------------------------------------------------

  const VERDICTS = { refuted: "Refuted", supported: "Supported", not_enough_info: "Not enough information" };

  $("check-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const claim = $("claim").value.trim();
    if (!claim) {
      say("check-status", "Type a claim first.", "error");
      return;
    }
    root.dataset.checkState = "checking";
    say("check-status", "Checking…");
    $("copy-status").textContent = "";
    try {
      const verdict = await api("/check", { method: "POST", body: { claim } });
      // the same verdict again, as ClaimReview (answered from the service's cache)
      const review = await api("/check?format=claimreview", {
        method: "POST",
        body: { claim },
        accept: "application/ld+json",
      });
      const articles = await C.articleDetails(BASE, verdict.evidence.map((e) => e.article_id), { apiKey: apiKey() });
      const name = VERDICTS[verdict.verdict] || verdict.verdict;
      const line = $("verdict");
      line.className = `verdict verdict--${verdict.verdict}`;
      line.replaceChildren(el("strong", "", name), document.createTextNode(` · confidence ${UI.percent(verdict.confidence)}`));
      line.dataset.verdict = verdict.verdict;
      const list = $("check-evidence");
      list.replaceChildren();
      for (const e of verdict.evidence) {
        list.appendChild(UI.evidenceItem(document, e, { articles, deskBase: BASE, newTab: false, label: e.label }));
      }
      if (!verdict.evidence.length) list.appendChild(el("li", "empty", "No corpus sentence is close enough to this claim."));
      $("claimreview").firstElementChild.textContent = JSON.stringify(review, null, 2);
      $("check-result").hidden = false;
      say("check-status", `${name}.`);
      root.dataset.checkState = "done";
    } catch (err) {
      say("check-status", err.message, "error");
      root.dataset.checkState = "error";
    }
  });

  $("copy-claimreview").addEventListener("click", async () => {
    const code = $("claimreview");
    const text = code.textContent;
    try {
      await navigator.clipboard.writeText(text);
      say("copy-status", "Copied the ClaimReview JSON-LD.");
    } catch (_) {
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      code.focus();
      say("copy-status", "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
    }
  });

  // -- contradictions -------------------------------------------------------------------------

  let articlesById = new Map();

  /** Up to `most` items of a paged list; `first` is added to the first page's query. */
  async function allPages(path, pageSize, most, first = "") {
    const items = [];
    let count = Infinity;
    let head = null;
    for (let offset = 0; offset < count && offset < most; offset += pageSize) {
      const sep = path.includes("?") ? "&" : "?";
      const extra = offset === 0 && first ? `&${first}` : "";
      const page = await api(`${path}${sep}limit=${pageSize}&offset=${offset}${extra}`);
      if (head === null) head = page;
      items.push(...page.data);
      count = page.count;
      if (!page.data.length) break;
    }
    return { items, count, head };
  }

  /** The corpus contradictions; waits a little for a sweep the service is running. */
  function allContradictions() {
    return allPages("/contradictions", 100, 2000, "wait=10");
  }

  /** True when the service says its contradiction sweep has not finished. */
  function sweeping(head) {
    return Boolean(head && head.sweep && head.sweep.state === "running");
  }

  async function loadArticles() {
    const { items } = await allPages("/articles", 500, 10000);
    articlesById = new Map(items.map((a) => [a.id, a]));
    return items;
  }

  function fillSelect(select, options) {
    const current = select.value;
    const first = select.options[0];
    select.replaceChildren(first);
    for (const [value, text] of options) {
      const option = el("option", "", text);
      option.value = value;
      select.appendChild(option);
    }
    select.value = options.some(([v]) => v === current) ? current : "";
  }

  let contradictions = [];
  let contradictionCount = 0;
  let contradictionsPartial = false;

  function claimFigure(claim) {
    const figure = el("figure", "claim");
    figure.appendChild(el("blockquote", "claim__sentence", claim.sentence));
    const caption = el("figcaption", "claim__source");
    const link = el("a", "", articleName(articlesById.get(claim.article_id) || { title: claim.title, id: claim.article_id }));
    link.href = C.deskArticleUrl(BASE, claim.article_id, claim.start, claim.end);
    caption.appendChild(link);
    caption.appendChild(document.createTextNode(claim.speaker ? ` · said by ${claim.speaker}` : " · no speaker named"));
    figure.appendChild(caption);
    return figure;
  }

  function renderContradictions() {
    const article = $("filter-article").value;
    const speaker = $("filter-speaker").value;
    const shown = contradictions.filter((c) => {
      const sides = [c.premise, c.hypothesis];
      if (article && !sides.some((s) => s.article_id === article)) return false;
      if (speaker && !sides.some((s) => s.speaker === speaker)) return false;
      return true;
    });
    const list = $("contradictions");
    list.replaceChildren();
    for (const c of shown) {
      const item = el("li", "contradiction");
      item.dataset.premise = c.premise.article_id;
      item.dataset.hypothesis = c.hypothesis.article_id;
      item.appendChild(el("p", "contradiction__score", `${UI.percent(c.contradiction)} contradiction · similarity ${c.similarity.toFixed(2)}`));
      const pair = el("div", "contradiction__pair");
      pair.appendChild(claimFigure(c.premise));
      pair.appendChild(el("p", "contradiction__versus", "contradicts"));
      pair.appendChild(claimFigure(c.hypothesis));
      item.appendChild(pair);
      list.appendChild(item);
    }
    const total = contradictionCount > contradictions.length ? ` (the first ${contradictions.length} of ${contradictionCount} loaded)` : "";
    const partial = contradictionsPartial ? " The service is still comparing the corpus: reload for more." : "";
    say("contradictions-status", `Showing ${shown.length} of ${contradictions.length} contradictions${total}.${partial}`);
    root.dataset.contradictionsState = "done";
  }

  loaders.contradictions = async () => {
    root.dataset.contradictionsState = "loading";
    say("contradictions-status", "Loading the contradictions…");
    try {
      const [page, articles] = await Promise.all([allContradictions(), loadArticles()]);
      contradictionsPartial = sweeping(page.head);
      contradictions = page.items;
      contradictionCount = page.count;
      const used = new Set(contradictions.flatMap((c) => [c.premise.article_id, c.hypothesis.article_id]));
      fillSelect(
        $("filter-article"),
        articles.filter((a) => used.has(a.id)).map((a) => [a.id, articleName(a)]),
      );
      const speakers = [...new Set(contradictions.flatMap((c) => [c.premise.speaker, c.hypothesis.speaker]).filter(Boolean))];
      speakers.sort((a, b) => a.localeCompare(b));
      fillSelect($("filter-speaker"), speakers.map((s) => [s, s]));
      renderContradictions();
    } catch (err) {
      say("contradictions-status", err.message, "error");
      root.dataset.contradictionsState = "error";
    }
  };
  $("filter-article").addEventListener("change", renderContradictions);
  $("filter-speaker").addEventListener("change", renderContradictions);

  // -- articles --------------------------------------------------------------------------------

  loaders.articles = async () => {
    root.dataset.articlesState = "loading";
    say("articles-status", "Loading the articles…");
    try {
      const articles = await loadArticles();
      const list = $("articles");
      list.replaceChildren();
      for (const a of articles) {
        const item = el("li", "article-item");
        const link = el("a", "", articleName(a));
        link.href = C.deskArticleUrl(BASE, a.id);
        item.appendChild(link);
        const facts = [a.published ? a.published.slice(0, 10) : "no date", a.outlet, `${a.characters.toLocaleString("en")} characters`];
        item.appendChild(el("span", "article-item__facts", ` · ${facts.filter(Boolean).join(" · ")}`));
        list.appendChild(item);
      }
      say("articles-status", `${articles.length} articles.`);
      root.dataset.articlesState = "done";
    } catch (err) {
      say("articles-status", err.message, "error");
      root.dataset.articlesState = "error";
    }
  };

  function clearArticleHighlights() {
    if (!window.CSS || !CSS.highlights) return;
    CSS.highlights.delete(CLAIM_HIGHLIGHT);
    CSS.highlights.delete(UI.FOCUS_HIGHLIGHT);
  }

  function textRange(node, text, start, end) {
    const [from, to] = C.utf16Offsets(text, start, end);
    if (!(from < to) || to > node.data.length) return null;
    const range = document.createRange();
    range.setStart(node, from);
    range.setEnd(node, to);
    return range;
  }

  function scrollToRange(range) {
    const rect = range.getBoundingClientRect();
    window.scrollTo({ top: Math.max(0, rect.top + window.scrollY - window.innerHeight / 3) });
  }

  /** The claims to list: the article's own when the API gives them, else those in contradictions. */
  function claimsOf(article) {
    if (Array.isArray(article.claims)) {
      return { all: true, claims: article.claims.map((claim) => ({ claim, against: [] })) };
    }
    const found = new Map();
    for (const c of contradictions) {
      for (const [mine, other] of [[c.premise, c.hypothesis], [c.hypothesis, c.premise]]) {
        if (mine.article_id !== article.id) continue;
        const entry = found.get(mine.start) || { claim: mine, against: [] };
        entry.against.push(other);
        found.set(mine.start, entry);
      }
    }
    return { all: false, claims: [...found.values()].sort((a, b) => a.claim.start - b.claim.start) };
  }

  loaders.article = async ({ id, params }) => {
    root.dataset.articleState = "loading";
    say("article-status", "Loading the article…");
    $("article-title").textContent = "";
    $("article-meta").textContent = "";
    $("article-text").replaceChildren();
    $("article-claims").replaceChildren();
    try {
      const article = await api(`/articles/${encodeURIComponent(id)}`);
      if (!Array.isArray(article.claims) && !contradictions.length) {
        contradictions = (await allContradictions()).items;
      }
      $("article-title").textContent = articleName(article);
      const facts = [article.published ? `Published ${article.published.slice(0, 10)}` : "No date", article.outlet];
      if (article.source) facts.push(`from ${article.source}`);
      $("article-meta").textContent = facts.filter(Boolean).join(" · ");
      if (article.url) {
        const link = el("a", "", "original");
        link.href = article.url;
        link.rel = "noopener noreferrer";
        $("article-meta").append(" · ", link);
      }
      const textNode = document.createTextNode(article.text);
      $("article-text").appendChild(textNode);

      const { all, claims } = claimsOf(article);
      $("article-claims-help").textContent = all
        ? `${claims.length} claims: the sentences the archive knows this article by.`
        : claims.length
          ? "Its sentences that other corpus sentences contradict (highlighted in the text)."
          : "No sentence of this article is in a corpus contradiction.";
      const ranges = [];
      const list = $("article-claims");
      for (const { claim, against } of claims) {
        const range = textRange(textNode, article.text, claim.start, claim.end);
        if (range && against.length) ranges.push(range);
        const item = el("li", "claim-item");
        const button = el("button", "claim-item__show", claim.sentence);
        button.type = "button";
        button.title = "Show it in the text";
        button.addEventListener("click", () => {
          if (!range) return;
          CSS.highlights.set(UI.FOCUS_HIGHLIGHT, new Highlight(range));
          scrollToRange(range);
        });
        item.appendChild(button);
        const facts = [claim.speaker ? `said by ${claim.speaker}` : "no speaker named"];
        item.appendChild(el("span", "claim-item__facts", ` · ${facts.join(" · ")}`));
        for (const other of against) {
          const line = el("p", "claim-item__against");
          line.appendChild(document.createTextNode("Contradicted by: "));
          const link = el("a", "", `“${other.sentence}”`);
          link.href = C.deskArticleUrl(BASE, other.article_id, other.start, other.end);
          line.appendChild(link);
          line.appendChild(document.createTextNode(` (${articleName(articlesById.get(other.article_id) || { title: other.title, id: other.article_id })})`));
          item.appendChild(line);
        }
        list.appendChild(item);
      }
      if (window.CSS && CSS.highlights) {
        if (ranges.length) CSS.highlights.set(CLAIM_HIGHLIGHT, new Highlight(...ranges));
        const start = Number(params.get("start"));
        const end = Number(params.get("end"));
        if (params.has("start") && params.has("end")) {
          const focus = textRange(textNode, article.text, start, end);
          if (focus) {
            CSS.highlights.set(UI.FOCUS_HIGHLIGHT, new Highlight(focus));
            scrollToRange(focus);
            $("article-text").dataset.focus = `${start}-${end}`;
          }
        }
      }
      say("article-status", "");
      root.dataset.articleState = "done";
    } catch (err) {
      $("article-title").textContent = "Article";
      say("article-status", err.status === 404 ? "There is no such article in the corpus." : err.message, "error");
      root.dataset.articleState = "error";
    }
  };

  window.addEventListener("hashchange", route);
  route();
})();

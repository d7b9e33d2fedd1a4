/*
 * factcheck UI: finds the text to check on a page, highlights flagged sentences in place
 * with the CSS Custom Highlight API and shows the card behind each highlight.
 *
 * Shared by the browser extension (injected with the content script) and the desk page
 * (service/api/desk/ui.js is a link to this file). Styles: ui.css next to this file.
 *
 * Nothing here rewrites an editor's DOM. A contenteditable element or an article is
 * highlighted through Range objects over its own text nodes; a textarea has no text nodes,
 * so an inert, transparent copy of its text (the "mirror") is laid exactly over it and the
 * ranges are drawn on the mirror. The card, the mirror and messages are added at the end
 * of <html>, outside the editor.
 */
(function (root) {
  "use strict";

  const HIGHLIGHT_NAMES = Object.freeze({
    contradiction: "factcheck-contradiction",
    entailment: "factcheck-entailment",
  });
  const FOCUS_HIGHLIGHT = "factcheck-focus";
  const UI_CLASS = "factcheck-ui";
  const VERDICT_TEXT = { contradiction: "Contradicted by the archive", entailment: "Supported by the archive" };
  const SHOWN_EVIDENCE = 3;

  const BLOCK_TAGS = new Set([
    "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "CAPTION", "DD", "DETAILS", "DIV", "DL", "DT",
    "FIELDSET", "FIGCAPTION", "FIGURE", "FOOTER", "FORM", "H1", "H2", "H3", "H4", "H5", "H6",
    "HEADER", "HR", "LI", "MAIN", "NAV", "OL", "P", "PRE", "SECTION", "SUMMARY", "TABLE",
    "TBODY", "TD", "TFOOT", "TH", "THEAD", "TR", "UL",
  ]);
  const SKIPPED_TAGS = new Set([
    "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "TEXTAREA", "INPUT", "SELECT", "OPTION",
    "BUTTON", "IFRAME", "OBJECT", "SVG", "CANVAS", "VIDEO", "AUDIO", "IMG", "HEAD",
  ]);

  function isField(el) {
    if (!el) return false;
    if (el.tagName === "TEXTAREA") return true;
    return el.tagName === "INPUT" && /^(text|search|)$/i.test(el.type || "");
  }

  /** The outermost editing host of `el` (a contenteditable element), or null. */
  function editingHost(el) {
    let host = null;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (node.isContentEditable) host = node;
      else if (host) break;
    }
    return host;
  }

  // -- what to check: a form field ----------------------------------------------------------

  const MIRRORED_STYLES = [
    "fontFamily", "fontSize", "fontWeight", "fontStyle", "fontVariant", "fontStretch",
    "fontKerning", "fontFeatureSettings", "letterSpacing", "wordSpacing", "lineHeight",
    "textTransform", "textIndent", "textAlign", "direction", "tabSize", "paddingTop",
    "paddingRight", "paddingBottom", "paddingLeft", "borderTopWidth", "borderRightWidth",
    "borderBottomWidth", "borderLeftWidth", "wordBreak", "overflowWrap", "hyphens",
  ];

  /**
   * A <textarea> or text <input>, or the selected part of one (`start`..`end`). Its ranges
   * lie on the mirror: a transparent copy of the field's text, same box, same font, same
   * scroll position, that ignores the pointer.
   */
  class FieldTarget {
    constructor(field, { start = 0, end = null } = {}) {
      this.kind = "field";
      this.element = field;
      this.doc = field.ownerDocument;
      this.base = start;
      this.end = end;
      this.live = end === null; // a whole field is re-checked after edits
      this.mirror = null;
      this.textNode = null;
      this._frame = 0;
      this._onMove = () => this._schedule();
    }

    text() {
      const value = this.element.value;
      return value.slice(this.base, this.end === null ? value.length : this.end);
    }

    /** Creates or updates the mirror; call before taking ranges. */
    attach() {
      if (!this.mirror) {
        const doc = this.doc;
        this.mirror = doc.createElement("div");
        this.mirror.className = `${UI_CLASS} factcheck-mirror`;
        this.mirror.setAttribute("aria-hidden", "true");
        this.textNode = doc.createTextNode("");
        this.mirror.appendChild(this.textNode);
        doc.documentElement.appendChild(this.mirror);
        const win = doc.defaultView;
        win.addEventListener("scroll", this._onMove, { capture: true, passive: true });
        win.addEventListener("resize", this._onMove, { passive: true });
        this.element.addEventListener("scroll", this._onMove, { passive: true });
        if (win.ResizeObserver) {
          this._resize = new win.ResizeObserver(this._onMove);
          this._resize.observe(this.element);
        }
      }
      this.sync();
    }

    _schedule() {
      if (this._frame) return;
      this._frame = this.doc.defaultView.requestAnimationFrame(() => {
        this._frame = 0;
        this.sync();
      });
    }

    /** Lays the mirror over the field again (after scrolling, resizing or typing). */
    sync() {
      if (!this.mirror) return;
      const field = this.element;
      const style = this.doc.defaultView.getComputedStyle(field);
      const rect = field.getBoundingClientRect();
      const m = this.mirror.style;
      m.cssText = "all: initial;";
      for (const name of MIRRORED_STYLES) m[name] = style[name];
      const bordersX = parseFloat(style.borderLeftWidth) + parseFloat(style.borderRightWidth);
      const bordersY = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
      Object.assign(m, {
        display: "block",
        position: "fixed",
        boxSizing: "border-box",
        left: `${rect.left}px`,
        top: `${rect.top}px`,
        // client sizes leave out the scrollbars, so the text wraps where the field's does
        width: `${field.clientWidth + bordersX}px`,
        height: `${field.clientHeight + bordersY}px`,
        borderStyle: "solid",
        borderColor: "transparent",
        margin: "0",
        overflow: "hidden",
        whiteSpace: field.tagName === "TEXTAREA" ? "pre-wrap" : "pre",
        color: "transparent",
        background: "transparent",
        pointerEvents: "none",
        userSelect: "none",
        zIndex: "2147483000",
        visibility: style.visibility === "hidden" || rect.width === 0 ? "hidden" : "visible",
      });
      if (this.textNode.data !== field.value) this.textNode.data = field.value;
      this.mirror.scrollTop = field.scrollTop;
      this.mirror.scrollLeft = field.scrollLeft;
    }

    /** The Range over characters start..end of text(), or null. */
    range(start, end) {
      const length = this.textNode.data.length;
      const from = this.base + start;
      const to = this.base + end;
      if (from < 0 || to > length || from >= to) return null;
      const range = this.doc.createRange();
      range.setStart(this.textNode, from);
      range.setEnd(this.textNode, to);
      return range;
    }

    /** The part of the viewport where the field's text is visible. */
    visibleRect() {
      return this.element.getBoundingClientRect();
    }

    /** The element whose edits make the highlights stale. */
    editor() {
      return this.element;
    }

    detach() {
      if (!this.mirror) return;
      const win = this.doc.defaultView;
      win.removeEventListener("scroll", this._onMove, { capture: true });
      win.removeEventListener("resize", this._onMove);
      this.element.removeEventListener("scroll", this._onMove);
      if (this._resize) this._resize.disconnect();
      this.mirror.remove();
      this.mirror = null;
    }
  }

  // -- what to check: text in the DOM (contenteditable, article, a selection) -----------------

  /**
   * The text of an element (or of a selected Range) as one string, mapped back to its text
   * nodes: blocks and <br> become line breaks; whitespace is collapsed the way the browser
   * shows it, so a sentence wrapped in the HTML source stays one sentence.
   */
  class DomTarget {
    constructor(rootElement, { range = null, kind = "dom" } = {}) {
      this.kind = kind;
      this.root = rootElement;
      this.doc = rootElement.ownerDocument;
      this.selection = range;
      this.live = range === null && rootElement.isContentEditable;
      this._build();
    }

    _build() {
      const win = this.doc.defaultView;
      const parts = [];
      const segments = [];
      let length = 0;
      let last = "\n"; // the last character emitted; at the start, collapse leading space
      const selection = this.selection;
      const whiteSpace = new Map();

      const emit = (s) => {
        parts.push(s);
        length += s.length;
        last = s[s.length - 1];
      };
      const breakLine = () => {
        if (length > 0 && last !== "\n") emit("\n");
      };
      const styleOf = (el) => {
        if (!whiteSpace.has(el)) whiteSpace.set(el, win.getComputedStyle(el).whiteSpace || "normal");
        return whiteSpace.get(el);
      };

      const visitText = (node) => {
        if (selection && !selection.intersectsNode(node)) return;
        let from = 0;
        let to = node.data.length;
        if (selection) {
          if (node === selection.startContainer) from = selection.startOffset;
          if (node === selection.endContainer) to = selection.endOffset;
        }
        const ws = node.parentElement ? styleOf(node.parentElement) : "normal";
        const keepSpaces = ws.startsWith("pre") || ws === "break-spaces";
        const keepNewlines = keepSpaces || ws === "pre-line";
        const chars = [];
        const offsets = [];
        for (let i = from; i < to; i += 1) {
          let ch = node.data[i];
          if (ch === "\r") continue;
          const isNewline = ch === "\n";
          if (!keepSpaces && (ch === " " || ch === "\t" || ch === "\f" || (isNewline && !keepNewlines))) {
            const prev = chars.length ? chars[chars.length - 1] : last;
            if (prev === " " || prev === "\n") continue;
            ch = " ";
          } else if (ch === "\u00a0") {
            ch = " ";
          }
          chars.push(ch);
          offsets.push(i);
        }
        if (!chars.length) return;
        segments.push({ node, at: length, offsets });
        emit(chars.join(""));
      };

      const visit = (node) => {
        if (node.nodeType === 3) {
          visitText(node);
          return;
        }
        if (node.nodeType !== 1) return;
        const el = node;
        if (SKIPPED_TAGS.has(el.tagName) || el.classList.contains(UI_CLASS)) return;
        if (el.tagName === "BR") {
          if (!selection || selection.intersectsNode(el)) emit("\n");
          return;
        }
        if (el.hidden || (el.checkVisibility && !el.checkVisibility())) return;
        const block = BLOCK_TAGS.has(el.tagName);
        if (block) breakLine();
        for (let child = el.firstChild; child; child = child.nextSibling) visit(child);
        if (block) breakLine();
      };

      visit(this.root);
      this._text = parts.join("");
      this.segments = segments;
    }

    text() {
      return this._text;
    }

    attach() {}

    sync() {}

    _segmentAt(index) {
      // the last segment that starts at or before index
      let lo = 0;
      let hi = this.segments.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (this.segments[mid].at <= index) {
          found = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return found;
    }

    /** The Range over characters start..end of text(), or null. */
    range(start, end) {
      if (start >= end || !this.segments.length) return null;
      let first = this._segmentAt(start);
      if (first < 0 || start >= this.segments[first].at + this.segments[first].offsets.length) {
        first += 1; // start falls on a line break added between blocks: begin at the next text
        if (first >= this.segments.length) return null;
        start = this.segments[first].at;
      }
      const lastIndex = this._segmentAt(end - 1);
      if (lastIndex < first) return null;
      const a = this.segments[first];
      const b = this.segments[lastIndex];
      const endChar = Math.min(end - 1 - b.at, b.offsets.length - 1);
      const range = this.doc.createRange();
      try {
        range.setStart(a.node, a.offsets[start - a.at]);
        range.setEnd(b.node, b.offsets[endChar] + 1);
      } catch (_) {
        return null; // the DOM changed under us
      }
      return range;
    }

    visibleRect() {
      return null;
    }

    editor() {
      return this.live ? this.root : null;
    }

    detach() {}
  }

  /**
   * What to check on a page, as a target: `mode` "selection" (the selected text), "editable"
   * (the focused textarea or contenteditable), "page" (the article: <article>, <main> or
   * the body) or "auto" (the focused editor, else the selection, else the article).
   */
  function pickTarget(doc, mode = "auto") {
    const active = doc.activeElement;
    const field = isField(active) ? active : null;
    const selectionTarget = () => {
      if (field && field.selectionEnd > field.selectionStart) {
        return new FieldTarget(field, { start: field.selectionStart, end: field.selectionEnd });
      }
      const sel = doc.getSelection();
      if (sel && sel.rangeCount && !sel.isCollapsed && sel.toString().trim()) {
        const range = sel.getRangeAt(0).cloneRange();
        let container = range.commonAncestorContainer;
        if (container.nodeType !== 1) container = container.parentElement;
        return new DomTarget(container, { range, kind: "selection" });
      }
      return null;
    };
    const editableTarget = () => {
      if (field) return new FieldTarget(field);
      const host = active && active !== doc.body ? editingHost(active) : null;
      if (host) return new DomTarget(host, { kind: "editable" });
      if (doc.body && doc.body.isContentEditable) return new DomTarget(doc.body, { kind: "editable" });
      return null;
    };
    const pageTarget = () => {
      const article =
        doc.querySelector("article") || doc.querySelector("main") || doc.querySelector("[role=main]") || doc.body;
      return article ? new DomTarget(article, { kind: "page" }) : null;
    };
    if (mode === "selection") return selectionTarget() || editableTarget() || pageTarget();
    if (mode === "editable") return editableTarget() || selectionTarget() || pageTarget();
    if (mode === "page") return pageTarget();
    return editableTarget() || selectionTarget() || pageTarget();
  }

  // -- the card ---------------------------------------------------------------------------

  function el(doc, tag, className, text) {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function percent(p) {
    return `${(Math.round(p * 1000) / 10).toFixed(1)}%`;
  }

  /**
   * One archive sentence: the sentence, its article's title, date and outlet, its speaker,
   * and a link to the article in the desk page.
   */
  function evidenceItem(doc, evidence, { articles = {}, deskBase = null, label = null, newTab = true } = {}) {
    const item = el(doc, "li", "factcheck-evidence");
    item.dataset.articleId = evidence.article_id;
    const quote = el(doc, "blockquote", "factcheck-evidence__sentence", evidence.sentence);
    item.appendChild(quote);
    const meta = el(doc, "p", "factcheck-evidence__source");
    const article = articles[evidence.article_id] || {};
    const title = evidence.title || article.title;
    meta.appendChild(el(doc, "cite", "factcheck-evidence__title", title || `Untitled article${article.source ? ` (${article.source})` : ""}`));
    const facts = [];
    facts.push(article.published ? article.published.slice(0, 10) : "no date");
    if (article.outlet) facts.push(article.outlet);
    facts.push(evidence.speaker ? `said by ${evidence.speaker}` : "no speaker named");
    const probability = label && evidence.probabilities ? evidence.probabilities[label] : null;
    if (probability !== null && probability !== undefined) facts.push(`${percent(probability)} ${label}`);
    const time = el(doc, "span", "factcheck-evidence__facts", ` · ${facts.join(" · ")}`);
    meta.appendChild(time);
    item.appendChild(meta);
    if (deskBase !== null && root.FactcheckClient) {
      const link = el(doc, "a", "factcheck-evidence__link", "Read the article in the desk");
      link.href = root.FactcheckClient.deskArticleUrl(deskBase, evidence.article_id, evidence.start, evidence.end);
      if (newTab) {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      item.appendChild(link);
    }
    return item;
  }

  let cardCounter = 0;

  /** The card of one flagged sentence: verdict, probability, the archive sentences behind it. */
  function renderCard(doc, flag, { articles = {}, deskBase = null, newTab = true, onClose = null } = {}) {
    cardCounter += 1;
    const card = el(doc, "section", `factcheck-card factcheck-card--${flag.label}`);
    card.setAttribute("role", "dialog");
    const headingId = `factcheck-card-title-${cardCounter}`;
    card.setAttribute("aria-labelledby", headingId);
    card.dataset.label = flag.label;
    card.dataset.start = String(flag.start);
    card.dataset.end = String(flag.end);
    const head = el(doc, "div", "factcheck-card__head");
    const verdict = el(doc, "h2", "factcheck-card__verdict", VERDICT_TEXT[flag.label] || flag.verdict);
    verdict.id = headingId;
    head.appendChild(verdict);
    head.appendChild(el(doc, "span", "factcheck-card__probability", `${percent(flag.probability)} probability`));
    if (onClose) {
      const close = el(doc, "button", "factcheck-card__close", "×");
      close.type = "button";
      close.setAttribute("aria-label", "Close");
      close.addEventListener("click", onClose);
      head.appendChild(close);
    }
    card.appendChild(head);
    card.appendChild(el(doc, "p", "factcheck-card__sentence", `“${flag.sentence}”`));
    const evidence = flag.evidence || [];
    card.appendChild(el(doc, "p", "factcheck-card__lead", evidence.length === 1 ? "The archive says:" : `The archive says (${evidence.length} sentences):`));
    const list = el(doc, "ol", "factcheck-card__evidence");
    for (const e of evidence.slice(0, SHOWN_EVIDENCE)) {
      list.appendChild(evidenceItem(doc, e, { articles, deskBase, newTab, label: flag.label }));
    }
    card.appendChild(list);
    if (evidence.length > SHOWN_EVIDENCE) {
      card.appendChild(el(doc, "p", "factcheck-card__more", `and ${evidence.length - SHOWN_EVIDENCE} more`));
    }
    return card;
  }

  // -- highlights and the card on hover or click -------------------------------------------------

  function inside(rect, x, y, slack = 1) {
    return x >= rect.left - slack && x <= rect.right + slack && y >= rect.top - slack && y <= rect.bottom + slack;
  }

  /**
   * Draws flags on a target and opens a flag's card when the pointer rests on it or clicks
   * it. One per document; `show` replaces what it showed before.
   */
  class Highlighter {
    constructor(doc, { deskBase = null, newTab = true } = {}) {
      this.doc = doc;
      this.deskBase = deskBase;
      this.newTab = newTab;
      this.target = null;
      this.items = [];
      this.articles = {};
      this.host = null;
      this.openItem = null;
      this.pinned = false;
      this._hoverTimer = 0;
      this._closeTimer = 0;
      this._onMove = (e) => this._move(e);
      this._onClick = (e) => this._click(e);
      this._onKey = (e) => {
        if (e.key === "Escape" && this.openItem) this.closeCard();
      };
      this._listening = false;
    }

    /** Highlights `flags` ({start, end, label, ...} in target.text() offsets) on `target`. */
    show(target, flags, { articles = {}, deskBase } = {}) {
      this.clear();
      if (deskBase !== undefined) this.deskBase = deskBase;
      this.target = target;
      this.articles = articles;
      target.attach();
      this.items = [];
      for (const flag of flags) {
        const range = target.range(flag.start, flag.end);
        if (range) this.items.push({ flag, range });
      }
      this._paint();
      if (!this._listening) {
        this.doc.addEventListener("mousemove", this._onMove, { passive: true });
        this.doc.addEventListener("click", this._onClick, true);
        this.doc.addEventListener("keydown", this._onKey, true);
        this._listening = true;
      }
      return this.items.length;
    }

    _paint() {
      const registry = this.doc.defaultView.CSS && this.doc.defaultView.CSS.highlights;
      if (!registry) return;
      const Highlight = this.doc.defaultView.Highlight;
      for (const [label, name] of Object.entries(HIGHLIGHT_NAMES)) {
        const ranges = this.items.filter((i) => i.flag.label === label).map((i) => i.range);
        if (ranges.length) registry.set(name, new Highlight(...ranges));
        else registry.delete(name);
      }
    }

    /** Removes the highlights and the card (the target's text is left as it is). */
    clear() {
      this.closeCard();
      const registry = this.doc.defaultView.CSS && this.doc.defaultView.CSS.highlights;
      if (registry) for (const name of Object.values(HIGHLIGHT_NAMES)) registry.delete(name);
      this.items = [];
      if (this.target) this.target.detach();
      this.target = null;
    }

    /** The flag under the viewport point (x, y), or null. */
    itemAt(x, y) {
      if (!this.items.length) return null;
      const visible = this.target && this.target.visibleRect();
      if (visible && !inside(visible, x, y, 0)) return null;
      for (const item of this.items) {
        for (const rect of item.range.getClientRects()) {
          if (inside(rect, x, y)) return item;
        }
      }
      return null;
    }

    _overCard(e) {
      return this.host && e.target && this.host.contains(e.target);
    }

    _move(e) {
      if (this._overCard(e)) {
        clearTimeout(this._closeTimer);
        return;
      }
      const item = this.itemAt(e.clientX, e.clientY);
      clearTimeout(this._hoverTimer);
      if (item && item !== this.openItem) {
        this._hoverTimer = setTimeout(() => this.openCard(item, { pinned: false }), 150);
      } else if (!item && this.openItem && !this.pinned) {
        clearTimeout(this._closeTimer);
        this._closeTimer = setTimeout(() => this.closeCard(), 600);
      } else if (item) {
        clearTimeout(this._closeTimer);
      }
    }

    _click(e) {
      if (this._overCard(e)) return;
      const item = this.itemAt(e.clientX, e.clientY);
      if (item) this.openCard(item, { pinned: true });
      else if (this.openItem) this.closeCard();
    }

    /** Opens the card of `item` (or of the flag at index `item`) next to its sentence. */
    openCard(item, { pinned = false, focus = false } = {}) {
      if (typeof item === "number") item = this.items[item];
      if (!item) return null;
      this.closeCard();
      const doc = this.doc;
      this.host = el(doc, "div", `${UI_CLASS} factcheck-card-host`);
      this.host.id = "factcheck-card";
      const card = renderCard(doc, item.flag, {
        articles: this.articles,
        deskBase: this.deskBase,
        newTab: this.newTab,
        onClose: () => this.closeCard(),
      });
      this.host.appendChild(card);
      doc.documentElement.appendChild(this.host);
      this.openItem = item;
      this.pinned = pinned;
      this._place(item);
      if (focus) {
        this._returnFocus = doc.activeElement;
        card.setAttribute("tabindex", "-1");
        card.focus();
      }
      return card;
    }

    _place(item) {
      const win = this.doc.defaultView;
      const rects = item.range.getClientRects();
      const anchor = rects.length ? rects[rects.length - 1] : item.range.getBoundingClientRect();
      const box = this.host.getBoundingClientRect();
      const margin = 8;
      let top = anchor.bottom + margin;
      if (top + box.height > win.innerHeight - margin && anchor.top - margin - box.height > margin) {
        top = anchor.top - margin - box.height;
      }
      let left = Math.min(anchor.left, win.innerWidth - box.width - margin);
      left = Math.max(margin, left);
      top = Math.max(margin, Math.min(top, win.innerHeight - box.height - margin));
      this.host.style.left = `${left}px`;
      this.host.style.top = `${top}px`;
    }

    closeCard() {
      clearTimeout(this._hoverTimer);
      clearTimeout(this._closeTimer);
      const hadFocus = this.host && this.host.contains(this.doc.activeElement);
      if (this.host) this.host.remove();
      this.host = null;
      if (this._returnFocus && hadFocus) this._returnFocus.focus();
      this._returnFocus = null;
      this.openItem = null;
      this.pinned = false;
    }

    /** Stops listening and removes everything it drew. */
    destroy() {
      this.clear();
      this.doc.removeEventListener("mousemove", this._onMove);
      this.doc.removeEventListener("click", this._onClick, true);
      this.doc.removeEventListener("keydown", this._onKey, true);
      this._listening = false;
    }
  }

  // -- messages ---------------------------------------------------------------------------------

  /**
   * A short message in the corner of the page ("2 sentences flagged", "the service cannot be
   * reached"); errors stay until closed, other messages go after `timeoutMs`.
   */
  function showMessage(doc, text, { kind = "info", timeoutMs = 6000 } = {}) {
    let box = doc.getElementById("factcheck-message");
    if (box) box.remove();
    box = el(doc, "div", `${UI_CLASS} factcheck-message factcheck-message--${kind}`);
    box.id = "factcheck-message";
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.appendChild(el(doc, "strong", "factcheck-message__name", "factcheck"));
    box.appendChild(el(doc, "span", "factcheck-message__text", text));
    const close = el(doc, "button", "factcheck-message__close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close the factcheck message");
    close.addEventListener("click", () => box.remove());
    box.appendChild(close);
    doc.documentElement.appendChild(box);
    if (kind !== "error" && timeoutMs) {
      setTimeout(() => box.remove(), timeoutMs);
    }
    return box;
  }

  /** "2 sentences flagged: 1 contradicted, 1 supported." */
  function summary(flags) {
    if (!flags.length) return "No sentence is contradicted or supported by the archive.";
    const contradicted = flags.filter((f) => f.label === "contradiction").length;
    const supported = flags.length - contradicted;
    const n = flags.length === 1 ? "1 sentence" : `${flags.length} sentences`;
    return `${n} flagged: ${contradicted} contradicted, ${supported} supported.`;
  }

  root.FactcheckUI = Object.freeze({
    HIGHLIGHT_NAMES,
    FOCUS_HIGHLIGHT,
    FieldTarget,
    DomTarget,
    pickTarget,
    isField,
    renderCard,
    evidenceItem,
    Highlighter,
    showMessage,
    summary,
    percent,
  });
})(globalThis);

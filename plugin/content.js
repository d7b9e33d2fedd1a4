/*
 * The content script, injected into a tab when the journalist clicks the toolbar button or
 * "Check with factcheck": picks the text (focused editor, selection or article), asks the
 * service worker for its flags, highlights them in place and re-checks after edits.
 * Injected again on every click; the guard keeps one instance per frame.
 */
/* global FactcheckUI */
(() => {
  "use strict";
  if (globalThis.__factcheckContent) return;
  globalThis.__factcheckContent = true;

  const RECHECK_AFTER_MS = 1200;
  const UI = FactcheckUI;
  const highlighter = new UI.Highlighter(document);
  let target = null;
  let watched = null;
  let timer = 0;
  let sequence = 0;

  function onEdit() {
    if (!target) return;
    highlighter.clear(); // offsets are stale as soon as the text changes
    document.documentElement.dataset.factcheckState = "stale";
    clearTimeout(timer);
    if (target.live) timer = setTimeout(() => check(null), RECHECK_AFTER_MS);
  }

  function watch(editor) {
    if (watched === editor) return;
    if (watched) watched.removeEventListener("input", onEdit);
    watched = editor;
    if (watched) watched.addEventListener("input", onEdit);
  }

  /**
   * Checks `mode` ("auto", "selection", "editable", "page"), or the current target again
   * when `mode` is null (a re-check after an edit).
   */
  async function check(mode) {
    clearTimeout(timer);
    if (mode !== null || !target) {
      highlighter.clear();
      target = UI.pickTarget(document, mode || "auto");
    } else {
      const kind = target.kind;
      highlighter.clear();
      // rebuild the text map of a DOM target: the nodes may have changed
      target = target instanceof UI.DomTarget ? new UI.DomTarget(target.root, { kind }) : target;
    }
    if (!target) {
      UI.showMessage(document, "There is no text to check on this page.", { kind: "error" });
      return;
    }
    watch(target.editor());
    const text = target.text();
    if (!text.trim()) {
      UI.showMessage(document, "The text to check is empty.", { kind: "error" });
      chrome.runtime.sendMessage({ type: "factcheck:clear" });
      return;
    }
    const mine = ++sequence;
    const root = document.documentElement;
    root.dataset.factcheckState = "checking";
    UI.showMessage(document, `Checking ${text.length.toLocaleString("en")} characters…`, { timeoutMs: 0 });
    let reply;
    try {
      reply = await chrome.runtime.sendMessage({ type: "factcheck:flag", text });
    } catch (err) {
      reply = { ok: false, message: `The extension could not be reached (${err.message}); reload the page.` };
    }
    if (mine !== sequence) return; // a newer check started meanwhile
    if (target.text() !== text) {
      // edited while the service answered: the edit has scheduled another check
      root.dataset.factcheckState = "stale";
      return;
    }
    if (!reply || !reply.ok) {
      root.dataset.factcheckState = "error";
      UI.showMessage(document, (reply && reply.message) || "The check failed.", { kind: "error" });
      return;
    }
    highlighter.show(target, reply.flags, { articles: reply.articles, deskBase: reply.deskBase });
    root.dataset.factcheckState = "done";
    UI.showMessage(document, UI.summary(reply.flags));
  }

  chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (sender.id !== chrome.runtime.id || !message || message.type !== "factcheck:check") return false;
    check(message.mode || "auto");
    sendResponse({ ok: true });
    return false;
  });
})();

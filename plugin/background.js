/*
 * The extension's service worker: the toolbar button and the "Check with factcheck" menu
 * entry inject the content script into the tab (activeTab: only that tab, only on a click);
 * the content script sends the text here, and this worker sends it to POST /flag of the
 * configured service, and nowhere else.
 */
/* global FactcheckClient, importScripts */
"use strict";

if (typeof FactcheckClient === "undefined" && typeof importScripts === "function") {
  importScripts("shared/client.js"); // Chromium; Firefox loads it from manifest background.scripts
}

const MENU_ID = "factcheck-check";
const DEFAULTS = Object.freeze({
  serviceUrl: "http://127.0.0.1:8000",
  apiKey: "",
  labels: ["contradiction", "entailment"],
  minProbability: 0.5,
});
const BADGE_COLOURS = { contradiction: "#b42318", entailment: "#067647", none: "#475467", error: "#b54708" };

async function loadSettings() {
  const stored = await chrome.storage.local.get(Object.keys(DEFAULTS));
  return { ...DEFAULTS, ...stored };
}

chrome.runtime.onInstalled.addListener(async () => {
  await chrome.contextMenus.removeAll();
  chrome.contextMenus.create({
    id: MENU_ID,
    title: "Check with factcheck",
    contexts: ["selection", "editable", "page"],
  });
});

async function setBadge(tabId, text, colour, title) {
  try {
    await chrome.action.setBadgeText({ tabId, text });
    await chrome.action.setBadgeBackgroundColor({ tabId, color: colour });
    if (title) await chrome.action.setTitle({ tabId, title });
  } catch (_) {
    // the tab is gone
  }
}

/** Injects the UI and the content script into one frame of the tab, then asks it to check. */
async function checkInTab(tab, mode, frameId = 0) {
  const target = { tabId: tab.id, frameIds: [frameId] };
  try {
    await chrome.scripting.insertCSS({ target, files: ["shared/ui.css"] });
    await chrome.scripting.executeScript({ target, files: ["shared/client.js", "shared/ui.js", "content.js"] });
    await chrome.tabs.sendMessage(tab.id, { type: "factcheck:check", mode }, { frameId });
  } catch (err) {
    await setBadge(tab.id, "!", BADGE_COLOURS.error, `factcheck cannot read this page (${err.message})`);
  }
}

chrome.action.onClicked.addListener((tab) => checkInTab(tab, "auto"));

/** "Check with factcheck": the selection, else the editor clicked in, else the page's article. */
function onMenuClicked(info, tab) {
  if (info.menuItemId !== MENU_ID || !tab) return;
  const mode = info.selectionText ? "selection" : info.editable ? "editable" : "page";
  checkInTab(tab, mode, info.frameId || 0);
}

chrome.contextMenus.onClicked.addListener(onMenuClicked);

/**
 * Flags of `text` for the tab that sent it, filtered by the options, with article details.
 * Sends the text (and the API key, when one is set) to the configured service only.
 */
async function flag(text, tabId) {
  const settings = await loadSettings();
  let base;
  try {
    base = FactcheckClient.normaliseBase(settings.serviceUrl);
    const answer = await FactcheckClient.flagText(base, text, { apiKey: settings.apiKey });
    const flags = FactcheckClient.filterFlags(answer.flagged, {
      labels: settings.labels,
      minProbability: Number(settings.minProbability) || 0,
    });
    const ids = flags.flatMap((f) => f.evidence.map((e) => e.article_id));
    const articles = await FactcheckClient.articleDetails(base, ids, { apiKey: settings.apiKey });
    const contradicted = flags.some((f) => f.label === "contradiction");
    const colour = flags.length ? BADGE_COLOURS[contradicted ? "contradiction" : "entailment"] : BADGE_COLOURS.none;
    await setBadge(tabId, String(flags.length), colour, `factcheck: ${flags.length} flagged`);
    return { ok: true, flags, articles, deskBase: base, requests: answer.requests };
  } catch (err) {
    const kind = err && err.kind ? err.kind : "server";
    await setBadge(tabId, "!", BADGE_COLOURS.error, `factcheck: ${err.message}`);
    return { ok: false, kind, message: err.message || String(err) };
  }
}

/** GET /health of a URL, for the options page's "Test the connection". */
async function health(url, apiKey) {
  try {
    const base = FactcheckClient.normaliseBase(url);
    const answer = await FactcheckClient.request(base, "/health", { apiKey });
    return { ok: true, health: answer };
  } catch (err) {
    return { ok: false, kind: err.kind || "server", message: err.message || String(err) };
  }
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !message) return false;
  if (message.type === "factcheck:flag" && sender.tab) {
    flag(String(message.text || ""), sender.tab.id).then(sendResponse);
    return true;
  }
  if (message.type === "factcheck:clear" && sender.tab) {
    setBadge(sender.tab.id, "", BADGE_COLOURS.none, "Check with factcheck").then(() => sendResponse({ ok: true }));
    return true;
  }
  if (message.type === "factcheck:health") {
    health(message.url, message.apiKey).then(sendResponse);
    return true;
  }
  return false;
});

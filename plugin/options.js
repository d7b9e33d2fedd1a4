/*
 * The options page: service URL, API key, labels to highlight, minimum probability. Saved
 * in chrome.storage.local (this browser only). A service outside the loopback addresses the
 * manifest allows needs the user's permission for its origin, asked for when saving; the
 * permission of a service used before is given back.
 */
/* global FactcheckClient */
"use strict";

const DEFAULTS = Object.freeze({
  serviceUrl: "http://127.0.0.1:8000",
  apiKey: "",
  labels: ["contradiction", "entailment"],
  minProbability: 0.5,
});

const form = document.getElementById("options");
const statusLine = document.getElementById("status");
const fields = {
  serviceUrl: document.getElementById("service-url"),
  apiKey: document.getElementById("api-key"),
  minProbability: document.getElementById("min-probability"),
};
const labelBoxes = [...form.querySelectorAll('input[name="labels"]')];

function say(text, kind = "") {
  statusLine.textContent = text;
  statusLine.className = kind;
}

async function load() {
  const settings = { ...DEFAULTS, ...(await chrome.storage.local.get(Object.keys(DEFAULTS))) };
  fields.serviceUrl.value = settings.serviceUrl;
  fields.apiKey.value = settings.apiKey;
  fields.minProbability.value = String(settings.minProbability);
  for (const box of labelBoxes) box.checked = settings.labels.includes(box.value);
  document.documentElement.dataset.loaded = "true";
}

/** The form's values, checked; throws an Error with a message for the reader. */
function read() {
  const base = FactcheckClient.normaliseBase(fields.serviceUrl.value);
  const minProbability = Number(fields.minProbability.value);
  if (fields.minProbability.value.trim() === "" || !(minProbability >= 0 && minProbability <= 1)) {
    throw new Error("The minimum probability must be a number from 0 to 1.");
  }
  const labels = labelBoxes.filter((b) => b.checked).map((b) => b.value);
  if (!labels.length) throw new Error("Choose at least one kind of sentence to highlight.");
  return { serviceUrl: base, apiKey: fields.apiKey.value.trim(), labels, minProbability };
}

const REQUIRED_ORIGINS = chrome.runtime.getManifest().host_permissions || [];

function originPattern(base) {
  return `${new URL(base).origin}/*`;
}

function coveredByManifest(base) {
  const url = new URL(base);
  return REQUIRED_ORIGINS.some((pattern) => {
    const p = new URL(pattern.replace("/*", "/"));
    return p.protocol === url.protocol && p.hostname === url.hostname;
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  let values;
  try {
    values = read();
  } catch (err) {
    say(err.message, "error");
    return;
  }
  const pattern = originPattern(values.serviceUrl);
  if (!coveredByManifest(values.serviceUrl)) {
    // asked while the click's user activation lasts: the browser shows its prompt
    const granted = await chrome.permissions.request({ origins: [pattern] });
    if (!granted) {
      say(`Not saved: the plugin needs your permission to send text to ${new URL(values.serviceUrl).origin}.`, "error");
      return;
    }
  }
  // give back the permission of any other service used before: one service at a time
  const { origins = [] } = await chrome.permissions.getAll();
  const stale = origins.filter((o) => !REQUIRED_ORIGINS.includes(o) && o !== pattern);
  if (stale.length) await chrome.permissions.remove({ origins: stale });
  await chrome.storage.local.set(values);
  fields.serviceUrl.value = values.serviceUrl;
  say(`Saved. Text you check goes to ${values.serviceUrl} only.`, "ok");
});

document.getElementById("test-connection").addEventListener("click", async () => {
  say("Connecting…");
  const answer = await chrome.runtime.sendMessage({
    type: "factcheck:health",
    url: fields.serviceUrl.value,
    apiKey: fields.apiKey.value.trim(),
  });
  if (!answer || !answer.ok) {
    say((answer && answer.message) || "The service did not answer.", "error");
    return;
  }
  const h = answer.health;
  say(
    `Connected: ${h.corpus.articles} articles, ${h.corpus.claims} claims; model ${h.model.nli} (${h.status}).`,
    "ok",
  );
});

load();

"""The desk page that ``factcheck serve`` serves at ``/``, in headless chromium against a
real service on the seed corpus, with the network cut off from everything but loopback.

After every test, the browser's request log (the performance log) must show no request
outside the service's origin; the page must log no error (a Content-Security-Policy
violation would be one). Each view is also checked for labelled controls, keyboard use
and text contrast.
"""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.plugin.harness import (
    DRAFT,
    READ_HIGHLIGHTS,
    chrome,
    foreign,
    hover,
    rendered,
    requested_urls,
    spans,
    wait_for,
)

CLAIM = "Russia plans to close its embassy in Kabul."

UNLABELLED_CONTROLS = """
const missing = [];
for (const el of document.querySelectorAll("input, select, textarea, button, a[href]")) {
  if (!el.checkVisibility()) continue;
  let name = "";
  if (el.labels && el.labels.length) name = el.labels[0].textContent;
  name = name || el.getAttribute("aria-label") || "";
  const by = el.getAttribute("aria-labelledby");
  if (!name && by) name = (document.getElementById(by) || {}).textContent || "";
  if (!name && (el.tagName === "BUTTON" || el.tagName === "A")) name = el.textContent;
  if (!name.trim()) missing.push(el.outerHTML.slice(0, 100));
}
return missing;
"""

LOW_CONTRAST = """
function rgba(s) {
  const m = /rgba?\\(([^)]+)\\)/.exec(s);
  if (!m) return null;
  const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function luminance(rgb) {
  const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
}
function background(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
  return out;
}
const low = [];
for (const el of document.querySelectorAll("body *")) {
  if (!el.checkVisibility() || el.closest(".skip-link")) continue;
  if (![...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim())) continue;
  const style = getComputedStyle(el);
  const fg = rgba(style.color);
  if (!fg || fg[3] === 0) continue;
  const bg = background(el);
  const text = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
  const [a, b] = [luminance(text), luminance(bg)];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
  if (ratio < (large ? 3 : 4.5)) {
    const text = el.textContent.trim().slice(0, 30);
    low.push(`${el.tagName}.${el.className} "${text}" ${ratio.toFixed(2)}`);
  }
}
return low;
"""

_REQUESTS: list[str] = []


@pytest.fixture(scope="module")
def desk(factcheck_server, tmp_path_factory):
    """Chromium (no extension) on the desk page."""
    driver = chrome(service_log=tmp_path_factory.mktemp("chromedriver") / "chromedriver.log")
    driver.get(factcheck_server.base + "/")
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def _only_the_service_is_called(desk, factcheck_server):
    """After each test: no request left the service's origin, no error in the console."""
    yield
    urls = requested_urls(desk)
    _REQUESTS.extend(urls)
    assert not foreign(urls, factcheck_server.base), "the desk called other hosts"
    errors = [e for e in desk.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"the desk page logged errors: {errors}"


def go(driver, server, route: str) -> None:
    driver.get(f"{server.base}/#/{route}")
    view = route.split("/")[0].split("?")[0]
    view = "article" if route.startswith("articles/") else view
    wait_for(lambda: driver.execute_script("return document.documentElement.dataset.view") == view)


def data_state(driver, name: str) -> str | None:
    return driver.execute_script(f"return document.documentElement.dataset.{name} || null")


def wait_state(driver, name: str, timeout_s: float = 60.0) -> str:
    return wait_for(
        lambda: data_state(driver, name) if data_state(driver, name) in ("done", "error") else None,
        timeout_s=timeout_s,
        message=name,
    )


def spaced(text: str) -> str:
    """Whitespace as a browser's rendered text has it: seed sentences hold no-break spaces,
    which WebElement.text gives back as plain spaces."""
    return " ".join(text.split())


def settled_contradictions(server) -> dict:
    """The corpus contradictions once the service has finished computing them (``wait``
    lets a service that sweeps in the background finish first; others ignore it)."""
    first = server.get("/contradictions?limit=100&wait=120")
    data, offset = list(first["data"]), 100
    while offset < first["count"]:  # the API pages by at most 100
        data += server.get(f"/contradictions?limit=100&offset={offset}&wait=120")["data"]
        offset += 100
    return {**first, "data": data}


def scroll_to_top(driver) -> None:
    """Scrolls up and waits two frames, so the highlights' mirror follows."""
    driver.execute_script(
        "window.scrollTo(0, 0);"
        "return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));"
    )


def accessible(driver) -> None:
    assert driver.execute_script(UNLABELLED_CONTROLS) == []
    assert driver.execute_script(LOW_CONTRAST) == []


def test_draft_highlighted_like_the_plugin(desk, factcheck_server, screenshot_dir):
    go(desk, factcheck_server, "draft")
    field = desk.find_element(By.ID, "draft")
    field.clear()
    field.send_keys(DRAFT)
    # checked by itself once typing stops
    assert wait_state(desk, "draftState") == "done"
    expected = factcheck_server.flag(DRAFT)
    shown = desk.execute_script(READ_HIGHLIGHTS)
    assert spans(shown) == {(f["label"], f["start"], f["end"]) for f in expected}
    assert all(i["onMirror"] and i["text"] == DRAFT[i["start"] : i["end"]] for i in shown)

    # keyboard: the list of flagged sentences opens each card, Escape closes it
    buttons = desk.find_elements(By.CSS_SELECTOR, "#draft-flags button")
    assert len(buttons) == len(expected)
    buttons[0].send_keys(Keys.ENTER)
    card = wait_for(lambda: desk.find_element(By.CSS_SELECTOR, "#factcheck-card .factcheck-card"))
    assert rendered(expected[0]["evidence"][0]["sentence"]) in rendered(card.text)
    assert desk.execute_script(
        "return document.getElementById('factcheck-card').contains(document.activeElement)"
    )
    desk.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_for(lambda: not desk.find_elements(By.ID, "factcheck-card"), message="Escape")
    assert desk.switch_to.active_element == buttons[0]

    # pointer: resting on the contradicted sentence opens its card, with the desk link
    scroll_to_top(desk)
    shown = desk.execute_script(READ_HIGHLIGHTS)  # where they are now
    contradicted = [i for i in shown if i["label"] == "contradiction"]
    item = (contradicted or shown)[0]
    hover(desk, field, item["rects"][0])
    card = wait_for(lambda: desk.find_element(By.CSS_SELECTOR, "#factcheck-card .factcheck-card"))
    flag = next(f for f in expected if (f["start"], f["end"]) == (item["start"], item["end"]))
    assert rendered(flag["evidence"][0]["sentence"]) in rendered(card.text)
    link = card.find_element(By.CSS_SELECTOR, "a.factcheck-evidence__link")
    assert link.get_attribute("href").startswith(
        f"{factcheck_server.base}/#/articles/{flag['evidence'][0]['article_id']}?start="
    )
    accessible(desk)
    desk.save_screenshot(str(screenshot_dir / "desk-draft.png"))

    # a re-check after an edit
    field.send_keys(Keys.END, " The embassy in Kabul stayed open.")
    assert wait_state(desk, "draftState") == "done"
    edited = field.get_attribute("value")
    assert spans(desk.execute_script(READ_HIGHLIGHTS)) == {
        (f["label"], f["start"], f["end"]) for f in factcheck_server.flag(edited)
    }


def test_check_a_claim_with_evidence_and_claimreview(desk, factcheck_server, screenshot_dir):
    go(desk, factcheck_server, "check")
    claim = desk.find_element(By.ID, "claim")
    claim.clear()
    claim.send_keys(CLAIM)
    desk.find_element(By.ID, "claim-check").click()
    assert wait_state(desk, "checkState") == "done"
    answer = factcheck_server.post("/check", {"claim": CLAIM})
    verdict = desk.find_element(By.ID, "verdict")
    assert verdict.get_attribute("data-verdict") == answer["verdict"]
    items = desk.find_elements(By.CSS_SELECTOR, "#check-evidence .factcheck-evidence")
    assert len(items) == len(answer["evidence"])
    assert rendered(answer["evidence"][0]["sentence"]) in rendered(items[0].text)

    review = json.loads(desk.find_element(By.CSS_SELECTOR, "#claimreview code").text)
    assert review == factcheck_server.post("/check?format=claimreview", {"claim": CLAIM})
    assert review["@type"] == "ClaimReview"
    scroll_to_top(desk)
    desk.save_screenshot(str(screenshot_dir / "desk-check.png"))
    desk.find_element(By.ID, "copy-claimreview").click()
    wait_for(lambda: desk.find_element(By.ID, "copy-status").text, message="copy status")
    assert desk.find_element(By.ID, "copy-status").text.startswith(("Copied", "Selected"))
    accessible(desk)


def test_contradictions_ranked_and_filtered_by_article_and_speaker(
    desk, factcheck_server, screenshot_dir
):
    answer = settled_contradictions(factcheck_server)
    go(desk, factcheck_server, "contradictions")
    assert wait_state(desk, "contradictionsState") == "done"
    items = desk.find_elements(By.CSS_SELECTOR, "#contradictions > li")
    assert len(items) == len(answer["data"]) == answer["count"] > 0
    for item, pair in zip(items, answer["data"]):
        assert spaced(pair["premise"]["sentence"]) in spaced(item.text)
        assert spaced(pair["hypothesis"]["sentence"]) in spaced(item.text)

    article_filter = Select(desk.find_element(By.ID, "filter-article"))
    speaker_filter = Select(desk.find_element(By.ID, "filter-speaker"))
    article_id = article_filter.options[1].get_attribute("value")
    article_filter.select_by_value(article_id)
    expected = [
        p
        for p in answer["data"]
        if article_id in (p["premise"]["article_id"], p["hypothesis"]["article_id"])
    ]
    shown = desk.find_elements(By.CSS_SELECTOR, "#contradictions > li")
    assert len(shown) == len(expected) > 0
    assert all(
        article_id in (i.get_attribute("data-premise"), i.get_attribute("data-hypothesis"))
        for i in shown
    )

    article_filter.select_by_value("")
    speakers = [o.get_attribute("value") for o in speaker_filter.options[1:]]
    assert speakers, "no speaker named in any contradiction"
    speaker_filter.select_by_value(speakers[0])
    expected = [
        p
        for p in answer["data"]
        if speakers[0] in (p["premise"]["speaker"], p["hypothesis"]["speaker"])
    ]
    shown = desk.find_elements(By.CSS_SELECTOR, "#contradictions > li")
    assert len(shown) == len(expected) > 0
    assert all(speakers[0] in i.text for i in shown)
    status = desk.find_element(By.ID, "contradictions-status").text
    assert status == f"Showing {len(expected)} of {answer['count']} contradictions."
    accessible(desk)
    speaker_filter.select_by_value("")
    desk.save_screenshot(str(screenshot_dir / "desk-contradictions.png"))


def test_articles_readable_with_their_claims(desk, factcheck_server, screenshot_dir):
    pairs = settled_contradictions(factcheck_server)["data"]
    go(desk, factcheck_server, "articles")
    assert wait_state(desk, "articlesState") == "done"
    articles = factcheck_server.get("/articles?limit=500")["data"]
    links = desk.find_elements(By.CSS_SELECTOR, "#articles a")
    assert len(links) == len(articles) == 5

    # the article with most sentences in contradictions, opened from the list
    claims: dict[str, set[str]] = {}
    for p in pairs:
        for side in (p["premise"], p["hypothesis"]):
            claims.setdefault(side["article_id"], set()).add(side["sentence"])
    article_id = max(claims, key=lambda a: len(claims[a]))
    next(link for link in links if article_id in link.get_attribute("href")).click()
    assert wait_state(desk, "articleState") == "done"
    article = factcheck_server.get(f"/articles/{article_id}")
    assert desk.find_element(By.ID, "article-title").text == (article["title"] or "").strip() or (
        article["source"] in desk.find_element(By.ID, "article-title").text
    )
    text = desk.execute_script("return document.getElementById('article-text').textContent")
    assert text == article["text"]
    listed = desk.find_elements(By.CSS_SELECTOR, "#article-claims .claim-item__show")
    assert {spaced(b.text) for b in listed} == {spaced(c) for c in claims[article_id]}
    accessible(desk)
    desk.save_screenshot(str(screenshot_dir / "desk-article.png"))


def test_a_card_link_opens_the_article_at_the_sentence(desk, factcheck_server):
    """The plugin's card links to /#/articles/{id}?start=&end=: the desk marks that sentence."""
    evidence = factcheck_server.post("/check", {"claim": CLAIM})["evidence"][0]
    go(
        desk,
        factcheck_server,
        f"articles/{evidence['article_id']}?start={evidence['start']}&end={evidence['end']}",
    )
    assert wait_state(desk, "articleState") == "done"
    focused = desk.execute_script(
        "const h = CSS.highlights.get('factcheck-focus'); return h ? [...h][0].toString() : null;"
    )
    assert focused == evidence["sentence"]


def test_keyboard_reaches_every_section(desk, factcheck_server):
    go(desk, factcheck_server, "draft")
    desk.refresh()  # a fresh page: Tab starts at the top
    wait_for(lambda: desk.execute_script("return document.documentElement.dataset.view"))
    keys = ActionChains(desk)
    keys.send_keys(Keys.TAB).perform()
    assert desk.switch_to.active_element.get_attribute("class") == "skip-link"
    for route in ("draft", "check", "contradictions", "articles"):
        keys.send_keys(Keys.TAB).perform()
        assert desk.switch_to.active_element.get_attribute("data-route") == route
    keys.send_keys(Keys.ENTER).perform()
    wait_for(
        lambda: desk.execute_script("return document.documentElement.dataset.view") == "articles"
    )
    assert desk.switch_to.active_element.get_attribute("id") == "articles-title"
    accessible(desk)


def test_a_refused_key_is_said_plainly(desk, factcheck_server):
    """A service that refuses the key: the desk says which setting to fix (the answer is
    stood in for, since the test service needs no key for reads)."""
    go(desk, factcheck_server, "check")
    desk.execute_script(
        "window.fetch = async () => new Response(JSON.stringify({detail: 'invalid API key'}),"
        " {status: 403, headers: {'Content-Type': 'application/json'}});"
    )
    desk.find_element(By.ID, "claim").send_keys(CLAIM)
    desk.find_element(By.ID, "claim-check").click()
    assert wait_state(desk, "checkState") == "error"
    status = desk.find_element(By.ID, "check-status")
    assert "refused the API key" in status.text
    assert status.get_attribute("role") == "alert"
    desk.refresh()  # the real fetch again


def test_the_desk_called_the_service_only(desk, factcheck_server):
    """Over all the tests above: every request went to the service (the autouse fixture
    checks each test; this one checks that the log saw the desk's traffic at all)."""
    paths = {u.removeprefix(factcheck_server.base).split("?")[0] for u in _REQUESTS}
    assert {"/", "/desk/desk.js", "/desk/ui.js", "/desk/ui.css", "/flag", "/check"} <= paths
    assert "/contradictions" in paths and "/articles" in paths
    assert not foreign(_REQUESTS, factcheck_server.base)

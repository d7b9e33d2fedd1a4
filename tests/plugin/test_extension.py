"""The browser extension in plugin/, loaded unpacked into headless chromium, against a real
``factcheck serve`` on the seed corpus.

The toolbar button is pressed through DevTools (``Extensions.triggerAction``), which grants
activeTab as a click does. Highlights are read back from the page's ``CSS.highlights``
registry and compared with the service's own ``/flag`` answer for the same text, at exact
character ranges: whatever labels the shipped model gives, the plugin must show them where
the service says. The issue's expected labels are asserted separately.
"""

from __future__ import annotations

import io
import re
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.plugin.harness import (
    DRAFT,
    EMBASSY,
    PLUGIN_DIR,
    READ_HIGHLIGHTS,
    TROOPS,
    DevTools,
    chrome,
    closed_port,
    hover,
    rendered,
    spans,
    wait_for,
)


class Extension:
    """The loaded extension: its id, an options window, and its toolbar button."""

    def __init__(self, driver, devtools: DevTools) -> None:
        self.driver = driver
        self.devtools = devtools
        self.id = devtools.extension_id("factcheck")
        self.page_window = driver.current_window_handle
        driver.switch_to.new_window("window")
        self.options_window = driver.current_window_handle
        driver.get(self.options_url)
        wait_for(lambda: driver.execute_script("return document.documentElement.dataset.loaded"))
        driver.switch_to.window(self.page_window)

    @property
    def options_url(self) -> str:
        return f"chrome-extension://{self.id}/options.html"

    def in_options(self, script: str, *args):
        """Runs ``script`` in the options page (an extension page: chrome.* is there)."""
        self.driver.switch_to.window(self.options_window)
        try:
            return self.driver.execute_script(script, *args)
        finally:
            self.driver.switch_to.window(self.page_window)

    def configure(self, **values) -> None:
        self.in_options("return chrome.storage.local.set(arguments[0]);", values)

    def settings(self) -> dict:
        return self.in_options("return chrome.storage.local.get(null);")

    def badge(self, url: str) -> str | None:
        """The toolbar badge's text in the tab showing ``url``."""
        return self.in_options(
            "return (async () => {"
            "  const [tab] = await chrome.tabs.query({url: arguments[0]});"
            "  return tab ? await chrome.action.getBadgeText({tabId: tab.id}) : null;"
            "})();",
            url,
        )

    def click(self) -> None:
        """Presses the toolbar button in the page window's tab."""
        self.driver.switch_to.window(self.page_window)
        self.devtools.click_action(self.id, self.driver.current_url)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chrome(
        extension=PLUGIN_DIR,
        service_log=tmp_path_factory.mktemp("chromedriver") / "chromedriver.log",
    )
    devtools = DevTools(driver)
    yield driver, devtools
    devtools.close()
    driver.quit()


@pytest.fixture(scope="module")
def extension(browser, factcheck_server) -> Extension:
    driver, devtools = browser
    ext = Extension(driver, devtools)
    ext.configure(serviceUrl=factcheck_server.base)
    return ext


@pytest.fixture
def configured(extension, factcheck_server):
    """The extension with the test service and the default options, before each test."""
    extension.configure(
        serviceUrl=factcheck_server.base,
        apiKey="",
        labels=["contradiction", "entailment"],
        minProbability=0.5,
    )
    return extension


def open_page(driver, url: str) -> None:
    driver.get(url)
    wait_for(lambda: driver.execute_script("return document.readyState") == "complete")


def type_draft(driver, text: str, field_id: str = "draft"):
    field = driver.find_element(By.ID, field_id)
    field.click()
    field.send_keys(text)
    return field


def set_field(driver, text: str, field_id: str = "draft"):
    """Puts a long text into a field at once (typing it would take minutes) and focuses it."""
    field = driver.find_element(By.ID, field_id)
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].focus();"
        "arguments[0].setSelectionRange(0, 0);",
        field,
        text,
    )
    return field


def state(driver) -> str | None:
    return driver.execute_script("return document.documentElement.dataset.factcheckState || null")


def check_and_wait(ext: Extension, *, expect: str = "done", timeout_s: float = 120.0) -> None:
    driver = ext.driver
    driver.execute_script("delete document.documentElement.dataset.factcheckState")
    ext.click()
    final = wait_for(
        lambda: state(driver) if state(driver) in ("done", "error") else None,
        timeout_s=timeout_s,
        message="the plugin to finish checking",
    )
    if final != expect:
        message = driver.execute_script(
            "const m = document.getElementById('factcheck-message'); return m && m.textContent;"
        )
        raise AssertionError(f"the check ended in {final!r}, not {expect!r}: {message}")


def highlights(driver) -> list[dict]:
    return driver.execute_script(READ_HIGHLIGHTS)


def message_text(driver) -> str:
    return driver.execute_script(
        "const m = document.getElementById('factcheck-message'); return m ? m.textContent : '';"
    )


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def painted(png: bytes, rect: dict, colour: str) -> int:
    """Pixels inside ``rect`` tinted ``colour`` (red or green) in a screenshot."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    box = tuple(int(round(v)) for v in (rect["left"], rect["top"], rect["right"], rect["bottom"]))
    count = 0
    data = image.crop(box).tobytes()
    for r, g, b in zip(data[0::3], data[1::3], data[2::3]):
        red = r > g + 25 and r > b + 25
        green = g > r + 20 and g > b + 5
        if (colour == "red" and red) or (colour == "green" and green):
            count += 1
    return count


def open_card(driver, element, item: dict) -> str:
    hover(driver, element, item["rects"][0])
    card = wait_for(
        lambda: driver.find_element(By.CSS_SELECTOR, "#factcheck-card .factcheck-card"),
        timeout_s=10,
        message="the card to open",
    )
    return card


# -- the tests --------------------------------------------------------------------------------


def test_manifest_v3_with_loopback_host_permissions_only(configured):
    manifest = configured.in_options("return chrome.runtime.getManifest();")
    assert manifest["manifest_version"] == 3
    assert manifest["host_permissions"] == ["http://127.0.0.1/*", "http://localhost/*"]
    assert "content_scripts" not in manifest, "the plugin reads a page only when clicked"
    assert set(manifest["permissions"]) == {"activeTab", "scripting", "contextMenus", "storage"}


def test_options_page_saves_the_service_url(extension, factcheck_server, screenshot_dir):
    driver = extension.driver
    extension.in_options("return chrome.storage.local.clear();")
    driver.switch_to.window(extension.options_window)
    try:
        driver.get(extension.options_url)
        wait_for(lambda: driver.execute_script("return document.documentElement.dataset.loaded"))
        url_field = driver.find_element(By.ID, "service-url")
        assert url_field.get_attribute("value") == "http://127.0.0.1:8000"
        url_field.clear()
        url_field.send_keys(factcheck_server.base + "/")
        driver.find_element(By.ID, "api-key").send_keys("not-needed-here")
        driver.find_element(By.ID, "label-entailment").click()  # off
        driver.find_element(By.ID, "label-entailment").click()  # on again
        probability = driver.find_element(By.ID, "min-probability")
        probability.clear()
        probability.send_keys("0.6")
        driver.find_element(By.ID, "save").click()
        status = driver.find_element(By.ID, "status")
        wait_for(lambda: status.text.startswith("Saved"), timeout_s=10, message="Saved")
        assert factcheck_server.base in status.text

        driver.refresh()
        wait_for(lambda: driver.execute_script("return document.documentElement.dataset.loaded"))
        assert driver.find_element(By.ID, "service-url").get_attribute("value") == (
            factcheck_server.base
        )
        assert driver.find_element(By.ID, "min-probability").get_attribute("value") == "0.6"
        stored = driver.execute_script("return chrome.storage.local.get(null);")
        assert stored["serviceUrl"] == factcheck_server.base
        assert stored["apiKey"] == "not-needed-here"
        assert stored["labels"] == ["contradiction", "entailment"]
        assert stored["minProbability"] == 0.6

        driver.find_element(By.ID, "test-connection").click()
        wait_for(
            lambda: driver.find_element(By.ID, "status").text.startswith("Connected"),
            timeout_s=30,
            message="the connection test",
        )
        assert "5 articles" in driver.find_element(By.ID, "status").text
        driver.save_screenshot(str(screenshot_dir / "plugin-options.png"))

        bad = driver.find_element(By.ID, "service-url")
        bad.clear()
        bad.send_keys("ftp://example.org")
        driver.find_element(By.ID, "save").click()
        wait_for(lambda: "http://" in driver.find_element(By.ID, "status").text, timeout_s=10)
        assert driver.execute_script("return chrome.storage.local.get('serviceUrl');") == {
            "serviceUrl": factcheck_server.base
        }
    finally:
        driver.switch_to.window(extension.page_window)


def test_draft_highlighted_exactly_where_the_service_flags(
    configured, factcheck_server, pages_url, screenshot_dir
):
    driver = configured.driver
    open_page(driver, f"{pages_url}/editor.html")
    field = type_draft(driver, DRAFT)
    assert field.get_attribute("value") == DRAFT
    expected = factcheck_server.flag(DRAFT)
    assert expected, "the service flags nothing in the draft; the test draft needs changing"

    check_and_wait(configured)
    shown = highlights(driver)
    assert spans(shown) == {(f["label"], f["start"], f["end"]) for f in expected}
    for item in shown:
        assert item["onMirror"] and item["sameNode"], item
        assert item["text"] == DRAFT[item["start"] : item["end"]]
    assert configured.badge(driver.current_url) == str(len(expected))
    assert field.get_attribute("value") == DRAFT, "the editor's text was changed"
    assert "flagged" in message_text(driver)

    # the highlights are painted, in their colours, where the sentences are
    png = driver.get_screenshot_as_png()
    colours = {"contradiction": "red", "entailment": "green"}
    for item in shown:
        assert painted(png, item["rects"][0], colours[item["label"]]) > 50, item
    driver.save_screenshot(str(screenshot_dir / "plugin-draft.png"))


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="issue 10: the shipped model reads 'There were 20 US Troops that were killed in "
    "Afghanistan in 2019 but ...' against 'Around 20 US troops were killed ...' as neutral "
    "(0.82), so the troops sentence is not flagged, and seed 003's 'would not shut down or "
    "relocate its embassy' against the embassy sentence as neutral (0.78), so another "
    "sentence refutes it (model card, known weaknesses)",
)
def test_issue_examples_embassy_contradicted_and_troops_supported(
    configured, factcheck_server, pages_url, screenshot_dir
):
    """The issue's acceptance example: seed 003 contradicts the embassy sentence, a seed
    sentence on the 20 deaths in 2019 supports the other; cards show those sentences."""
    driver = configured.driver
    open_page(driver, f"{pages_url}/editor.html")
    field = type_draft(driver, DRAFT)
    check_and_wait(configured)
    shown = {i["text"]: i for i in highlights(driver)}

    embassy = shown.get(EMBASSY)
    troops = shown.get(TROOPS)
    assert embassy is not None and troops is not None, sorted(shown)
    assert (embassy["start"], embassy["end"]) == (
        DRAFT.index(EMBASSY),
        DRAFT.index(EMBASSY) + len(EMBASSY),
    )
    assert (troops["start"], troops["end"]) == (
        DRAFT.index(TROOPS),
        DRAFT.index(TROOPS) + len(TROOPS),
    )
    assert embassy["label"] == "contradiction"
    assert troops["label"] == "entailment"

    flags = {f["sentence"]: f for f in factcheck_server.flag(DRAFT)}
    seed_003 = [
        e
        for e in flags[EMBASSY]["evidence"]
        if factcheck_server.get(f"/articles/{e['article_id']}")["source"].startswith("003_")
        and "embassy" in e["sentence"]
    ]
    assert seed_003, flags[EMBASSY]["evidence"]
    deaths = [
        e for e in flags[TROOPS]["evidence"] if "20" in e["sentence"] and "2019" in e["sentence"]
    ]
    assert deaths, flags[TROOPS]["evidence"]

    card = open_card(driver, field, troops)
    assert "Supported by the archive" in card.text
    assert rendered(deaths[0]["sentence"]) in rendered(card.text)
    driver.find_element(By.CSS_SELECTOR, "#factcheck-card .factcheck-card__close").click()

    card = open_card(driver, field, embassy)
    text = card.text
    assert "Contradicted by the archive" in text
    assert rendered(seed_003[0]["sentence"]) in rendered(text)
    article = factcheck_server.get(f"/articles/{seed_003[0]['article_id']}")
    assert article["title"] in text
    assert article["published"] in text  # 2021-09-10
    link = card.find_element(By.CSS_SELECTOR, "a.factcheck-evidence__link")
    assert link.get_attribute("href") == (
        f"{factcheck_server.base}/#/articles/{seed_003[0]['article_id']}"
        f"?start={seed_003[0]['start']}&end={seed_003[0]['end']}"
    )
    driver.save_screenshot(str(screenshot_dir / "plugin-issue-example.png"))


def test_card_shows_the_evidence_of_every_highlight(
    configured, factcheck_server, pages_url, screenshot_dir
):
    """Whatever the model says: each highlight's card shows its strongest archive sentence
    with its article's title."""
    driver = configured.driver
    open_page(driver, f"{pages_url}/editor.html")
    field = type_draft(driver, DRAFT)
    check_and_wait(configured)
    expected = {(f["start"], f["end"]): f for f in factcheck_server.flag(DRAFT)}
    shown = highlights(driver)
    # a click pins the card: it stays when the pointer leaves
    hover(driver, field, shown[0]["rects"][0])
    ActionChains(driver).click().perform()
    ActionChains(driver).move_to_element_with_offset(field, 0, 120).perform()
    time.sleep(1.0)
    assert driver.find_elements(By.CSS_SELECTOR, "#factcheck-card .factcheck-card")
    # what the shipped model shows today (the issue's example test saves its own view
    # only when the model gets that example right)
    driver.save_screenshot(str(screenshot_dir / "plugin-card.png"))
    for item in shown:
        flag = expected[(item["start"], item["end"])]
        text = open_card(driver, field, item).text
        assert rendered(flag["sentence"]) in rendered(text)
        top = flag["evidence"][0]
        assert rendered(top["sentence"]) in rendered(text)
        title = top["title"] or factcheck_server.get(f"/articles/{top['article_id']}")["source"]
        assert rendered(title) in rendered(text)
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        wait_for(
            lambda: not driver.find_elements(By.ID, "factcheck-card"),
            timeout_s=5,
            message="Escape to close the card",
        )


def test_recheck_after_an_edit(configured, factcheck_server, pages_url):
    driver = configured.driver
    open_page(driver, f"{pages_url}/editor.html")
    field = type_draft(driver, DRAFT)
    check_and_wait(configured)
    before = spans(highlights(driver))
    assert before

    # delete the last sentence and the troops sentence after it: 2 sentences, typed away
    tail = DRAFT[DRAFT.index(TROOPS) :]
    field.send_keys(Keys.END)
    field.send_keys(Keys.BACKSPACE * len(tail))
    edited = DRAFT[: DRAFT.index(TROOPS)]
    assert field.get_attribute("value") == edited
    wait_for(lambda: state(driver) == "done", timeout_s=60, message="the re-check")
    expected = {(f["label"], f["start"], f["end"]) for f in factcheck_server.flag(edited)}
    wait_for(lambda: spans(highlights(driver)) == expected, timeout_s=10, message="new highlights")
    assert spans(highlights(driver)) != before


def test_rich_text_editor_highlighted_without_touching_its_dom(
    configured, factcheck_server, pages_url, screenshot_dir
):
    driver = configured.driver
    open_page(driver, f"{pages_url}/rich.html")
    editor = driver.find_element(By.ID, "editor")
    html_before = editor.get_attribute("innerHTML")
    editor.click()
    check_and_wait(configured)
    shown = highlights(driver)
    text = driver.execute_script("return arguments[0].innerText;", editor)
    expected = {(f["label"], normalise(f["sentence"])) for f in factcheck_server.flag(text)}
    assert expected
    assert {(i["label"], normalise(i["text"])) for i in shown} == expected
    assert all(not i["onMirror"] for i in shown)
    assert editor.get_attribute("innerHTML") == html_before, "the editor's DOM was rewritten"
    driver.save_screenshot(str(screenshot_dir / "plugin-rich-editor.png"))

    # typing in it checks it again
    editor.send_keys(Keys.END, " The embassy in Kabul stayed open.")
    wait_for(lambda: state(driver) == "stale", timeout_s=10, message="the edit to be seen")
    wait_for(lambda: state(driver) == "done", timeout_s=60, message="the re-check")
    text = driver.execute_script("return arguments[0].innerText;", editor)
    assert "stayed open" in text
    expected = {(f["label"], normalise(f["sentence"])) for f in factcheck_server.flag(text)}
    assert {(i["label"], normalise(i["text"])) for i in highlights(driver)} == expected


def test_article_text_of_a_page_without_an_editor(configured, factcheck_server, pages_url):
    driver = configured.driver
    open_page(driver, f"{pages_url}/article.html")
    check_and_wait(configured)
    article = driver.find_element(By.TAG_NAME, "article")
    text = driver.execute_script("return arguments[0].innerText;", article)
    expected = {(f["label"], normalise(f["sentence"])) for f in factcheck_server.flag(text)}
    assert {(i["label"], normalise(i["text"])) for i in highlights(driver)} == expected
    assert "Advertisement" not in " ".join(i["text"] for i in highlights(driver))


def test_context_menu_entry_checks_the_selection(configured, factcheck_server, pages_url):
    """The menu entry is registered, and choosing it on a selection checks that selection
    only (the menu is chosen through the worker's own listener: headless chromium shows no
    menus to click)."""
    driver = configured.driver
    open_page(driver, f"{pages_url}/article.html")
    selected = driver.execute_script(
        "const p = document.querySelectorAll('article p')[1];"
        "const range = document.createRange(); range.selectNodeContents(p);"
        "getSelection().removeAllRanges(); getSelection().addRange(range);"
        "return getSelection().toString();"
    )
    assert selected == TROOPS
    driver.execute_script("delete document.documentElement.dataset.factcheckState")
    # wakes the worker if it went idle, then chooses the menu entry in this tab
    configured.in_options("return chrome.runtime.sendMessage({type: 'factcheck:none'});")
    configured.devtools.in_service_worker(
        configured.id,
        f"""(async () => {{
            await chrome.contextMenus.update(MENU_ID, {{}});  // fails if it is not registered
            const [tab] = await chrome.tabs.query({{url: {driver.current_url!r}}});
            onMenuClicked({{menuItemId: MENU_ID, selectionText: {selected!r}, frameId: 0}}, tab);
        }})()""",
    )
    wait_for(lambda: state(driver) in ("done", "error"), message="the menu's check")
    assert state(driver) == "done", message_text(driver)
    expected = {(f["label"], normalise(f["sentence"])) for f in factcheck_server.flag(selected)}
    assert {(i["label"], normalise(i["text"])) for i in highlights(driver)} == expected


def test_labels_and_probability_options_filter_the_highlights(
    configured, factcheck_server, pages_url
):
    driver = configured.driver
    configured.configure(labels=["contradiction"])
    open_page(driver, f"{pages_url}/editor.html")
    type_draft(driver, DRAFT)
    check_and_wait(configured)
    expected = factcheck_server.flag(DRAFT)
    assert spans(highlights(driver)) == {
        (f["label"], f["start"], f["end"]) for f in expected if f["label"] == "contradiction"
    }
    configured.configure(labels=["contradiction", "entailment"], minProbability=1.0)
    check_and_wait(configured)
    assert spans(highlights(driver)) == {
        (f["label"], f["start"], f["end"]) for f in expected if f["probability"] >= 1.0
    }


def test_long_draft_sent_in_chunks_with_offsets_mapped_back(
    configured, factcheck_server, pages_url
):
    driver = configured.driver
    filler = "\n\n".join(
        f"Paragraph {i}. The council discussed opening hours of library branch {i} "
        f"and the bicycle racks on street number {i}. Residents asked for benches {i}."
        for i in range(300)
    )
    # an emoji is 1 character for the service and 2 for the browser: offsets after it move
    long_draft = f"{filler}\n\nA smile \U0001f600 for the readers.\n\n{DRAFT}"
    assert 40_000 < len(long_draft) < 200_000
    open_page(driver, f"{pages_url}/editor.html")
    set_field(driver, long_draft)
    requests_before = flag_requests(factcheck_server)
    check_and_wait(configured, timeout_s=240)
    assert flag_requests(factcheck_server) - requests_before >= 3, "sent in one piece"
    expected = factcheck_server.flag(long_draft)
    shown = highlights(driver)
    assert spans(shown) == {(f["label"], f["start"], f["end"]) for f in expected}
    units = long_draft.encode("utf-16-le")  # the browser's offsets count UTF-16 units
    for i in shown:
        assert units[2 * i["start"] : 2 * i["end"]].decode("utf-16-le") == i["text"]
    assert any(i["start"] > long_draft.index("\U0001f600") for i in shown), "DRAFT not flagged"


def flag_requests(server) -> float:
    import urllib.request

    with urllib.request.urlopen(server.base + "/metrics", timeout=30) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("factcheck_http_requests_total{") and 'route="/flag"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_too_long_text_gets_a_clear_message(configured, pages_url):
    driver = configured.driver
    open_page(driver, f"{pages_url}/editor.html")
    set_field(driver, "word " * 40_001)
    check_and_wait(configured, expect="error")
    assert "too long" in message_text(driver)
    assert "200,000" in message_text(driver)
    assert configured.badge(driver.current_url) == "!"
    assert highlights(driver) == []


def test_unreachable_service_gets_a_clear_message(configured, pages_url, screenshot_dir):
    driver = configured.driver
    dead = f"http://127.0.0.1:{closed_port()}"
    configured.configure(serviceUrl=dead)
    open_page(driver, f"{pages_url}/editor.html")
    type_draft(driver, DRAFT)
    check_and_wait(configured, expect="error")
    text = message_text(driver)
    assert f"The factcheck service at {dead} cannot be reached" in text
    assert "service URL" in text
    assert configured.badge(driver.current_url) == "!"
    assert highlights(driver) == []
    driver.save_screenshot(str(screenshot_dir / "plugin-unreachable.png"))


def test_a_rejected_key_gets_a_clear_message(configured, pages_url, factcheck_server):
    """A service behind a proxy that refuses the key: the plugin says which setting to fix.
    (The test service needs no key for reads, so its answer is stood in for here.)"""
    message = configured.in_options(
        "return FactcheckClient.errorFor(arguments[0], 403, {detail: 'invalid API key'}).message;",
        factcheck_server.base,
    )
    assert "refused the API key" in message
    assert "options" in message

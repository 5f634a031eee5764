"""The expert's way: the XML editor (CodeMirror) highlights, completes from the XSD, underlines
problems where they are as you type, and submits through the form's own textarea."""

import os

import pytest

from pipelines_app.testing import PASSWORD, make_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("HUB_SHOTS_DIR")

BROKEN = """<pipeline id="orders" version="1.0" layer="staging">
  <sources>
    <csv id="orders" path="landing/orders.csv" inferSchema="true"/>
  </sources>
  <transformations>
    <sort source="ordrs" orderBy="order_id"/>
  </transformations>
  <targets><hive table="staging.orders"/></targets>
</pipeline>
"""

EDITOR = "[data-xml-editor] .cm-content"


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def completions(page, expected: str) -> list[str]:
    """The options of the completion list, once it offers ``expected``."""
    options = page.locator(".cm-tooltip-autocomplete li")
    options.filter(has_text=expected).first.wait_for()
    return options.locator(".cm-completionLabel").all_inner_texts()


def replace_text(page, text: str) -> None:
    page.click(EDITOR)
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)


def colour_of(page, text: str) -> str | None:
    """The colour of the first innermost span in the editor whose text is ``text``."""
    return page.evaluate(
        """text => { const span = Array.from(document.querySelectorAll('.cm-line span'))
               .find(s => s.textContent === text && !s.firstElementChild);
               return span ? getComputedStyle(span).color : null; }""",
        text,
    )


def underlined_lines(page) -> list[int]:
    """1-based line numbers of the lines holding an error underline."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.cm-lintRange-error')).map(mark => {
               const lines = Array.from(document.querySelectorAll('.cm-content .cm-line'));
               return lines.indexOf(mark.closest('.cm-line')) + 1; })"""
    )


def test_new_xml_opens_a_pipeline_skeleton_in_the_code_editor(page, login, db):
    make_personas("sales")
    login("alice", PASSWORD)
    page.goto("/pipelines/new/?mode=xml")
    page.locator(EDITOR).wait_for()
    # the textarea is still the form field, hidden behind the editor
    assert not page.locator("textarea[name=xml]").is_visible()
    assert page.locator(EDITOR).inner_text().startswith("<pipeline id=")
    # highlighting: a tag name is coloured differently from an attribute value
    colours = [colour_of(page, "pipeline"), colour_of(page, '"staging"')]
    assert None not in colours and colours[0] != colours[1]
    # the language reference is a link that opens the docs
    link = page.get_by_role("link", name="The language reference")
    href = link.get_attribute("href")
    page.goto(href)
    assert "pipeline language" in page.locator("h1").inner_text().lower()


def test_an_expert_types_xml_with_completion_sees_problems_underlined_fixes_and_submits(
    page, login, db
):
    # given
    make_personas("sales")
    login("alice", PASSWORD)
    page.goto("/pipelines/new/?mode=xml")
    page.locator(EDITOR).wait_for()
    replace_text(page, BROKEN)
    # when: a new step is typed inside <transformations>
    page.locator(".cm-line", has_text="<transformations>").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("<")
    # then: the XSD's transformations are offered
    offered = completions(page, "sort")
    assert {"sort", "mask", "aggregate", "deduplicate"} <= set(offered)
    assert "csv" not in offered  # a source is not allowed here
    page.keyboard.type("mask")
    page.keyboard.press("Escape")
    # then: what was typed is highlighted as a tag name, like the ones already there
    tag, value = colour_of(page, "transformations"), colour_of(page, '"staging"')
    assert colour_of(page, "mask") == tag and tag != value and value is not None
    page.keyboard.type(" ")
    page.keyboard.press("Control+Space")
    assert {"source", "columns", "strategy"} <= set(completions(page, "strategy"))
    page.keyboard.press("Escape")
    page.keyboard.type("strategy=")
    page.keyboard.press("Control+Space")
    assert {'"hash"', '"tokenize"', '"redact"', '"encrypt"'} <= set(completions(page, "hash"))
    shot(page, "xml-editor-completion")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+z")  # the typed line away again
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    replace_text(page, BROKEN)
    # then (without pressing Validate): the unknown dataset is underlined on line 6
    page.locator(".cm-lintRange-error").first.wait_for()
    assert underlined_lines(page) == [6]
    assert page.locator(".cm-lintRange-error").inner_text() == "ordrs"
    problem = page.locator("#xml-problems li").first
    assert problem.inner_text().startswith("6:") and "ordrs" in problem.inner_text()
    page.locator(".cm-lintRange-error").hover()
    page.locator(".cm-tooltip-lint", has_text="ordrs").wait_for()
    shot(page, "xml-editor")
    # when: fixed by typing
    page.locator(".cm-lintRange-error").dblclick()
    page.keyboard.type("orders")
    # then: the underline goes, and the panel says it is valid
    page.get_by_text("Valid. You can submit it for review.").wait_for()
    assert page.locator(".cm-lintRange-error").count() == 0
    textarea = page.locator("textarea[name=xml]").input_value()
    assert 'source="orders"' in textarea and "\r" not in textarea  # LF line endings
    # when
    page.fill("input[name=title]", "Orders staging load")
    page.get_by_role("button", name="Submit for review").click()
    # then
    page.wait_for_url("**/changes/*/")
    assert page.locator("h1").inner_text().startswith("Orders staging load")
    if SHOTS:
        page.goto("/changes/")
        page.screenshot(path=f"{SHOTS}/change-list.png", full_page=True)
        page.goto("/audit/")
        page.screenshot(path=f"{SHOTS}/forbidden.png", full_page=True)
        page.get_by_role("button", name="Sign out").click()
        login("admin", PASSWORD)
        page.goto("/audit/")
        page.screenshot(path=f"{SHOTS}/audit.png", full_page=True)


def test_without_javascript_the_textarea_and_validate_button_still_work(browser, live_server, db):
    make_personas("sales")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login/")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        page.goto("/pipelines/new/?mode=xml")
        page.fill("textarea[name=xml]", BROKEN)
        page.get_by_role("button", name="Validate").click()
        problem = page.locator("#xml-problems li").first
        assert problem.inner_text().startswith("6:") and "ordrs" in problem.inner_text()
    finally:
        context.close()

"""The expert's way: the XML editor validates on demand and shows located errors."""

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


def test_an_expert_validates_xml_fixes_it_and_submits(page, login, db):
    # given
    make_personas("sales")
    login("alice", PASSWORD)
    page.goto("/pipelines/new/?mode=xml")
    # when: the XML names a dataset that does not exist
    page.fill("textarea[name=xml]", BROKEN)
    page.get_by_role("button", name="Validate").click()
    # then: the problem is shown with its line and column, and what to do
    problem = page.locator("#xml-problems li").first
    problem.wait_for()
    assert problem.inner_text().startswith("6:")
    assert "ordrs" in problem.inner_text()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/xml-editor.png", full_page=True)
    # when: fixed and submitted
    page.fill("textarea[name=xml]", BROKEN.replace("ordrs", "orders"))
    page.get_by_role("button", name="Validate").click()
    page.get_by_text("Valid. You can submit it for review.").wait_for()
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

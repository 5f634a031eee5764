"""The flow people click through: an author builds a pipeline in the wizard and submits it; a
reviewer finds it in the queue, reads its diff and governance findings, approves; it is on main."""

import os

import pytest

from config_repo import Actor
from pipelines_app.services import config_repository
from pipelines_app.testing import PASSWORD, make_personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("HUB_SHOTS_DIR")  # set it to keep screenshots of each page

SCHEMA = b"""{"type": "record", "name": "customer", "fields": [
  {"name": "customer_id", "type": "long"}, {"name": "email", "type": ["null", "string"]},
  {"name": "phone", "type": ["null", "string"]}, {"name": "updated_at", "type": "string"}]}
"""


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def cast(settings):
    cast = make_personas("sales")
    config_repository().commit(
        "main",
        {"applications/sales/service/schemas/customer.avsc": SCHEMA},
        message="seed schema",
        author=Actor(name="Seeder", email="seed@example.com"),
    )
    return cast


def sign_in_as(page, login, name):
    if page.get_by_role("button", name="Sign out").count():
        page.get_by_role("button", name="Sign out").click()
    login(name, PASSWORD)


def build_pipeline_in_the_wizard(page):
    page.goto("/pipelines/new/")
    page.select_option("select[name=application]", "sales")
    page.select_option("select[name=layer]", "service")
    page.fill("input[name=id]", "customer_service")
    page.fill("input[name=owner]", "customer-team")
    page.fill("input[name=sla]", "PT2H")
    page.fill("input[name=schedule]", "0 * * * *")
    page.get_by_text("Runs every hour at minute 0").wait_for()
    shot(page, "wizard-basics")
    page.get_by_role("button", name="Next: Sources →").click()

    page.get_by_role("button", name="+ CSV file").click()
    page.fill("input[name=r0-id]", "customers")
    page.fill("input[name=r0-path]", "landing/customers.csv")
    page.fill("input[name=r0-schema_ref]", "schemas/customer.avsc")
    shot(page, "wizard-sources")
    page.get_by_role("button", name="Next →").click()

    page.get_by_role("button", name="+ Deduplicate").click()
    page.fill("input[name=r0-source]", "customers")
    page.fill("input[name=r0-keys]", "customer_id")
    page.select_option("select[name=r0-keep]", "latest")
    page.get_by_role("button", name="+ Mask").click()
    page.fill("input[name=r1-source]", "customers")
    page.fill("input[name=r1-columns]", "email")
    page.select_option("select[name=r1-strategy]", "redact")
    shot(page, "wizard-transformations")
    page.get_by_role("button", name="Next →").click()

    page.get_by_role("button", name="+ Hive table").click()
    page.fill("input[name=r0-table]", "service.customer_service")
    shot(page, "wizard-targets")
    page.get_by_role("button", name="Next →").click()

    page.get_by_role("button", name="+ Parameter").click()
    page.fill("input[name=r0-name]", "region")
    page.fill("input[name=r0-default]", "eu")
    page.get_by_role("button", name="+ Webhook").click()
    page.fill("input[name=r1-url]", "https://hooks.example.com/runs")
    page.fill("input[name=r1-secret_ref]", "sales.ops-hook")
    page.get_by_text("never in the XML").wait_for()
    shot(page, "wizard-parameters")
    page.get_by_role("button", name="Next →").click()


def test_an_author_proposes_and_a_reviewer_approves_into_main(page, login, cast):
    # given: alice, an author, builds the pipeline
    sign_in_as(page, login, "alice")
    build_pipeline_in_the_wizard(page)
    # then: the review step shows the generated XML and says it is valid
    assert "<deduplicate" in page.locator(".xml-view").inner_text()
    assert page.get_by_text("The pipeline is valid").is_visible()
    shot(page, "wizard-review")
    # when: she submits it
    page.fill("input[name=title]", "Customer service table")
    page.get_by_role("button", name="Submit for review").click()
    # then: the change page, in review, without a button to approve her own change
    page.wait_for_url("**/changes/*/")
    assert page.locator("h1 .badge").inner_text() == "In review"
    assert page.get_by_role("button", name="Approve").count() == 0
    status = page.evaluate(
        """async () => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const r = await fetch(location.pathname + 'review/approve/', {method: 'POST',
                headers: {'X-CSRFToken': token}, body: new URLSearchParams({comment: 'me'})});
            return r.status;
        }"""
    )
    assert status == 403
    change_url = page.url

    # when: bob, a reviewer, opens his queue
    sign_in_as(page, login, "bob")
    page.goto("/reviews/")
    row = page.locator("table.queue tbody tr").filter(has_text="Customer service table")
    assert "alice" in row.inner_text() and "1 finding" in row.inner_text()
    shot(page, "review-queue")
    row.get_by_role("link").click()
    page.wait_for_url("**/changes/*/")
    # then: the diff and the governance finding (phone reaches a service target unmasked)
    assert page.locator("pre.diff .add").count() > 10
    assert "phone" in page.locator(".governance").inner_text()
    shot(page, "change-page")
    # when: he approves with an override reason
    page.fill("textarea[name=comment]", "Fine for the CRM export.")
    page.fill("textarea[name=override_reason]", "Phone is needed by the call centre.")
    page.get_by_role("button", name="Approve").click()
    # then: merged, and the pipeline is in the catalog on main
    assert page.url == change_url
    assert page.locator("h1 .badge").inner_text() == "Merged"
    page.goto("/pipelines/")
    assert page.get_by_role("link", name="customer_service").is_visible()
    shot(page, "catalog")
    page.get_by_role("link", name="customer_service").click()
    page.wait_for_url("**/pipelines/sales/service/pipeline/customer_service/")
    assert "approved by bob" in page.locator(".history").inner_text()
    shot(page, "definition")

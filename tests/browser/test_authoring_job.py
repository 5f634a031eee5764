"""An author builds a job pipeline in the guided form: two published pipelines chained, the
second retried twice on failure, then submits it for review."""

import os

import pytest

from config_repo import Actor
from pipelines_app.services import config_repository
from pipelines_app.testing import CUSTOMER_SCHEMA, PASSWORD, make_personas, pipeline_xml

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("HUB_SHOTS_DIR")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def published(settings):
    """Alice authors "sales", whose main holds two pipelines."""
    cast = make_personas("sales")
    files = {"applications/sales/staging/schemas/customer.avsc": CUSTOMER_SCHEMA}
    for name in ("customer_load", "orders_load"):
        files[f"applications/sales/staging/pipelines/{name}.xml"] = pipeline_xml(name)
    config_repository().commit(
        "main", files, message="seed", author=Actor(name="Seeder", email="seed@example.com")
    )
    return cast


def node_layers(page) -> dict[str, str]:
    """Pipeline id -> column of its box in the job graph."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('#job-dag .dag-node'))
               .map(node => [node.dataset.id, node.dataset.layer]))"""
    )


class redraws:
    """Around an action that has htmx draw the form again: waits until the new form is in."""

    def __init__(self, page):
        self.page = page

    def __enter__(self):
        self.page.evaluate("document.getElementById('job-body').dataset.old = '1'")

    def __exit__(self, *exc):
        if exc[0] is None:
            self.page.wait_for_function(
                "() => { const f = document.getElementById('job-body');"
                " return f && !f.dataset.old && !document.querySelector('.htmx-settling'); }"
            )


def test_an_author_chains_two_published_pipelines_with_retries_and_submits(page, login, published):
    # given
    login("alice", PASSWORD)
    page.goto("/pipelines/new/job/")
    with redraws(page):
        page.select_option("select[name=application]", "sales")
    page.select_option("select[name=layer]", "service")
    page.fill("input[name=id]", "nightly_customers")
    page.fill("input[name=owner]", "customer-team")
    page.fill("input[name=sla]", "PT4H")
    page.fill("input[name=schedule]", "0 2 * * *")
    page.get_by_text("Runs every day at 02:00").wait_for()
    # when: two pipelines, the second after the first, retried twice
    with redraws(page):
        page.get_by_role("button", name="+ Pipeline").click()
    with redraws(page):
        page.select_option("select[name=p0-id]", "customer_load")
    with redraws(page):
        page.get_by_role("button", name="+ Pipeline").click()
    with redraws(page):
        page.select_option("select[name=p1-id]", "orders_load")
    # then: the graph shows both pipelines starting together
    graph = page.locator("#job-dag svg")
    graph.wait_for()
    assert node_layers(page) == {"customer_load": "0", "orders_load": "0"}
    assert graph.locator(".dag-edge").count() == 0
    # when: "Runs after" is ticked with one click, no Ctrl
    runs_after = page.locator("fieldset.ref-card").nth(1).locator("[data-field=depends_on]")
    runs_after.get_by_text("customer_load").click()
    # then: an arrow from customer_load to orders_load, which moves to the next column
    edge = graph.locator(".dag-edge[data-from=customer_load][data-to=orders_load]")
    edge.wait_for(state="attached")  # a straight line has no height: "hidden" to Playwright
    assert node_layers(page) == {"customer_load": "0", "orders_load": "1"}
    assert runs_after.locator("input[value=customer_load]").is_checked()
    retries = page.locator("[data-field=max_retries] input[name=p1-max_retries]")
    fallback = page.locator("select[name=p1-fallback]")
    retries.wait_for(state="hidden")  # halt, the default, has neither
    fallback.wait_for(state="hidden")
    page.select_option("select[name=p1-on_failure]", "retry")
    # then: only the retry count shows
    retries.wait_for(state="visible")
    assert not fallback.is_visible()
    retries.fill("2")
    # then: the graph shows what happens when it fails
    graph.locator(".dag-node[data-id=orders_load]", has_text="retry \u00d72").wait_for()
    assert "halt" in graph.locator(".dag-node[data-id=customer_load]").text_content()
    with redraws(page):
        page.get_by_role("button", name="+ Email").click()
    page.fill("input[name=x0-to]", "customer-team@example.com")
    shot(page, "job-form")
    # when
    page.get_by_role("button", name="Review →").click()
    page.wait_for_url("**/review/")
    # then: the canonical XML, valid
    page.get_by_text("The job is valid.").wait_for()
    xml = page.locator(".xml-view").inner_text()
    assert 'dependsOn="customer_load"' in xml and 'maxRetries="2"' in xml
    shot(page, "job-review")
    # when
    page.fill("input[name=title]", "Nightly customers job")
    page.get_by_role("button", name="Submit for review").click()
    # then: the change request is in review
    page.wait_for_url("**/changes/*/")
    assert page.locator("h1").inner_text().startswith("Nightly customers job")
    assert page.locator("h1 .badge").inner_text() == "In review"
    shot(page, "job-change")


def test_the_job_graph_follows_the_rows_as_they_change(page, login, published):
    # given: four published pipelines
    files = {
        f"applications/sales/staging/pipelines/{name}.xml": pipeline_xml(name)
        for name in ("revenue_daily", "revenue_report")
    }
    config_repository().commit(
        "main", files, message="more", author=Actor(name="Seeder", email="seed@example.com")
    )
    login("alice", PASSWORD)
    page.goto("/pipelines/new/job/")
    with redraws(page):
        page.select_option("select[name=application]", "sales")
    names = ["customer_load", "orders_load", "revenue_daily", "revenue_report"]
    for index, name in enumerate(names):
        with redraws(page):
            page.get_by_role("button", name="+ Pipeline").click()
        with redraws(page):
            page.select_option(f"select[name=p{index}-id]", name)
    cards = page.locator("fieldset.ref-card")

    def tick(row: int, name: str) -> None:
        cards.nth(row).locator("[data-field=depends_on]").get_by_text(name).click()

    # when: revenue_daily waits for both loads, the report for revenue_daily
    tick(2, "customer_load")
    tick(2, "orders_load")
    tick(3, "revenue_daily")
    # then: three columns, fan-in of two arrows
    graph = page.locator("#job-dag svg")
    graph.locator(".dag-edge[data-from=revenue_daily][data-to=revenue_report]").wait_for(
        state="attached"
    )
    assert node_layers(page) == {
        "customer_load": "0",
        "orders_load": "0",
        "revenue_daily": "1",
        "revenue_report": "2",
    }
    assert graph.locator(".dag-edge[data-to=revenue_daily]").count() == 2
    # when: the report may be skipped, revenue_daily falls back to the report... of yesterday
    page.select_option("select[name=p3-on_failure]", "skip")
    page.select_option("select[name=p2-on_failure]", "fallback")
    page.select_option("select[name=p2-fallback]", "revenue_report")
    graph.locator(".dag-node[data-id=revenue_daily]", has_text="run revenue_report").wait_for()
    assert "skip" in graph.locator(".dag-node[data-id=revenue_report]").text_content()
    legend = page.locator("#job-dag .dag-legend").inner_text()
    assert legend == "4 pipelines in 3 stages; customer_load, orders_load start first."
    if SHOTS:
        page.locator("#pipelines").screenshot(path=f"{SHOTS}/job-graph.png")
    # when: a dependency is unticked
    tick(2, "orders_load")
    # then: its arrow goes
    graph.locator(".dag-edge[data-from=orders_load]").wait_for(state="detached")
    # when: a row is removed (the form is drawn again by the server)
    with redraws(page):
        cards.nth(1).get_by_role("button", name="Remove").click()
    # then: the graph is drawn again from the rows that are left
    assert set(node_layers(page)) == {"customer_load", "revenue_daily", "revenue_report"}

"""The run list in a real browser, on whichever database DATABASE_URL names: ``make test`` runs
this file on PostgreSQL and again on SQLite (the embedded default), where the list once answered
500. ``HUB_SHOTS=/tmp/shots`` saves screenshots of the list, the phone-width navigation and a
long diff line (one set per database)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from pipelines_app.testing import PASSWORD, make_personas
from runs_app.models import JobNodeRun
from tests.runs_app.pages import job_run, pipeline_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROWS = "table.runs tbody tr"


def screenshot(page, name: str) -> None:
    shots = os.environ.get("HUB_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"{name}-{connection.vendor}.png"))


@pytest.fixture
def cast(login):
    cast = make_personas("sales")
    cast.olga.set_password(PASSWORD)
    cast.olga.save(update_fields=["password"])
    return cast


@pytest.fixture
def runs(cast):
    now = timezone.now()
    failed = pipeline_run(pipeline_id="customer_load", status="failed")
    pipeline_run(pipeline_id="orders_load", status="succeeded", queued_at=now - timedelta(hours=3))
    job = job_run(job_id="nightly", status="running")
    node = pipeline_run(pipeline_id="customer_load", status="running", job_run=job, job_node="a")
    JobNodeRun.objects.filter(job_run=job).update(current_run=node)
    pipeline_run(application=cast.other.name, pipeline_id="secret_load", status="failed")
    for hours in range(60):  # older than two days: more than a page of them
        pipeline_run(pipeline_id="archive_load", queued_at=now - timedelta(days=2, hours=hours))
    return {"failed": failed, "job": job}


def test_an_operator_filters_the_run_list_and_pages_through_it(page, login, cast, runs):
    # given the run list of a member of sales
    login("olga", PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/runs/")
    expect(page.locator(ROWS)).to_have_count(50)
    expect(page.locator("table.runs")).not_to_contain_text("secret_load")
    expect(page.locator(f"#row-{runs['job'].id}")).to_contain_text("nightly")
    screenshot(page, "run-list")

    # when: the last day only, then without the runs inside jobs
    page.select_option("select[name=range]", "24h")
    expect(page.locator(ROWS)).to_have_count(4)  # two pipeline runs, the job, its node's run
    page.check("input[name=top]")
    expect(page.locator(ROWS)).to_have_count(3)

    # when: failed ones
    page.select_option("select[name=status]", "failed")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(f"#row-{runs['failed'].id}")).to_contain_text("customer_load")
    page.wait_for_url("**/runs/?*status=failed*")

    # when: a job by name, any status
    page.select_option("select[name=status]", "")
    page.fill("input[name=pipeline]", "nightly")
    page.press("input[name=pipeline]", "Enter")
    page.wait_for_url("**/runs/?*pipeline=nightly*")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator("table.runs")).to_contain_text("nightly")

    # then the filters survive a reload, and "Clear" pages through everything
    page.reload()
    expect(page.locator("input[name=pipeline]")).to_have_value("nightly")
    page.click("text=Clear")
    page.click("text=Older runs →")
    expect(page.locator(ROWS)).to_have_count(14)  # 64 runs visible to olga: 50, then 14
    expect(page.locator("table.runs")).to_contain_text("archive_load")


def test_on_a_phone_the_navigation_folds_under_a_menu_button(page, login, cast, runs):
    login("olga", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/runs/")
    nav = page.locator("#main-nav")
    expect(nav).to_be_hidden()
    screenshot(page, "phone-folded")
    page.click("button.menu-toggle")
    expect(nav).to_be_visible()
    expect(page.locator("button.menu-toggle")).to_have_attribute("aria-expanded", "true")
    expect(nav.locator("a", has_text="Runs")).to_be_visible()
    expect(nav.locator("a", has_text="API")).to_be_visible()
    screenshot(page, "phone-menu")
    # the page itself never scrolls sideways; wide tables scroll in their own box
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_long_line_scrolls_inside_the_diff_not_the_page(page, login, cast, settings):
    from pipelines_app import services
    from pipelines_app.services.shared import actor_for
    from pipelines_app.testing import CUSTOMER_SCHEMA, pipeline_xml

    schema = {"applications/sales/service/schemas/customer.avsc": CUSTOMER_SCHEMA}
    services.config_repository().commit("main", schema, "seed", actor_for(cast.admin))
    long_owner = "team-" + "x" * 400
    services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="service",
        kind="pipeline",
        xml=pipeline_xml("customer_export", layer="service", mask=False, owner=long_owner),
        title="Export customers",
    )
    login("olga", PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/changes/")
    page.click("text=Export customers")
    diff = page.locator("pre.diff").first
    expect(diff).to_contain_text(long_owner)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert diff.evaluate("box => box.scrollWidth > box.clientWidth")
    screenshot(page, "change-diff")

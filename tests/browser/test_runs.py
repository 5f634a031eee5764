"""What an operator clicks through on the run pages. The worker is simulated: the test writes the
run rows it would write."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pipelines_app.testing import PASSWORD, make_personas
from runs_app import creation
from runs_app.models import PipelineRun
from tests.runs_app.conftest import Published
from tests.runs_app.pages import alert, job_run, pipeline_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def operator(login):
    cast = make_personas("sales")
    # make_personas caches one hash per process; another suite's fixture may have made it with
    # a hasher this one does not list, so set it here
    cast.olga.set_password(PASSWORD)
    cast.olga.save(update_fields=["password"])
    login("olga", PASSWORD)
    return cast


def test_the_run_list_filters_by_status_and_the_address_keeps_the_filter(page, operator):
    # given
    pipeline_run(pipeline_id="orders_load", status="failed")
    pipeline_run(pipeline_id="customer_load", status="succeeded")
    page.goto("/runs/")
    expect(page.locator("table.runs tbody tr")).to_have_count(2)
    # when
    page.select_option("select[name=status]", "failed")
    # then
    expect(page.locator("table.runs tbody tr")).to_have_count(1)
    expect(page.locator("table.runs")).to_contain_text("orders_load")
    page.wait_for_url("**/runs/?*status=failed*")
    page.reload()
    expect(page.locator("select[name=status]")).to_have_value("failed")


def test_a_running_row_turns_succeeded_in_place(page, operator):
    # given a running run on the list
    run = pipeline_run(status="running")
    page.goto("/runs/")
    row = page.locator(f"#row-{run.id}")
    expect(row.locator(".badge").first).to_have_text("running")
    # when the worker finishes it
    PipelineRun.objects.filter(id=run.id).update(
        status="succeeded",
        finished_at=timezone.now(),
        targets=[{"kind": "hive", "name": "staging.c", "rows_written": 4321, "seconds": 1}],
    )
    # then the row says so without a reload, and stops polling
    expect(row.locator(".badge").first).to_have_text("succeeded")
    expect(row).to_contain_text("4,321")
    expect(row).not_to_have_attribute("hx-trigger", "every 2s")


def test_an_operator_drills_into_a_failed_runs_error_and_traceback(page, operator):
    run = pipeline_run(status="failed")
    page.goto("/runs/")
    page.click(f"#row-{run.id} a.run-link")
    expect(page.locator(".error-box")).to_contain_text("schema mismatch")
    expect(page.locator(".error-box")).to_contain_text("Where: source customers")
    traceback = page.locator("pre.traceback")
    expect(traceback).to_be_hidden()
    page.click("summary:has-text('Traceback')")
    expect(traceback).to_be_visible()
    expect(traceback).to_contain_text("AnalysisException")


def test_an_operator_cancels_a_queued_run(page, operator):
    run = pipeline_run(status="queued")
    page.goto(f"/runs/{run.id}/")
    page.click("button:has-text('Cancel run')")
    expect(page.locator(".messages")).to_contain_text("Cancelled.")
    expect(page.locator("#run-status")).to_have_text("cancelled")
    run.refresh_from_db()
    assert run.status == "cancelled"


def test_an_operator_reruns_a_failed_run_and_lands_on_the_new_run(
    page, operator, settings, monkeypatch
):
    # given a failed run of a pipeline published on main
    queued = []
    monkeypatch.setattr(creation, "enqueue", lambda run, countdown=0: queued.append(run.id))
    commit = Published(settings.HUB_CONFIG_REPO).commit(
        {"applications/sales/staging/pipelines/daily_sales.xml": DAILY_SALES}
    )
    failed = pipeline_run(
        pipeline_id="daily_sales",
        status="failed",
        config_commit=commit,
        params={"runDate": "2026-11-25"},
    )
    page.goto(f"/runs/{failed.id}/")
    # when
    page.click("button:has-text('Rerun on same commit')")
    # then
    expect(page.locator(".messages")).to_contain_text("Rerun queued on its own commit")
    rerun = PipelineRun.objects.get(rerun_of=failed)
    page.wait_for_url(f"**/runs/{rerun.id}/")
    expect(page.locator("#run-status")).to_have_text("queued")
    expect(page.locator(".facts")).to_contain_text("rerun of")
    assert queued == [rerun.id]


def test_an_operator_runs_a_pipeline_now_with_a_parameter(page, operator, settings, monkeypatch):
    # given a pipeline published on main
    monkeypatch.setattr(creation, "enqueue", lambda run, countdown=0: None)
    Published(settings.HUB_CONFIG_REPO).commit(
        {"applications/sales/staging/pipelines/daily_sales.xml": DAILY_SALES}
    )
    page.goto("/runs/")
    page.click("text=Run now")
    # when the operator picks it, its parameters appear; they change one and run it
    expect(page.locator("select[name=application]")).to_have_value("sales")
    page.select_option("select[name=definition]", "pipeline:daily_sales")
    expect(page.locator("input[name=param_region]")).to_have_value("eu")
    page.fill("input[name=param_region]", "nörth")
    page.click("button:has-text('Run daily_sales now')")
    # then
    expect(page.locator(".messages")).to_contain_text("Pipeline daily_sales queued.")
    expect(page.locator(".facts")).to_contain_text("region=nörth")
    assert PipelineRun.objects.get().triggered_by.username == "olga"


def test_acknowledging_an_alert_updates_the_row_and_the_unread_badge(page, operator):
    first = alert(pipeline_run(status="failed"), message="orders_load failed: first")
    alert(pipeline_run(status="failed"), message="orders_load failed: second")
    page.goto("/alerts/")
    expect(page.locator("#alerts-unread")).to_have_text("2 unread")
    page.locator(f"#alert-{first.id} button").click()
    expect(page.locator(f"#alert-{first.id}")).to_contain_text("acknowledged by olga")
    expect(page.locator("#alerts-unread")).to_have_text("1 unread")


def test_every_run_page_renders_for_an_operator(page, operator, settings):
    """Also takes the screenshots (``HUB_SHOTS=/tmp/shots``) that the docs describe."""
    pages = _sample_runs(settings)
    shots = os.environ.get("HUB_SHOTS")
    page.set_viewport_size({"width": 1280, "height": 900})
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        if name == "failed_run":
            page.click("summary:has-text('Traceback')")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{shots}/{name}.png", full_page=True)


DAILY_SALES = (
    b'<pipeline id="daily_sales" version="1.0" layer="staging"><metadata><sla>PT1H</sla>'
    b'</metadata><parameters><parameter name="region" default="eu"/></parameters>'
    b'<sources><csv id="sales" path="in/sales.csv"/></sources>'
    b'<targets><csv path="out/daily_sales" mode="overwrite"/></targets></pipeline>'
)


def _sample_runs(settings) -> dict[str, str]:
    Published(settings.HUB_CONFIG_REPO).commit(
        {"applications/sales/staging/pipelines/daily_sales.xml": DAILY_SALES}
    )
    now = timezone.now()
    for day in range(14):
        for i in range(day % 4 + 1):
            status = "failed" if (day + i) % 5 == 0 else "succeeded"
            pipeline_run(
                pipeline_id=("customer_load", "orders_load", "daily_sales")[i % 3],
                status=status,
                queued_at=now - timedelta(days=day, hours=i),
                sla_status="breached" if status == "failed" and i % 2 else "met",
            )
    ok = pipeline_run(status="succeeded", pipeline_id="customer_load")
    running = pipeline_run(status="running", pipeline_id="orders_load", sla_status="at_risk")
    failed = pipeline_run(status="failed", pipeline_id="daily_sales", attempt=2)
    alert(failed)
    alert(running, kind="sla_breach", message="orders_load is past 80% of its SLA")
    job = job_run(
        nodes=[
            ("extract_customers", "succeeded", (), 1),
            ("extract_orders", "succeeded", (), 1),
            ("clean_orders", "running", ("extract_orders",), 2),
            ("join_sales", "pending", ("extract_customers", "clean_orders"), 0),
            ("publish_report", "pending", ("join_sales",), 0),
        ]
    )
    return {
        "run_list": "/runs/",
        "succeeded_run": f"/runs/{ok.id}/",
        "failed_run": f"/runs/{failed.id}/",
        "job_run": f"/runs/{job.id}/",
        "run_new": "/runs/new/?application=sales&pipeline=daily_sales",
        "alerts": "/alerts/",
        "dashboard": "/dashboard/",
    }

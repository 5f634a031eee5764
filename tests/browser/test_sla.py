"""The SLA page in Chromium: the 90-day trend, and a click from a day's bar or a figure to the
runs behind it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pipelines_app.testing import PASSWORD, make_personas
from tests.runs_app.pages import pipeline_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def operator(login):
    cast = make_personas("sales")
    cast.olga.set_password(PASSWORD)
    cast.olga.save(update_fields=["password"])
    login("olga", PASSWORD)
    return cast


def test_the_trend_shows_each_day_and_a_bar_opens_that_days_missed_runs(page, operator):
    # given runs with an SLA today and three days ago: one met, one failed on each day
    now = timezone.now()
    for days_ago in (0, 3):
        queued = now - timedelta(days=days_ago, minutes=10)
        deadline = queued + timedelta(hours=1)
        pipeline_run(
            pipeline_id=f"ok_{days_ago}",
            status="succeeded",
            queued_at=queued,
            sla_deadline=deadline,
        )
        pipeline_run(
            pipeline_id=f"bad_{days_ago}", status="failed", queued_at=queued, sla_deadline=deadline
        )
    # when the operator opens the SLA page
    page.goto("/dashboard/")
    page.click("text=trend and pipelines")
    # then the trend has 90 days, two of them with a half-height bar
    chart = page.locator("svg.sla-trend")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.sla-day")).to_have_count(90)
    expect(chart.locator("rect.sla-day:not(.empty)")).to_have_count(2)
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    bar = chart.locator(f'rect.sla-day[data-day="{day}"]')
    expect(bar.locator("title")).to_have_text(
        f"{(timezone.localdate() - timedelta(days=3)):%a %d %b}: 50.0 % met (1 met, 1 missed)"
    )
    # when they click that day's bar
    bar.click()
    # then the run list shows that day's missed run only, and says which filter is on
    page.wait_for_url(f"**/runs/?*day={day}*")
    expect(page.locator("table.runs tbody tr")).to_have_count(1)
    expect(page.locator("table.runs")).to_contain_text("bad_3")
    expect(page.locator(".sla-filter")).to_have_text(
        f"Runs that missed their SLA, queued on {day}."
    )


def test_a_missed_count_opens_the_runs_that_missed(page, operator):
    later = timezone.now() + timedelta(hours=1)
    pipeline_run(pipeline_id="on_time", status="succeeded", sla_deadline=later)
    pipeline_run(pipeline_id="stopped", status="cancelled", sla_deadline=later)
    pipeline_run(pipeline_id="broken", status="failed", sla_deadline=later)
    page.goto("/sla/")
    per_app = page.locator("section[aria-label='Per application']")
    expect(per_app).to_contain_text("33.3")
    per_app.locator("a.sla-missed").click()
    expect(page.locator("table.runs tbody tr")).to_have_count(2)
    expect(page.locator("table.runs")).not_to_contain_text("on_time")

"""SLA truth: only a success by the deadline meets it; failed, cancelled and late runs miss it;
active runs inside their window are pending and not counted. Figures come from the rollups, and
every figure links to the runs behind it."""

import html
import re
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from pipelines_app.testing import make_personas
from runs_app import reports, rollups, services
from runs_app.models import PipelineRun, RunAppDay, RunDay, RunTotal
from tests.runs_app.pages import pipeline_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_personas("sales")


@pytest.fixture
def five_outcomes():
    """One run of each kind, all queued five minutes ago, with a deadline an hour away unless
    said otherwise: a success, a failure, a cancellation, a late success, a pending run, and a
    success without an SLA."""
    later = timezone.now() + timedelta(hours=1)
    queued = timezone.now() - timedelta(minutes=5)
    return {
        "met": pipeline_run(pipeline_id="on_time", status="succeeded", sla_deadline=later),
        "failed": pipeline_run(pipeline_id="broken", status="failed", sla_deadline=later),
        "cancelled": pipeline_run(pipeline_id="stopped", status="cancelled", sla_deadline=later),
        "late": pipeline_run(
            pipeline_id="slow", status="succeeded", sla_deadline=queued + timedelta(seconds=30)
        ),
        "pending": pipeline_run(pipeline_id="busy", status="running", sla_deadline=later),
        "untracked": pipeline_run(pipeline_id="no_sla", status="succeeded"),
    }


def test_only_a_success_by_the_deadline_meets_the_sla(five_outcomes):
    [row] = reports.compliance(None)

    assert (row.application, row.met, row.missed, row.pending) == ("sales", 1, 3, 1)
    assert row.percent == 25.0
    per_pipeline = {
        r.name: (r.met, r.missed, r.pending) for r in reports.compliance(None, per="name")
    }
    assert per_pipeline == {
        "on_time": (1, 0, 0),
        "broken": (0, 1, 0),
        "stopped": (0, 1, 0),
        "slow": (0, 1, 0),
        "busy": (0, 0, 1),
    }
    today = reports.trend(None)[-1]
    assert (today.day, today.met, today.missed, today.pending) == (timezone.localdate(), 1, 3, 1)
    runs = {
        outcome: set(
            PipelineRun.objects.filter(reports.outcome_filter(outcome)).values_list(
                "pipeline_id", flat=True
            )
        )
        for outcome in reports.OUTCOMES
    }
    assert runs == {
        "met": {"on_time"},
        "missed": {"broken", "stopped", "slow"},
        "pending": {"busy"},
    }


def test_a_run_still_going_past_its_deadline_has_missed_it(five_outcomes):
    PipelineRun.objects.filter(id=five_outcomes["pending"].id).update(
        sla_deadline=timezone.now() - timedelta(seconds=1)
    )

    [row] = reports.compliance(None)

    assert (row.met, row.missed, row.pending) == (1, 4, 0)


def test_each_figure_links_to_the_runs_behind_it(client, cast, five_outcomes):
    client.force_login(cast.olga)
    page = client.get(reverse("runs:sla")).content.decode()
    per_app = page[page.index('aria-label="Per application"') :]
    links = {
        kind: html.unescape(re.search(rf'class="sla-{kind}" href="([^"]+)"', per_app).group(1))
        for kind in ("met", "missed", "pending")
    }
    listed = {}
    for kind, link in links.items():
        response = client.get(link)
        assert response.status_code == 200
        listed[kind] = {r.pipeline_id for r in response.context["runs"]}

    assert listed == {
        "met": {"on_time"},
        "missed": {"broken", "stopped", "slow"},
        "pending": {"busy"},
    }


def test_the_dashboard_shows_the_same_figures(client, cast, five_outcomes):
    client.force_login(cast.olga)
    [row] = client.get(reverse("runs:dashboard")).context["compliance"]

    assert (row["row"].met, row["row"].missed, row["row"].percent) == (1, 3, 25.0)


def test_a_failure_before_the_deadline_is_marked_missed_when_it_ends():
    run = pipeline_run(status="running", sla_deadline=timezone.now() + timedelta(hours=1))

    services.run_finish(run.id, status="failed", error_category="connection")

    assert PipelineRun.objects.get(id=run.id).sla_status == "missed"
    assert RunTotal.objects.get(name=run.pipeline_id).sla == "missed"


def test_the_trend_bar_of_a_day_links_to_that_day(client, cast, five_outcomes):
    client.force_login(cast.olga)
    page = client.get(reverse("runs:sla")).content.decode()
    today = timezone.localdate().isoformat()
    link = re.search(rf'<a href="([^"]+)"[^>]*><rect class="sla-day" data-day="{today}"', page)

    response = client.get(html.unescape(link.group(1)))

    assert {r.pipeline_id for r in response.context["runs"]} == {"broken", "stopped", "slow"}


def test_rebuilding_gives_what_the_run_ends_wrote(five_outcomes):
    def snapshot():
        return (
            sorted(RunDay.objects.values_list("day", "name", "status", "sla", "runs", "timed")),
            sorted(RunTotal.objects.values_list("name", "status", "sla", "runs", "b_120")),
            sorted(RunAppDay.objects.values_list("day", "application", "status", "sla", "runs")),
        )

    written = snapshot()
    assert all(written)

    call_command("rebuild_run_rollups", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert snapshot() == written


@pytest.mark.django_db(transaction=True)
def test_concurrent_run_ends_all_count():
    """Eight threads, each with its own connection, end 25 runs each of the same pipeline at
    once: the upsert adds every one (no lost update, no duplicate-key error)."""
    if connection.vendor != "postgresql":
        pytest.skip("threads need a database server (the SQLite test database is in memory)")
    runs = [pipeline_run(status="running", pipeline_id="hot") for _ in range(200)]
    PipelineRun.objects.update(status="succeeded", finished_at=timezone.now())
    for run in runs:
        run.refresh_from_db()
    barrier = threading.Barrier(8)
    errors = []

    def end(batch):
        try:
            barrier.wait()
            for run in batch:
                with transaction.atomic():
                    rollups.record(run)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=end, args=(runs[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = RunTotal.objects.get(name="hot", status="succeeded")
    assert (total.runs, total.timed) == (200, 200)
    assert sum(RunDay.objects.filter(name="hot").values_list("runs", flat=True)) == 200

"""SLA: at risk at 80%, breached past the deadline, one alert per breach."""

from datetime import timedelta

import pytest
from django.utils import timezone

from runs_app import sla
from runs_app.models import Alert, PipelineRun
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db


def _running_run(published, sla_text="PT10M"):
    published.pipeline("load", sla=sla_text)
    run = run_trigger(application=APP, pipeline_id="load", params={})
    PipelineRun.objects.filter(id=run.id).update(status="running", started_at=run.queued_at)
    run.refresh_from_db()
    return run


def test_the_deadline_is_the_trigger_time_plus_the_sla(published, run_queue):
    run = _running_run(published, "PT2H")

    assert run.sla_deadline == run.queued_at + timedelta(hours=2)


def test_a_scheduled_run_counts_from_its_slot(published, run_queue):
    published.pipeline("load", sla="PT30M")
    slot = timezone.now().replace(microsecond=0) - timedelta(minutes=5)

    run = run_trigger(
        application=APP, pipeline_id="load", params={}, trigger="schedule", scheduled_for=slot
    )

    assert run.sla_deadline == slot + timedelta(minutes=30)


def test_a_running_run_is_at_risk_at_80_percent_then_breached_with_one_alert(published, run_queue):
    run = _running_run(published, "PT10M")
    start = run.queued_at

    sla.check(now=start + timedelta(minutes=7))
    assert PipelineRun.objects.get(id=run.id).sla_status == "none"
    sla.check(now=start + timedelta(minutes=8))
    assert PipelineRun.objects.get(id=run.id).sla_status == "at_risk"
    sla.check(now=start + timedelta(minutes=11))
    sla.check(now=start + timedelta(minutes=12))

    assert PipelineRun.objects.get(id=run.id).sla_status == "breached"
    assert list(Alert.objects.values_list("kind", flat=True)) == ["sla_breach"]


def test_a_run_that_finishes_late_is_breached_once(published, run_queue):
    from runs_app.services import run_finish

    run = _running_run(published, "PT10M")
    sla.check(now=run.queued_at + timedelta(minutes=11))

    run_finish(run.id, status="succeeded", finished_at=run.queued_at + timedelta(minutes=15))

    assert PipelineRun.objects.get(id=run.id).sla_status == "breached"
    assert Alert.objects.filter(kind="sla_breach").count() == 1


def test_a_run_that_finishes_in_time_met_its_sla(published, run_queue):
    from runs_app.services import run_finish

    run = _running_run(published, "PT10M")

    run_finish(run.id, status="succeeded", finished_at=run.queued_at + timedelta(minutes=3))

    assert PipelineRun.objects.get(id=run.id).sla_status == "met"
    assert not Alert.objects.exists()

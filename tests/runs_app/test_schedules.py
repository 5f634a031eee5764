"""Schedules: due slots, missed slots, dedupe, a merge takes effect at the next tick."""

from datetime import UTC, datetime, timedelta

import pytest

from runs_app import schedules
from runs_app.models import JobRun, PipelineRun, ScheduleState
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 10, 0, 30, tzinfo=UTC)


def _at(minutes):
    return T0 + timedelta(minutes=minutes)


def test_missed_slots_follow_the_policy():
    after = datetime(2026, 11, 26, 7, 0, 30, tzinfo=UTC)
    now = datetime(2026, 11, 26, 10, 0, 30, tzinfo=UTC)
    hourly = "0 * * * *"

    assert schedules.due_slots(hourly, after, now, "all") == [
        datetime(2026, 11, 26, h, 0, tzinfo=UTC) for h in (8, 9, 10)
    ]
    assert schedules.due_slots(hourly, after, now, "latest") == [
        datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    ]
    assert schedules.due_slots(hourly, after, now, "none") == [
        datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    ]
    assert schedules.due_slots(hourly, after, now + timedelta(minutes=5), "none") == []


def test_a_new_schedule_starts_at_the_next_slot_and_runs_each_slot_once(published, run_queue):
    published.pipeline("hourly", schedule="*/10 * * * *")

    assert schedules.tick(now=_at(0)) == 0  # first seen: past slots are not run
    assert schedules.tick(now=_at(5)) == 0
    assert schedules.tick(now=_at(10)) == 1
    assert schedules.tick(now=_at(10)) == 0

    run = PipelineRun.objects.get()
    assert run.trigger == "schedule"
    assert run.scheduled_for == datetime(2026, 11, 26, 10, 10, tzinfo=UTC)
    assert run.schedule_slot == f"{APP}/hourly@2026-11-26T10:10:00+00:00"
    assert run.params["runDate"] == "2026-11-26"


def test_two_ticks_for_the_same_slot_queue_one_run(published, run_queue):
    published.pipeline("p", schedule="*/10 * * * *")
    schedules.tick(now=_at(0))
    ScheduleState.objects.update(watermark=_at(0))

    first = schedules.tick(now=_at(11))
    ScheduleState.objects.update(watermark=_at(0))  # a second beat that read the old watermark
    second = schedules.tick(now=_at(11))

    assert (first, second) == (1, 0)
    assert PipelineRun.objects.count() == 1


def test_a_merge_that_adds_a_schedule_takes_effect_at_the_next_tick(published, run_queue):
    published.pipeline("p")
    schedules.tick(now=_at(0))
    assert not ScheduleState.objects.exists()

    published.pipeline("p", schedule="*/10 * * * *")
    schedules.tick(now=_at(1))
    schedules.tick(now=_at(10))

    assert PipelineRun.objects.filter(pipeline_id="p", trigger="schedule").count() == 1


def test_a_job_schedule_queues_a_job_run(published, run_queue):
    published.pipeline("a")
    published.job("nightly", [("a", "")], schedule="0 2 * * *")
    schedules.tick(now=datetime(2026, 11, 26, 1, 0, tzinfo=UTC))

    schedules.tick(now=datetime(2026, 11, 26, 2, 0, 5, tzinfo=UTC))

    job = JobRun.objects.get()
    assert (job.job_id, job.trigger, job.status) == ("nightly", "schedule", "running")
    assert job.schedule_slot == f"{APP}/nightly@2026-11-26T02:00:00+00:00"


def test_the_slot_key_is_unique_across_triggers(published, run_queue):
    from django.db import IntegrityError, transaction

    published.pipeline("p")
    slot = _at(0)
    key = schedules.slot_key(APP, "p", slot)
    run_trigger(application=APP, pipeline_id="p", params={}, scheduled_for=slot, schedule_slot=key)

    with pytest.raises(IntegrityError), transaction.atomic():
        run_trigger(
            application=APP, pipeline_id="p", params={}, scheduled_for=slot, schedule_slot=key
        )

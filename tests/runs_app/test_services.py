"""Trigger, cancel, rerun and the worker's run lifecycle (fake runner, in-process queue)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from runs_app import execution
from runs_app.definitions import DefinitionNotFound
from runs_app.models import Alert, PipelineRun
from runs_app.services import RunRefused, UnknownParameter, run_cancel, run_rerun, run_trigger
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db


def test_a_trigger_pins_mains_head_and_fills_builtin_parameters(published, run_queue):
    sha = published.pipeline("load", parameters=[("region", "eu")])

    run = run_trigger(application=APP, pipeline_id="load", params={"runDate": "2026-03-01"})

    assert run.config_commit == sha
    assert run.params == {
        "region": "eu",
        "runDate": "2026-03-01",
        "runId": str(run.id),
        "application": APP,
        "pipelineId": "load",
    }
    assert (run.status, run.trigger, run.layer) == ("queued", "manual", "staging")
    assert run_queue == [str(run.id)]


def test_an_unknown_parameter_is_refused_with_the_declared_ones(published, run_queue):
    published.pipeline("load", parameters=[("region", "eu")])

    with pytest.raises(UnknownParameter) as err:
        run_trigger(application=APP, pipeline_id="load", params={"regoin": "us"})

    assert str(err.value) == (
        "unknown parameter regoin for pipeline load; declared parameters: region; "
        "built-in: runDate, runId, application, pipelineId"
    )
    assert not PipelineRun.objects.exists()


def test_an_unknown_pipeline_names_the_ones_that_exist(published, run_queue):
    published.pipeline("load")

    with pytest.raises(DefinitionNotFound, match=r'no pipeline "lod".*pipelines there: load'):
        run_trigger(application=APP, pipeline_id="lod", params={})


def test_a_run_records_steps_targets_and_result(published, run_queue):
    published.pipeline("load")
    run = run_trigger(application=APP, pipeline_id="load", params={})

    run_queue.drain()

    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.steps[0]["rows_out"] == 3 and run.targets[0]["rows_written"] == 3
    assert run.started_at and run.finished_at and run.heartbeat_at and run.worker


def test_a_task_delivered_twice_runs_once(published, run_queue, settings):
    published.pipeline("load")
    run = run_trigger(application=APP, pipeline_id="load", params={})

    assert execution.execute(str(run.id)) is not None
    assert execution.execute(str(run.id)) is None

    starts = (settings.HUB_DATA_ROOT / "out" / "load.starts").read_text().split()
    assert starts == [str(run.id)]


def test_a_failed_run_keeps_its_error_and_raises_one_alert(published, run_queue):
    published.pipeline("load", behaviour="fail")
    run = run_trigger(application=APP, pipeline_id="load", params={})

    run_queue.drain()

    run.refresh_from_db()
    assert (run.status, run.error_category, run.error_where) == ("failed", "step", "step 1 (sort)")
    assert run.error_message == "deliberate failure of load"
    assert list(Alert.objects.values_list("kind", flat=True)) == ["failure"]


def test_cancelling_a_queued_run_ends_it_at_once(published, run_queue):
    published.pipeline("load")
    run = run_trigger(application=APP, pipeline_id="load", params={})

    run = run_cancel(run)
    run_queue.drain()

    assert run.status == "cancelled"
    assert PipelineRun.objects.get(id=run.id).status == "cancelled"


def test_cancelling_a_running_run_flags_it_for_the_worker(published, run_queue):
    published.pipeline("load")
    run = run_trigger(application=APP, pipeline_id="load", params={})
    PipelineRun.objects.filter(id=run.id).update(status="running")
    run.refresh_from_db()

    run = run_cancel(run)

    assert (run.status, run.cancel_requested) == ("running", True)


def test_a_finished_run_cannot_be_cancelled(published, run_queue):
    published.pipeline("load")
    run = run_trigger(application=APP, pipeline_id="load", params={})
    run_queue.drain()
    run.refresh_from_db()

    with pytest.raises(RunRefused, match="already finished"):
        run_cancel(run)


def test_a_rerun_links_the_run_it_repeats_on_the_same_or_the_latest_commit(published, run_queue):
    first_sha = published.pipeline("load", behaviour="fail", parameters=[("region", "eu")])
    run = run_trigger(application=APP, pipeline_id="load", params={"region": "us"})
    run_queue.drain()
    run.refresh_from_db()
    latest_sha = published.pipeline("load", parameters=[("region", "eu")])

    same = run_rerun(run, commit="same")
    latest = run_rerun(run, commit="latest", params={"region": "apac"})
    run_queue.drain()

    same.refresh_from_db()
    latest.refresh_from_db()
    assert (same.rerun_of_id, same.trigger, same.config_commit) == (run.id, "rerun", first_sha)
    assert (same.status, same.params["region"]) == ("failed", "us")
    assert (latest.config_commit, latest.status, latest.params["region"]) == (
        latest_sha,
        "succeeded",
        "apac",
    )


def test_a_running_run_cannot_be_rerun(published, run_queue):
    published.pipeline("load")
    run = run_trigger(application=APP, pipeline_id="load", params={})

    with pytest.raises(RunRefused, match="still queued"):
        run_rerun(run)


def test_the_reaper_ends_a_silent_run_and_retries_it(published, run_queue, settings):
    published.pipeline("load")
    settings.HUB_LOST_RUN_RETRIES = 1
    run = run_trigger(application=APP, pipeline_id="load", params={})
    run_queue.clear()
    long_ago = timezone.now() - timedelta(seconds=60)
    PipelineRun.objects.filter(id=run.id).update(
        status="running", heartbeat_at=long_ago, started_at=long_ago, worker="w1:1"
    )

    assert execution.reap() == 1
    assert execution.reap() == 0
    run_queue.drain()

    run.refresh_from_db()
    assert (run.status, run.error_category) == ("failed", "worker_lost")
    retry = PipelineRun.objects.get(rerun_of=run)
    assert (retry.trigger, retry.attempt, retry.status) == ("retry", 2, "succeeded")
    assert not Alert.objects.filter(kind="failure").exists()  # the retry took over


def test_a_scheduled_run_of_a_pipeline_deleted_from_main_is_skipped(published, run_queue):
    sha = published.pipeline("load")
    run = run_trigger(
        application=APP, pipeline_id="load", params={}, trigger="schedule", commit=sha
    )
    published.delete("load")

    run_queue.drain()

    run.refresh_from_db()
    assert run.status == "skipped"
    assert run.error_message == "removed from main after it was scheduled"


def test_a_queued_run_whose_message_was_lost_is_sent_again_once(
    published, run_queue, settings, monkeypatch
):
    from runs_app import messages

    # given a queued run whose broker message vanished long ago, and an empty broker queue
    settings.HUB_REQUEUE_AFTER_SECONDS = 600
    published.pipeline("load")
    run = run_trigger(application=APP, pipeline_id="load", params={})
    old = timezone.now() - timedelta(hours=1)
    PipelineRun.objects.filter(id=run.id).update(enqueued_at=old)
    sent = []
    monkeypatch.setattr(messages, "send", lambda task, args, countdown=None: sent.append(args))

    # when the reaper looks twice, and once more with a backlog in the broker
    first = execution.requeue_lost_messages(broker_queue_length=lambda: 0)
    second = execution.requeue_lost_messages(broker_queue_length=lambda: 0)
    PipelineRun.objects.filter(id=run.id).update(enqueued_at=old)
    backlog = execution.requeue_lost_messages(broker_queue_length=lambda: 5)

    # then it was sent again once
    assert (first, second, backlog) == (1, 0, 0)
    assert sent == [[str(run.id)]]


def test_an_exception_outside_the_engine_fails_the_run_without_leaking_secrets(
    published, run_queue
):
    published.pipeline("load", behaviour="explode")
    run = run_trigger(application=APP, pipeline_id="load", params={})

    run_queue.drain()

    run.refresh_from_db()
    assert (run.status, run.error_category) == ("failed", "internal")
    assert "cannot reach" in run.error_message
    assert "hunter2" not in run.error_message + run.error_trace

"""The hand-off: a worker whose job node ended starts the next ready node itself, when idle."""

import pytest

from runs_app import execution
from runs_app.models import JobRun, PipelineRun
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db


@pytest.fixture
def idle_broker(monkeypatch):
    """The broker's run queue holds only the messages of the nodes just queued."""
    monkeypatch.setattr(execution, "_broker_queue_length", lambda: 1)


def _chain(published):
    for p in ("h_a", "h_b", "h_c"):
        published.pipeline(p)
    published.job("h", [("h_a", ""), ("h_b", 'dependsOn="h_a"'), ("h_c", 'dependsOn="h_b"')])
    return run_trigger(application=APP, job_id="h", params={})


def test_an_idle_worker_runs_the_next_ready_node_itself(published, run_queue, idle_broker):
    # given a chain of three whose first node's message was delivered
    job = _chain(published)

    # when the worker runs it
    first = execution.execute(run_queue.pop(0))

    # then it went on with the next nodes itself, each started after the one before ended
    job.refresh_from_db()
    assert job.status == "succeeded"
    runs = list(PipelineRun.objects.filter(job_run=job).order_by("started_at"))
    assert [(r.pipeline_id, r.status, r.worker) for r in runs] == [
        ("h_a", "succeeded", first.worker),
        ("h_b", "succeeded", first.worker),
        ("h_c", "succeeded", first.worker),
    ]
    assert runs[0].finished_at <= runs[1].started_at and runs[1].finished_at <= runs[2].started_at
    # and the broker messages of the handed-off nodes, delivered later, do nothing
    assert sorted(run_queue) == sorted(str(r.id) for r in runs[1:])
    assert [execution.execute(i) for i in list(run_queue)] == [None, None]


def test_a_worker_leaves_the_next_node_to_the_broker_when_other_work_waits(
    published, run_queue, monkeypatch
):
    monkeypatch.setattr(execution, "_broker_queue_length", lambda: 5)
    job = _chain(published)

    execution.execute(run_queue.pop(0))

    statuses = dict(PipelineRun.objects.filter(job_run=job).values_list("pipeline_id", "status"))
    assert statuses == {"h_a": "succeeded", "h_b": "queued"}


def test_a_retry_waiting_out_its_backoff_is_not_handed_off(
    published, run_queue, idle_broker, settings
):
    settings.HUB_RETRY_BACKOFF_SECONDS = 60
    published.pipeline("h_flaky", behaviour="fail-until:2")
    published.job("r", [("h_flaky", 'onFailure="retry" maxRetries="1"')])
    job = run_trigger(application=APP, job_id="r", params={})

    execution.execute(run_queue.pop(0))

    attempts = list(PipelineRun.objects.filter(job_run=job).values_list("attempt", "status"))
    assert sorted(attempts) == [(1, "failed"), (2, "queued")]
    assert JobRun.objects.get(id=job.id).status == "running"


def test_the_hand_off_can_be_turned_off(published, run_queue, idle_broker, settings):
    settings.HUB_HANDOFF_LIMIT = 0
    job = _chain(published)

    execution.execute(run_queue.pop(0))

    assert PipelineRun.objects.filter(job_run=job, status="queued").count() == 1


def test_a_worker_asked_to_stop_hands_nothing_off(published, run_queue, idle_broker, monkeypatch):
    from celery.worker import state

    monkeypatch.setattr(state, "should_stop", 0)  # a warm shutdown was requested (exit code 0)
    job = _chain(published)

    execution.execute(run_queue.pop(0))

    assert PipelineRun.objects.filter(job_run=job, status="queued").count() == 1

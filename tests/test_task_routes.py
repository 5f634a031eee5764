"""Celery routes every message by task name (``CELERY_TASK_ROUTES``): the apps send by name
alone, and each task reaches its queue on a real Redis broker."""

import json
import uuid

import pytest
import redis
from celery import current_app

from pipelines_app import messages as pipeline_messages
from runs_app import messages as run_messages

CONTROL = (
    "runs_app.tasks.schedule_tick",
    "runs_app.tasks.reap_lost_runs",
    "runs_app.tasks.sla_check",
    "runs_app.tasks.send_notifications",
    "runs_app.tasks.deliver_webhook",
)
PREVIEW = ("pipelines_app.tasks.step_preview", "pipelines_app.tasks.dry_run")


@pytest.fixture
def queues(settings):
    """Private run, control and preview queues on the broker, emptied afterwards."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://127.0.0.1:6379/N")
    prefix = f"routes-{uuid.uuid4().hex[:8]}"
    settings.HUB_TASK_QUEUE = f"{prefix}-runs"
    settings.HUB_CONTROL_QUEUE = f"{prefix}-control"
    settings.HUB_PREVIEW_QUEUE = f"{prefix}-preview"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    names = (settings.HUB_TASK_QUEUE, settings.HUB_CONTROL_QUEUE, settings.HUB_PREVIEW_QUEUE)

    def tasks_on(queue):
        return sorted(json.loads(m)["headers"]["task"] for m in broker.lrange(queue, 0, -1))

    yield names, tasks_on
    broker.delete(*names)


def test_each_task_sent_by_name_reaches_the_queue_of_its_setting(queues):
    (runs, control, preview), tasks_on = queues

    for name in (run_messages.EXECUTE_RUN, *CONTROL, *PREVIEW):
        current_app.send_task(name, args=["x"])

    assert tasks_on(runs) == [run_messages.EXECUTE_RUN]
    assert tasks_on(control) == sorted(CONTROL)
    assert tasks_on(preview) == sorted(PREVIEW)


@pytest.mark.django_db
def test_the_apps_send_by_name_and_celery_routes(queues, django_capture_on_commit_callbacks):
    (runs, control, preview), tasks_on = queues

    run_messages.send(run_messages.EXECUTE_RUN, ["run-1"])
    run_messages.send(run_messages.DELIVER_WEBHOOK, ["pipeline", "run-1", "failure", 0, 1])
    with django_capture_on_commit_callbacks(execute=True):
        pipeline_messages.send_on_commit("pipelines_app.tasks.dry_run", [1])

    assert tasks_on(runs) == [run_messages.EXECUTE_RUN]
    assert tasks_on(control) == [run_messages.DELIVER_WEBHOOK]
    assert tasks_on(preview) == ["pipelines_app.tasks.dry_run"]


def test_an_empty_run_queue_setting_is_celerys_default_queue(settings):
    from portal.task_routes import route

    settings.HUB_TASK_QUEUE = ""

    assert route(run_messages.EXECUTE_RUN, [], {}, {}) is None
    assert route("runs_app.tasks.sla_check", [], {}, {}) == {"queue": settings.HUB_CONTROL_QUEUE}

"""The one module that sends Celery messages: by task name, so nothing imports ``tasks``.

Runs go to the run queue (``HUB_TASK_QUEUE``, default Celery's ``celery``); the control tasks
below go to ``HUB_CONTROL_QUEUE`` (default ``control``), which has its own consumer in every
topology, so a long run on every worker delays none of them (docs/operators/orchestration.md).
The beat entries are ``CELERY_BEAT_SCHEDULE`` in the settings.
"""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.db import transaction

EXECUTE_RUN = "runs_app.tasks.execute_pipeline_run"
SEND_NOTIFICATIONS = "runs_app.tasks.send_notifications"
DELIVER_WEBHOOK = "runs_app.tasks.deliver_webhook"

# Periodic work, the re-send of lost messages (inside the reaper), notifications and webhooks.
CONTROL_TASKS = frozenset(
    {
        "runs_app.tasks.schedule_tick",
        "runs_app.tasks.reap_lost_runs",
        "runs_app.tasks.sla_check",
        SEND_NOTIFICATIONS,
        DELIVER_WEBHOOK,
    }
)
# Previews and dry runs on sample data: a queue of their own (HUB_PREVIEW_QUEUE).
PREVIEW_TASKS = frozenset({"pipelines_app.tasks.step_preview", "pipelines_app.tasks.dry_run"})


def queue_for(task_name: str) -> str:
    """The queue of a task: control tasks on the control queue, everything else (runs) on the
    run queue ("" = Celery's default queue)."""
    if task_name in CONTROL_TASKS:
        return settings.HUB_CONTROL_QUEUE
    if task_name in PREVIEW_TASKS:
        return settings.HUB_PREVIEW_QUEUE
    return settings.HUB_TASK_QUEUE


def route(name, args, kwargs, options, task=None, **kw):
    """Celery router (``task_routes``): beat's messages and any ``delay()`` follow ``queue_for``."""
    queue = queue_for(name)
    return {"queue": queue} if queue else None


def send(task_name: str, args: list, countdown: float | None = None) -> None:
    """Sends ``task_name`` now, on its queue. A signature by name runs eagerly where Celery is
    set to (``CELERY_TASK_ALWAYS_EAGER``) and is a plain message where the task is not loaded."""
    options = {"countdown": countdown} if countdown else {}
    queue = queue_for(task_name)
    if queue:
        options["queue"] = queue
    current_app.signature(task_name, args=args).apply_async(**options)


def send_on_commit(task_name: str, args: list, countdown: float | None = None) -> None:
    """Sends once the current transaction commits: a worker never sees a row not there yet."""
    transaction.on_commit(lambda: send(task_name, args, countdown))


def run_queue_name() -> str:
    """The broker queue that holds runs."""
    return settings.HUB_TASK_QUEUE or current_app.conf.task_default_queue

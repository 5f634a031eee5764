"""The one module of runs_app that sends Celery messages: by task name, so nothing imports
``tasks``. Celery picks each message's queue from ``CELERY_TASK_ROUTES`` (the settings): runs on
the run queue, control tasks on the control queue (docs/operators/orchestration.md, Queues).
The beat entries are ``CELERY_BEAT_SCHEDULE`` in the settings.
"""

from __future__ import annotations

from celery import current_app
from django.conf import settings
from django.db import transaction

EXECUTE_RUN = "runs_app.tasks.execute_pipeline_run"
SEND_NOTIFICATIONS = "runs_app.tasks.send_notifications"
DELIVER_WEBHOOK = "runs_app.tasks.deliver_webhook"


def send(task_name: str, args: list, countdown: float | None = None) -> None:
    """Sends ``task_name`` now; Celery routes it to its queue. A signature by name runs eagerly
    where Celery is set to (``CELERY_TASK_ALWAYS_EAGER``) and is a plain message where the task
    is not loaded."""
    options = {"countdown": countdown} if countdown else {}
    current_app.signature(task_name, args=args).apply_async(**options)


def send_on_commit(task_name: str, args: list, countdown: float | None = None) -> None:
    """Sends once the current transaction commits: a worker never sees a row not there yet."""
    transaction.on_commit(lambda: send(task_name, args, countdown))


def run_queue_name() -> str:
    """The broker queue that holds runs."""
    return settings.HUB_TASK_QUEUE or current_app.conf.task_default_queue

"""The one module of pipelines_app that sends Celery messages (previews and dry runs): by task
name, once the transaction commits. Celery picks the queue (``CELERY_TASK_ROUTES``: the preview
queue, ``HUB_PREVIEW_QUEUE``)."""

from __future__ import annotations

from celery import current_app
from django.db import transaction


def send_on_commit(task_name: str, args: list) -> None:
    transaction.on_commit(lambda: current_app.send_task(task_name, args=args))

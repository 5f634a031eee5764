"""Celery's ``task_routes`` (``CELERY_TASK_ROUTES``): every message, whether sent by name
(``send_task``, a signature), by ``delay()`` or by beat, reaches the queue ``HUB_QUEUE_ROUTES``
names for its task; every other task (the runs) goes to ``HUB_TASK_QUEUE``.

The queue is looked up in ``django.conf.settings`` per message, not frozen into Celery's
configuration, so a changed queue setting (a test's ``settings`` fixture) routes the next message.
"""

from __future__ import annotations

from django.conf import settings


def queue_for(task_name: str) -> str:
    """The queue of a task ("" = Celery's default queue)."""
    return getattr(settings, settings.HUB_QUEUE_ROUTES.get(task_name, "HUB_TASK_QUEUE"))


def route(name, args, kwargs, options, task=None, **kw):
    queue = queue_for(name)
    return {"queue": queue} if queue else None

"""Celery tasks: thin, each loads by id and calls one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import close_old_connections

from runs_app import execution, notifications, schedules, sla

log = logging.getLogger(__name__)


def send(task, args: list, countdown: float | None = None) -> None:
    """Enqueues a run on ``HUB_TASK_QUEUE``, a control task on ``HUB_CONTROL_QUEUE``."""
    from runs_app.messages import queue_for

    options = {"countdown": countdown} if countdown else {}
    queue = queue_for(task.name)
    if queue:
        options["queue"] = queue
    task.apply_async(args=args, **options)


@shared_task(name="runs_app.tasks.execute_pipeline_run", acks_late=True, ignore_result=True)
def execute_pipeline_run(run_id: str) -> None:
    close_old_connections()
    execution.execute(run_id)


@shared_task(name="runs_app.tasks.schedule_tick", ignore_result=True)
def schedule_tick() -> int:
    close_old_connections()
    return schedules.tick()


@shared_task(name="runs_app.tasks.reap_lost_runs", ignore_result=True)
def reap_lost_runs() -> int:
    close_old_connections()
    return execution.reap()


@shared_task(name="runs_app.tasks.sla_check", ignore_result=True)
def sla_check() -> dict:
    close_old_connections()
    return sla.check()


@shared_task(name="runs_app.tasks.send_notifications", ignore_result=True)
def send_notifications(kind: str, run_id: str, event: str) -> None:
    close_old_connections()
    notifications.send(kind, run_id, event)


@shared_task(name="runs_app.tasks.deliver_webhook", ignore_result=True)
def deliver_webhook(kind: str, run_id: str, event: str, index: int, attempt: int) -> None:
    close_old_connections()
    wait = notifications.deliver_webhook(kind, run_id, event, index, attempt)
    if wait is not None:
        send(deliver_webhook, [kind, run_id, event, index, attempt + 1], wait)


@shared_task(name="runs_app.tasks.noop", ignore_result=True)
def noop(key: str = "") -> None:
    """The benchmark's baseline: a bare Celery task; records when it started in Redis."""
    import time

    if key:
        import redis
        from django.conf import settings

        redis.Redis.from_url(settings.CELERY_BROKER_URL).rpush(key, repr(time.time()))

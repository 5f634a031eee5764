"""Celery tasks: thin entry points, each loads by id and calls one service. Nothing imports this
module: work is sent by task name through ``runs_app.messages``."""

from __future__ import annotations

import logging
import time

import redis
from celery import shared_task
from django.conf import settings
from django.db import close_old_connections

from runs_app import execution, messages, notifications, schedules, sla

log = logging.getLogger(__name__)


@shared_task(name=messages.EXECUTE_RUN, acks_late=True, ignore_result=True)
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


@shared_task(name=messages.SEND_NOTIFICATIONS, ignore_result=True)
def send_notifications(kind: str, run_id: str, event: str) -> None:
    close_old_connections()
    notifications.send(kind, run_id, event)


@shared_task(name=messages.DELIVER_WEBHOOK, ignore_result=True)
def deliver_webhook(kind: str, run_id: str, event: str, index: int, attempt: int) -> None:
    close_old_connections()
    wait = notifications.deliver_webhook(kind, run_id, event, index, attempt)
    if wait is not None:
        messages.send(messages.DELIVER_WEBHOOK, [kind, run_id, event, index, attempt + 1], wait)


@shared_task(name="runs_app.tasks.noop", ignore_result=True)
def noop(key: str = "") -> None:
    """The benchmark's baseline: a bare Celery task; records when it started in Redis."""
    if key:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).rpush(key, repr(time.time()))

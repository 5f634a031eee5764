"""Schedules: a beat-driven tick reads every ``<schedule>`` on ``main`` and queues due slots.

Definitions are parsed once per commit SHA (``definitions.scheduled``), so a merge that adds or
changes a schedule takes effect at the next tick, with no restart. A slot is queued with a unique
``schedule_slot`` (``<app>/<id>@<iso slot>``): two ticks at once (two beat processes) queue it
once; the loser's insert hits the unique constraint and is ignored.

Each schedule keeps a watermark (``ScheduleState``): slots after it and up to now are due. A
schedule first seen has its watermark set to now (its past slots are not run). Slots missed while
nothing ticked follow ``HUB_MISSED_SLOTS``: ``latest`` (default) queues only the most recent due
slot, ``all`` queues every one (at most ``HUB_MISSED_SLOTS_LIMIT``), ``none`` queues only slots
younger than ``HUB_SCHEDULE_GRACE_SECONDS``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from croniter import croniter
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from runs_app import definitions
from runs_app.models import ScheduleState
from runs_app.services import RunRefused, run_trigger

log = logging.getLogger(__name__)


def slot_key(application: str, id: str, slot: datetime) -> str:
    return f"{application}/{id}@{slot.isoformat()}"


def due_slots(cron: str, after: datetime, now: datetime, policy: str) -> list[datetime]:
    local_after = timezone.localtime(after)
    slots = []
    it = croniter(cron, local_after)
    limit = settings.HUB_MISSED_SLOTS_LIMIT
    while True:
        slot = it.get_next(datetime)
        if slot > now:
            break
        slots.append(slot)
        if len(slots) > 10 * limit:  # a minutely cron after a long outage: keep the tail
            slots = slots[-limit:]
    if not slots:
        return []
    if policy == "all":
        return slots[-limit:]
    if policy == "none":
        grace = timedelta(seconds=settings.HUB_SCHEDULE_GRACE_SECONDS)
        return [s for s in slots if s >= now - grace]
    return slots[-1:]  # latest


def tick(now: datetime | None = None) -> int:
    """Queues the due slots of every schedule on main; returns how many runs it queued."""
    now = now or timezone.now()
    sha = definitions.head()
    policy = settings.HUB_MISSED_SLOTS
    queued = 0
    for published in definitions.scheduled(sha):
        cron = published.definition.metadata.schedule
        key = f"{published.application}/{published.kind}/{published.id}"
        state, created = ScheduleState.objects.get_or_create(
            key=key, defaults={"cron": cron, "watermark": now}
        )
        if created:
            continue
        if state.cron != cron:
            ScheduleState.objects.filter(id=state.id).update(cron=cron)
        if not croniter.is_valid(cron):
            log.error("schedule %s: invalid cron %r", key, cron)
            continue
        for slot in due_slots(cron, state.watermark, now, policy):
            queued += _queue(published, sha, slot)
        ScheduleState.objects.filter(id=state.id, watermark__lt=now).update(watermark=now)
    return queued


def _queue(published, sha: str, slot: datetime) -> int:
    kind_arg = {"job_id" if published.kind == "job" else "pipeline_id": published.id}
    try:
        with transaction.atomic():
            run_trigger(
                application=published.application,
                params={},
                trigger="schedule",
                commit=sha,
                scheduled_for=slot,
                schedule_slot=slot_key(published.application, published.id, slot),
                **kind_arg,
            )
    except IntegrityError:
        return 0  # another tick queued this slot
    except (RunRefused, definitions.DefinitionNotFound) as exc:
        log.error("schedule %s/%s: %s", published.application, published.id, exc)
        return 0
    log.info("queued %s/%s for %s", published.application, published.id, slot.isoformat())
    return 1

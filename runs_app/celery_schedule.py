"""Beat entries and queue routes of orchestration, wired in ``portal/celery.py``.

Runs go to the run queue (``HUB_TASK_QUEUE``, default Celery's ``celery``); the control tasks
below go to ``HUB_CONTROL_QUEUE`` (default ``control``), which has its own consumer in every
topology, so a long run on every worker delays none of them (docs/operators/orchestration.md).

``expires`` only drops the backlog a stopped control worker would find when it comes back (every
tick does the whole work). It is ten periods, not one: a message waits milliseconds on its own
queue, and a period's worth of clock skew between beat and the worker must not discard it.
"""

from runs_app.conf import _DEFAULTS, get

# Periodic work, the re-send of lost messages (inside the reaper), notifications and webhooks.
CONTROL_TASKS = frozenset(
    {
        "runs_app.tasks.schedule_tick",
        "runs_app.tasks.reap_lost_runs",
        "runs_app.tasks.sla_check",
        "runs_app.tasks.send_notifications",
        "runs_app.tasks.deliver_webhook",
    }
)
EXPIRES_PERIODS = 10
# Previews and dry runs on sample data: a queue of their own (HUB_PREVIEW_QUEUE).
PREVIEW_TASKS = frozenset({"pipelines_app.tasks.step_preview", "pipelines_app.tasks.dry_run"})


def _seconds(name: str) -> float:
    return float(_DEFAULTS[name]())


_tick = _seconds("HUB_SCHEDULE_TICK_SECONDS")
# A quarter of an interval: a run stale after 1.5 intervals is reaped within 1.75, which leaves a
# quarter interval for beat's drift and the reaper's own work inside the promised two intervals.
_reap = _seconds("HUB_HEARTBEAT_SECONDS") * 0.25
_sla = _seconds("HUB_SLA_CHECK_SECONDS")

BEAT_SCHEDULE = {
    "runs-schedule-tick": {
        "task": "runs_app.tasks.schedule_tick",
        "schedule": _tick,
        "options": {"expires": _tick * EXPIRES_PERIODS},
    },
    "runs-reap-lost-runs": {
        "task": "runs_app.tasks.reap_lost_runs",
        "schedule": _reap,
        "options": {"expires": _reap * EXPIRES_PERIODS},
    },
    "runs-sla-check": {
        "task": "runs_app.tasks.sla_check",
        "schedule": _sla,
        "options": {"expires": _sla * EXPIRES_PERIODS},
    },
}


def queue_for(task_name: str) -> str:
    """The queue of a task: control tasks on the control queue, everything else (runs) on the
    run queue ("" = Celery's default queue)."""
    if task_name in CONTROL_TASKS:
        return get("HUB_CONTROL_QUEUE")
    if task_name in PREVIEW_TASKS:
        return get("HUB_PREVIEW_QUEUE")
    return get("HUB_TASK_QUEUE")


def route(name, args, kwargs, options, task=None, **kw):
    """Celery router (``task_routes``): beat's messages and any ``delay()`` follow ``queue_for``."""
    queue = queue_for(name)
    return {"queue": queue} if queue else None

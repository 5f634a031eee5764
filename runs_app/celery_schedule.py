"""Beat entries for orchestration; the lead wires them: ``CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE``.

Periods come from the environment (``runs_app.conf``). ``expires`` drops a tick that waited longer
than its period behind a busy worker: the next one does the same work.
"""

from runs_app.conf import _DEFAULTS


def _seconds(name: str) -> float:
    return float(_DEFAULTS[name]())


_tick = _seconds("HUB_SCHEDULE_TICK_SECONDS")
# 0.4 of an interval (not half): a run stale after 1.5 intervals is reaped within 1.9, with room
# for beat's drift, so it ends within two intervals of its last beat.
_reap = _seconds("HUB_HEARTBEAT_SECONDS") * 0.4
_sla = _seconds("HUB_SLA_CHECK_SECONDS")

BEAT_SCHEDULE = {
    "runs-schedule-tick": {
        "task": "runs_app.tasks.schedule_tick",
        "schedule": _tick,
        "options": {"expires": _tick},
    },
    "runs-reap-lost-runs": {
        "task": "runs_app.tasks.reap_lost_runs",
        "schedule": _reap,
        "options": {"expires": _reap},
    },
    "runs-sla-check": {
        "task": "runs_app.tasks.sla_check",
        "schedule": _sla,
        "options": {"expires": _sla},
    },
}

# Optional: keep the periodic work and notifications off the queue that runs Spark jobs, so a
# long run never delays a schedule tick or the reaper. Needs a worker on "control"
# (``celery -A portal worker -Q control -c 2``). See docs/operators/orchestration.md.
TASK_ROUTES = {
    "runs_app.tasks.schedule_tick": {"queue": "control"},
    "runs_app.tasks.reap_lost_runs": {"queue": "control"},
    "runs_app.tasks.sla_check": {"queue": "control"},
    "runs_app.tasks.send_notifications": {"queue": "control"},
    "runs_app.tasks.deliver_webhook": {"queue": "control"},
}

"""Orchestration settings: Django settings win, then the environment, then the defaults here.

Read at call time (not import time) so tests can change them with pytest-django's ``settings``.
"""

from django.conf import settings

from portal.env import env_int, env_str


def env_float(name: str, default: float) -> float:
    return float(env_str(name, "") or default)


_DEFAULTS = {
    # Seconds between heartbeats of a running run; a run silent for 1.5 intervals is reaped.
    "HUB_HEARTBEAT_SECONDS": lambda: env_float("HUB_HEARTBEAT_SECONDS", 10.0),
    # Seconds between checks of a running run's cancel flag (the watcher thread).
    "HUB_CANCEL_POLL_SECONDS": lambda: env_float("HUB_CANCEL_POLL_SECONDS", 1.0),
    # Slots missed while the scheduler was down: latest | all | none.
    "HUB_MISSED_SLOTS": lambda: env_str("HUB_MISSED_SLOTS", "latest"),
    # With HUB_MISSED_SLOTS=all, at most this many missed slots per schedule and tick.
    "HUB_MISSED_SLOTS_LIMIT": lambda: env_int("HUB_MISSED_SLOTS_LIMIT", 100),
    # A slot this recent is never "missed" (covers the time between two ticks).
    "HUB_SCHEDULE_GRACE_SECONDS": lambda: env_float("HUB_SCHEDULE_GRACE_SECONDS", 90.0),
    "HUB_SCHEDULE_TICK_SECONDS": lambda: env_float("HUB_SCHEDULE_TICK_SECONDS", 20.0),
    "HUB_SLA_CHECK_SECONDS": lambda: env_float("HUB_SLA_CHECK_SECONDS", 30.0),
    # A run the reaper finds dead (worker_lost) is retried this many times (pipeline outside a job).
    "HUB_LOST_RUN_RETRIES": lambda: env_int("HUB_LOST_RUN_RETRIES", 1),
    # A queued run whose message is this old is sent again when the broker's queue is empty
    # (a message lost with a broker that restarted without persistence); the claim dedupes.
    "HUB_REQUEUE_AFTER_SECONDS": lambda: env_float("HUB_REQUEUE_AFTER_SECONDS", 600.0),
    # onFailure="retry": maxRetries default and the first backoff (doubled each attempt).
    "HUB_RETRY_DEFAULT": lambda: env_int("HUB_RETRY_DEFAULT", 3),
    "HUB_RETRY_BACKOFF_SECONDS": lambda: env_float("HUB_RETRY_BACKOFF_SECONDS", 30.0),
    "HUB_WEBHOOK_TIMEOUT_SECONDS": lambda: env_float("HUB_WEBHOOK_TIMEOUT_SECONDS", 5.0),
    "HUB_WEBHOOK_ATTEMPTS": lambda: env_int("HUB_WEBHOOK_ATTEMPTS", 4),
    "HUB_WEBHOOK_BACKOFF_SECONDS": lambda: env_float("HUB_WEBHOOK_BACKOFF_SECONDS", 10.0),
    # Dotted path of the runner (tests inject a fake one); "" = the Spark engine.
    "HUB_RUNNER": lambda: env_str("HUB_RUNNER", ""),
    # A Spark worker creates and warms its SparkSession when it starts, then checks every this
    # many seconds that its JVM lives (and starts a new one when it died); 0 = on the first run.
    "HUB_SPARK_WARMUP_SECONDS": lambda: env_float("HUB_SPARK_WARMUP_SECONDS", 5.0),
    # Queue of runs and their retries ("" = Celery's default queue, ``celery``).
    "HUB_TASK_QUEUE": lambda: env_str("HUB_TASK_QUEUE", ""),
    # Queue of the control tasks (schedule tick, reaper and lost-message re-send, SLA check,
    # notifications, webhook deliveries): a consumer of its own, never behind a run.
    "HUB_CONTROL_QUEUE": lambda: env_str("HUB_CONTROL_QUEUE", "control"),
    # Queue of previews and dry runs on sample data (a warm Spark session, short tasks).
    "HUB_PREVIEW_QUEUE": lambda: env_str("HUB_PREVIEW_QUEUE", "preview"),
    # A worker whose job node ended starts the next ready node itself (no broker round trip)
    # when nothing else waits, up to this many times in a row; 0 turns it off.
    "HUB_HANDOFF_LIMIT": lambda: env_int("HUB_HANDOFF_LIMIT", 100),
    # Bearer token of the Prometheus scraper ("" = /metrics only for a staff session).
    "HUB_METRICS_TOKEN": lambda: env_str("HUB_METRICS_TOKEN", ""),
    # Webhook hosts (names or addresses) allowed although they resolve to a loopback, private,
    # link-local or metadata address; comma-separated in the environment.
    "HUB_WEBHOOK_ALLOWED_HOSTS": lambda: [
        h.strip().lower() for h in env_str("HUB_WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
    ],
    "HUB_PORTAL_URL": lambda: env_str("HUB_PORTAL_URL", "http://localhost:8000"),
}


def get(name: str):
    if hasattr(settings, name):
        return getattr(settings, name)
    return _DEFAULTS[name]()

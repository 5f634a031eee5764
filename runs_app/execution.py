"""Running one pipeline run in a worker: claim, heartbeat, watch for cancel, record, finish.
And the reaper, which ends runs whose worker died."""

from __future__ import annotations

import logging
import socket
import threading
import time
import traceback
from datetime import timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from runs_app import definitions, messages
from runs_app.creation import PORTAL_SET, new_pipeline_run
from runs_app.log_context import run_context
from runs_app.models import PipelineRun
from runs_app.runner import get_runner
from runs_app.services import run_finish, run_finished
from spark_runner.definition import DefinitionInvalid

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{__import__('os').getpid()}"


def execute(run_id: str) -> PipelineRun | None:
    """Runs ``run_id``, then, while this worker is idle, the job nodes its end made ready
    (``handoff``). Returns the first run (None when it was not ours to run)."""
    first = run = execute_one(run_id)
    handed = 0
    while run is not None and handed < settings.HUB_HANDOFF_LIMIT:
        next_id = handoff(run)
        if next_id is None:
            break
        handed += 1
        run = execute_one(next_id)
    return first


def handoff(run: PipelineRun) -> str | None:
    """The next job node this worker may start at once, instead of waiting for the broker.

    When a job run's node ends, the DAG queues the nodes it made ready (a row and a message, as
    always). If one of them is due now (not a retry waiting out its backoff) and nothing else
    waits in the broker's run queue but those new messages (this worker is idle), we claim it
    here: the claim is the same conditional update as a delivered message's, so the message that
    arrives later is a no-op, and a worker that got the message first wins the claim instead.
    The record stays as it would be: ``started_at`` when it started, ``worker`` this one."""
    if not run.job_run_id or run.status not in FINAL_STATUSES or not settings.HUB_HANDOFF_LIMIT:
        return None
    if _worker_stopping():
        return None  # a warm shutdown waits for the current run only; the broker has the rest
    ready = list(
        PipelineRun.objects.filter(
            job_run_id=run.job_run_id, status="queued", enqueued_at__lte=timezone.now()
        )
        .order_by("queued_at")
        .values_list("id", flat=True)[:50]
    )
    if not ready:
        return None
    waiting = _broker_queue_length()
    if waiting is not None and waiting > len(ready):
        return None  # other work waits: take it from the broker in turn
    return str(ready[0])


FINAL_STATUSES = ("succeeded", "failed", "skipped", "cancelled")


def _worker_stopping() -> bool:
    """True once this Celery worker was asked to shut down (warm or cold)."""
    from celery.worker import state

    return any(
        v is not None and v is not False for v in (state.should_stop, state.should_terminate)
    )


def execute_one(run_id: str) -> PipelineRun | None:
    """queued -> running -> final. Returns None when the run was not ours to run."""
    now = timezone.now()
    claimed = PipelineRun.objects.filter(id=run_id, status="queued").update(
        status="running", started_at=now, heartbeat_at=now, worker=WORKER
    )
    if not claimed:
        log.info("run %s is not queued any more; nothing to do", run_id)
        return None
    run = PipelineRun.objects.get(id=run_id)
    token = run_context.set(
        {"run_id": str(run.id), "application": run.application, "pipeline": run.pipeline_id}
    )
    try:
        log.info("run started (attempt %s, commit %s)", run.attempt, run.config_commit[:10])
        return _execute(run)
    finally:
        run_context.reset(token)


def _execute(run: PipelineRun) -> PipelineRun | None:
    try:
        if run.trigger == "schedule" and not definitions.exists(
            definitions.head(), run.application, "pipeline", run.pipeline_id
        ):
            return _fail(run, "skipped", "definition", "removed from main after it was scheduled")
        try:
            published = definitions.find(
                run.config_commit, run.application, "pipeline", run.pipeline_id
            )
        except definitions.DefinitionNotFound as exc:
            return _fail(run, "failed", "definition", str(exc))
        except DefinitionInvalid as exc:
            return _fail(run, "failed", "definition", "; ".join(map(str, exc.problems[:5])))
        runner = get_runner()
        with _Watch(run, runner) as watch:
            result = runner.run(run, published, definitions.files(run.config_commit))
        return _record(run, result, watch.cancelled)
    except Exception as exc:  # every failure ends the run with a readable error
        from spark_runner.engine.errors import condense, redact

        message, trace = condense(exc)
        secrets = _secret_values()
        log.error("run failed outside the engine: %s", redact(message, secrets))
        trace = redact(trace or traceback.format_exc(), secrets)
        return _fail(run, "failed", "internal", redact(message, secrets), trace)


def _record(run, result, cancelled: bool):
    data = result.to_dict()
    error = data.get("error") or {}
    status = result.status
    if cancelled and status != "succeeded":
        status = "cancelled"
    finished = _finish_with_retries(
        run.id,
        status=status,
        steps=data.get("steps", []),
        targets=data.get("targets", []),
        sources=data.get("sources", []),
        error_category=("cancelled" if status == "cancelled" else error.get("category", ""))[:32],
        error_where=(error.get("where") or "")[:300],
        error_message=error.get("message") or ("cancelled by an operator" if cancelled else ""),
        error_trace=error.get("java_trace") or "",
    )
    log.info("run %s", status)
    return finished


def _fail(run, status: str, category: str, message: str, trace: str = ""):
    log.warning("run %s: %s", status, message)
    return _finish_with_retries(
        run.id, status=status, error_category=category, error_message=message, error_trace=trace
    )


def _secret_values() -> tuple[str, ...]:
    try:
        return tuple(getattr(get_runner(), "secret_values", tuple)())
    except Exception:
        return ()


class _Watch:
    """A thread beside the run: heartbeats every ``HUB_HEARTBEAT_SECONDS``, and every
    ``HUB_CANCEL_POLL_SECONDS`` checks the cancel flag. It also cancels the Spark job when the
    run is no longer ours (the reaper declared it lost), so a late worker does not double-write."""

    def __init__(self, run: PipelineRun, runner):
        self.run, self.runner = run, runner
        self.cancelled = False
        self._stop = threading.Event()
        self._context = run_context.get()

    def __enter__(self):
        self._thread = threading.Thread(target=self._loop, name=f"watch-{self.run.id}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self):
        run_context.set(self._context)
        beat_every = settings.HUB_HEARTBEAT_SECONDS
        poll = min(settings.HUB_CANCEL_POLL_SECONDS, beat_every)
        last_beat = time.monotonic()
        try:
            while not self._stop.wait(poll):
                try:
                    if time.monotonic() - last_beat >= beat_every:
                        PipelineRun.objects.filter(id=self.run.id, status="running").update(
                            heartbeat_at=timezone.now()
                        )
                        last_beat = time.monotonic()
                    self._check_cancel()
                except DatabaseError:
                    # PostgreSQL restarting: reconnect at the next poll; if it stays away
                    # longer than 1.5 heartbeats the reaper ends the run and it is retried.
                    log.warning("heartbeat failed; retrying", exc_info=True)
                    connection.close()
        finally:
            connection.close()

    def _check_cancel(self):
        row = (
            PipelineRun.objects.filter(id=self.run.id).values("status", "cancel_requested").first()
        )
        if row is None or self.cancelled:
            return
        lost = row["status"] != "running"
        if lost or row["cancel_requested"]:
            self.cancelled = True
            log.info("cancelling the Spark job (%s)", "run lost" if lost else "requested")
            try:
                self.runner.cancel(self.run)
            except Exception:
                log.exception("cancelling the Spark job failed")


def _finish_with_retries(run_id, **fields):
    """The run's last write survives a database restart: a few tries, reconnecting between."""
    for attempt in range(5):
        try:
            return run_finish(run_id, **fields)
        except (OperationalError, InterfaceError):
            if attempt == 4:
                raise
            log.warning("recording the run's end failed; retrying", exc_info=True)
            connection.close()
            time.sleep(2**attempt)
    return None


def reap(now=None) -> int:
    """Ends running runs whose heartbeat is older than 1.5 intervals (``worker_lost``): with the
    reaper every 0.25 interval on the control queue, a dead worker's run ends within two intervals
    of its last beat.
    A job's node follows its ``onFailure`` policy; a pipeline outside a job is retried
    ``HUB_LOST_RUN_RETRIES`` times."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=1.5 * settings.HUB_HEARTBEAT_SECONDS)
    reaped = 0
    for run in PipelineRun.objects.filter(status="running", heartbeat_at__lt=stale):
        with transaction.atomic():
            done = PipelineRun.objects.filter(
                id=run.id, status="running", heartbeat_at__lt=stale
            ).update(
                status="failed",
                finished_at=now,
                error_category="worker_lost",
                error_message=(
                    f"worker {run.worker} stopped sending heartbeats "
                    f"(last at {run.heartbeat_at:%H:%M:%S} UTC)"
                ),
            )
            if not done:
                continue
            reaped += 1
            run.refresh_from_db()
            if not run.job_run_id and run.attempt <= settings.HUB_LOST_RUN_RETRIES:
                _retry_lost(run)
            run_finished(run)
            log.warning("reaped run %s of %s (worker %s)", run.id, run.pipeline_id, run.worker)
    requeue_lost_messages(now)
    return reaped


def requeue_lost_messages(now=None, broker_queue_length=None) -> int:
    """Sends queued runs again whose message is overdue by ``HUB_REQUEUE_AFTER_SECONDS`` while
    the broker's queue is empty: their message was lost (a broker restart without persistence).
    A backlog (messages waiting) is left alone. A re-sent message of a run that did get its
    first message is a no-op: the claim is conditional."""
    after = settings.HUB_REQUEUE_AFTER_SECONDS
    if not after:
        return 0
    now = now or timezone.now()
    overdue = PipelineRun.objects.filter(
        status="queued", enqueued_at__lt=now - timedelta(seconds=after)
    ).values_list("id", "enqueued_at")[:200]
    overdue = list(overdue)
    if not overdue:
        return 0
    length = broker_queue_length() if broker_queue_length else _broker_queue_length()
    if length is None or length > 0:
        return 0  # a backlog, or a broker we cannot look into
    sent = 0
    for run_id, enqueued_at in overdue:
        if PipelineRun.objects.filter(id=run_id, status="queued", enqueued_at=enqueued_at).update(
            enqueued_at=now
        ):
            messages.send(messages.EXECUTE_RUN, [str(run_id)])
            sent += 1
    if sent:
        log.warning("re-sent %s queued run(s) whose broker message was lost", sent)
    return sent


def _broker_queue_length() -> int | None:
    """Messages waiting in the run queue (Redis); None when it cannot be told."""
    url = str(getattr(settings, "CELERY_BROKER_URL", ""))
    if not url.startswith(("redis://", "rediss://")):
        return None
    queue = messages.run_queue_name()
    try:
        client = _redis_clients.get(url)
        if client is None:
            client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=5)
        return int(client.llen(queue))
    except redis.RedisError:
        return None  # broker unreachable: nothing to conclude, send nothing


_redis_clients: dict = {}  # one connection pool per broker URL (it reconnects by itself)


def _retry_lost(run: PipelineRun) -> None:
    params = {k: v for k, v in run.params.items() if k not in PORTAL_SET}
    try:
        with transaction.atomic():
            _new_retry(run, params)
    except Exception:  # the run stays failed; the failure alert says so
        log.exception("could not retry run %s", run.id)


def _new_retry(run: PipelineRun, params: dict) -> None:
    new_pipeline_run(
        application=run.application,
        pipeline_id=run.pipeline_id,
        commit=run.config_commit,
        params=params,
        trigger="retry",
        user=run.triggered_by,
        rerun_of=run,
        attempt=run.attempt + 1,
        scheduled_for=run.scheduled_for,
    )

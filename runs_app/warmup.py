"""A Spark worker warms its SparkSession when it starts, not on its first run, and again when
its JVM died (docs/operators/engine.md, warm-up).

Prefork pools: each child process has its own session, warmed from ``worker_process_init`` (in
the child; the parent never starts a JVM, which its later forks would inherit). Solo and thread
pools run tasks in the main process: warmed from ``worker_ready``. Either way a daemon thread
does it, so the worker is ready for messages at once (a run that arrives meanwhile waits for
the warm-up), then checks every ``HUB_SPARK_WARMUP_SECONDS`` that the JVM lives.
"""

from __future__ import annotations

import logging
import threading

from celery import current_app
from celery.signals import (
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutting_down,
)
from django.conf import settings

from runs_app import messages
from runs_app.runner import get_runner

log = logging.getLogger(__name__)

_stop = threading.Event()
_thread: threading.Thread | None = None


def start() -> bool:
    """Starts the warm-up thread of this process (once). False when there is nothing to warm:
    a runner without a session (tests' fakes) or ``HUB_SPARK_WARMUP_SECONDS=0``."""
    global _thread
    every = float(settings.HUB_SPARK_WARMUP_SECONDS or 0)
    if every <= 0 or not _consumes_runs():
        return False
    runner = get_runner()
    if not hasattr(runner, "warm_up"):
        return False
    if _thread is not None and _thread.is_alive():
        return True
    _stop.clear()
    _thread = threading.Thread(
        target=_keep_warm, args=(runner, every), name="spark-warmup", daemon=True
    )
    _thread.start()
    return True


def _consumes_runs() -> bool:
    """Only a worker that takes runs or previews needs Spark: a control worker must not start a
    JVM (with the embedded Derby metastore a second JVM would lock the run worker out of it)."""
    runs = messages.run_queue_name()
    selected = current_app.amqp.queues.consume_from  # -Q; empty: every queue
    return not selected or runs in selected or settings.HUB_PREVIEW_QUEUE in selected


def stop() -> None:
    _stop.set()


def _keep_warm(runner, every: float) -> None:
    while not _stop.is_set():
        try:
            seconds = runner.warm_up()
            if seconds is not None:
                log.info("Spark session ready (warmed in %.1f s)", seconds)
        except Exception:
            log.exception("warming the Spark session failed; trying again")
        _stop.wait(every)


@worker_process_init.connect
def _child_started(**_):
    start()


@worker_ready.connect
def _worker_ready(sender=None, **_):
    pool = getattr(sender, "pool", None)
    if type(pool).__module__ in ("celery.concurrency.solo", "celery.concurrency.thread"):
        start()


@worker_process_shutdown.connect
def _child_stopping(**_):
    stop()


@worker_shutting_down.connect
def _worker_stopping(**_):
    # A warm shutdown (Ctrl-C, SIGTERM) ends the session's JVM too: the keep-warm loop must not
    # take that for a dead JVM and start a new one while the worker stops.
    stop()

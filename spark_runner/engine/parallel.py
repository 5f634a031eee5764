"""Running a run's independent Spark writes side by side (the targets' staging, the token vault).

A small run spends most of its time between Spark jobs (planning, scheduling, a metastore call),
not in them, so on a two-core worker two targets staged at once take little longer than one. Each
task runs in its own thread with the run's Spark local properties (its job group: an operator's
cancel reaches every thread's jobs) and the caller's context variables (the log context). Once a
task fails, tasks not yet started are skipped; those running are waited for, so that the caller
can abort what every one of them staged.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor


class Skipped(Exception):
    """A task not started because an earlier one failed."""


def run_side_by_side(
    spark, tasks: Sequence[Callable[[], None]], workers: int
) -> list[BaseException | None]:
    """Runs ``tasks`` (at most ``workers`` at once) and returns each one's exception or None,
    in the order given. With one worker, or one task, they run in this thread, in order."""
    failed = threading.Event()

    def guarded(task: Callable[[], None]) -> BaseException | None:
        if failed.is_set():
            return Skipped()
        try:
            task()
        except BaseException as exc:
            failed.set()
            return exc
        return None

    if workers <= 1 or len(tasks) <= 1:
        return [guarded(task) for task in tasks]
    context = spark.sparkContext._jsc.sc()
    properties = context.getLocalProperties()

    def in_thread(task: Callable[[], None], variables: contextvars.Context):
        def run() -> BaseException | None:
            # Each thread gets its own copy: Spark sets per-query properties in it.
            context.setLocalProperties(properties.clone())
            return variables.run(guarded, task)

        return run

    threads = min(workers, len(tasks))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="stage") as pool:
        futures = [pool.submit(in_thread(t, contextvars.copy_context())) for t in tasks]
        return [future.result() for future in futures]

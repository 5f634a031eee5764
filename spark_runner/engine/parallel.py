"""Running a run's independent Spark writes side by side (the targets' staging, the token vault).

A small run spends most of its time between Spark jobs (planning, scheduling, a metastore call),
not in them, so on a two-core worker two targets staged at once take little longer than one. Each
task runs in its own thread with the run's Spark local properties (its job group: an operator's
cancel reaches every thread's jobs) and the caller's context variables (the log context). Tasks
that must not overlap (they would compute one cache at once) are given as a group, run one after
another in one thread. Once a task fails, tasks not yet started are skipped; those running are
waited for, so that the caller can abort what every one of them staged.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor


class Skipped(Exception):
    """A task not started because an earlier one failed."""


def run_side_by_side(
    spark,
    tasks: Sequence[Callable[[], None]],
    workers: int,
    together: Sequence[Sequence[int]] | None = None,
) -> list[BaseException | None]:
    """Runs ``tasks`` (at most ``workers`` threads at once) and returns each one's exception or
    None, in the order given. ``together``: groups of task indexes that run one after another in
    one thread, in their order (default: each task alone). With one worker, or one group, they
    all run in this thread, in order."""
    failed = threading.Event()
    errors: list[BaseException | None] = [None] * len(tasks)
    if together is None:
        together = [[i] for i in range(len(tasks))]
    groups = [list(g) for g in together]

    def run_group(indexes: list[int]) -> None:
        for i in indexes:
            if failed.is_set():
                errors[i] = Skipped()
                continue
            try:
                tasks[i]()
            except BaseException as exc:
                failed.set()
                errors[i] = exc

    if workers <= 1 or len(groups) <= 1:
        run_group(sorted(i for g in groups for i in g))
        return errors
    context = spark.sparkContext._jsc.sc()
    properties = context.getLocalProperties()

    def in_thread(indexes: list[int], variables: contextvars.Context):
        def run() -> None:
            # Each thread gets its own copy: Spark sets per-query properties in it.
            context.setLocalProperties(properties.clone())
            variables.run(run_group, indexes)

        return run

    threads = min(workers, len(groups))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="stage") as pool:
        futures = [pool.submit(in_thread(g, contextvars.copy_context())) for g in groups]
        for future in futures:
            future.result()
    return errors

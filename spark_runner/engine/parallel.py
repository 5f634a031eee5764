"""Running a run's independent Spark writes side by side (the targets' staging, the token vault).

A small run spends most of its time between Spark jobs (planning, scheduling, a metastore call),
not in them, so on a two-core worker two targets staged at once take little longer than one. Each
task runs in its own thread with the run's Spark local properties (its job group: an operator's
cancel reaches every thread's jobs) and the caller's context variables (the log context). Tasks
that must not overlap (they would compute one cache at once) are given as a group, run one after
another in one thread. Once a task fails, tasks not yet started are skipped, and the Spark jobs of
those running are cancelled (by a job tag only this call's threads carry, so the run's other jobs
go on): a failed run on big data ends without waiting for its slowest target. Running tasks are
still waited for, so that the caller can abort what every one of them staged.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait

# How often the jobs of tasks still running are cancelled again once one failed: a task between
# two Spark jobs when the first cancel came would otherwise run its next job to the end.
CANCEL_EVERY_SECONDS = 0.2


class Skipped(Exception):
    """A task not started because another one failed."""


class Cancelled(Skipped):
    """A task whose Spark job was cancelled because another task failed (Spark's error is the
    ``__cause__``)."""


def run_side_by_side(
    spark,
    tasks: Sequence[Callable[[], None]],
    workers: int,
    together: Sequence[Sequence[int]] | None = None,
) -> list[BaseException | None]:
    """Runs ``tasks`` (at most ``workers`` threads at once) and returns each one's exception or
    None, in the order given: a task whose Spark job was cancelled because another one failed gets
    ``Cancelled``, a task not started ``Skipped``, any other failing task its own exception.
    ``together``: groups of task indexes that run one after another in one thread, in their order
    (default: each task alone). With one worker, or one group, they all run in this thread, in
    order."""
    failed = threading.Event()
    tag = f"hub-side-by-side-{uuid.uuid4().hex}"
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
                # Spark's error for a job cancelled by tag names the tag.
                cancelled_here = failed.is_set() and tag in str(exc)
                failed.set()
                errors[i] = exc
                if cancelled_here:
                    errors[i] = Cancelled()
                    errors[i].__cause__ = exc

    if workers <= 1 or len(groups) <= 1:
        run_group(sorted(i for g in groups for i in g))
        return errors
    context = spark.sparkContext._jsc.sc()
    properties = context.getLocalProperties()

    def in_thread(indexes: list[int], variables: contextvars.Context):
        def run() -> None:
            # Each thread gets its own copy: Spark sets per-query properties in it.
            context.setLocalProperties(properties.clone())
            context.addJobTag(tag)
            variables.run(run_group, indexes)

        return run

    threads = min(workers, len(groups))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="stage") as pool:
        pending = {pool.submit(in_thread(g, contextvars.copy_context())) for g in groups}
        while pending:
            _, pending = wait(pending, timeout=CANCEL_EVERY_SECONDS)
            if pending and failed.is_set():
                context.cancelJobsWithTag(tag)
    return errors

"""The target phase of the template: stage every target through its storage kind, commit them by
quick swaps, abort on failure, and release staging and caches.

A failure before the commit leaves every previous output as it was: staging writes only to places
nobody reads (see each kind in ``storage/``), and the commit is a quick swap per target.
"""

from __future__ import annotations

import contextlib
import time

from spark_runner.engine import parallel, storage
from spark_runner.engine.datasets import frames_below
from spark_runner.engine.errors import EngineError
from spark_runner.engine.fs import FS
from spark_runner.engine.observations import drain_listeners
from spark_runner.engine.run_state import RunState
from spark_runner.engine.schema import conform
from spark_runner.engine.sources_phase import schema_fields


def stage_targets(run: RunState) -> None:
    """Makes each target's output, then stages them, with the token vault's new entries, side by
    side (``RunContext.parallel_targets`` at once). Once one fails, the Spark jobs of those staging
    beside it are cancelled; the error raised is the first target's, in the definition's order,
    that failed of its own accord (not cancelled), located at that target."""
    places: list[str] = []
    tasks = []
    for target in run.pipeline.targets:
        run.check_cancelled()
        source_id = target.source or run.last_dataset
        kind = storage.kind_of(target)
        where = kind.target_where(target)
        run.where, run.phase = where, "target"
        if source_id is None or source_id not in run.datasets:
            raise EngineError("target", f"no dataset {source_id!r} to write")
        df = run.datasets[source_id]
        fields = schema_fields(run, target)
        if fields is not None:
            df = conform(df, fields, run.where)
        output = kind.output(target, df, run)
        run.outputs.append(output)
        places.append(where)
        tasks.append(_staging(run, output))
    targets_read, vault_read = frames_below(run.pipeline)
    read = targets_read
    if run.vault is not None and run.vault.pending:
        places.append("stage token vault")
        tasks.append(lambda: run.vault.stage(run.spark))
        read = [*targets_read, vault_read]
    cached = set(run.cached_frames)
    if len(tasks) > 1 and run.ctx.parallel_targets > 1:
        cached -= _compute_common(run, targets_read, cached, places[0])
    together = _sharing(read, cached)
    errors = parallel.run_side_by_side(run.spark, tasks, run.ctx.parallel_targets, together)
    for where, error in zip(places, errors, strict=True):
        if error is not None and not isinstance(error, parallel.Skipped):
            run.where, run.phase = where, "target"
            raise error
    if _observations_pending(run):
        drain_listeners(run.spark)


def _staging(run: RunState, output):
    def stage() -> None:
        run.check_cancelled()
        started = time.monotonic()
        output.stage()
        output.seconds = time.monotonic() - started

    return stage


def _compute_common(run: RunState, read: list[set], cached: set, where: str) -> set:
    """Computes the cached frames that every target reads (one job each, in the steps' order),
    so that the targets can then be staged side by side; returns them."""
    common = set.intersection(*read) & cached if len(read) > 1 else set()
    run.where, run.phase = where, "target"
    for key, df in run.cached_frames.items():  # in the order made: upstream first
        if key in common:
            run.check_cancelled()
            df.count()
    return common


def _sharing(read: list[set], cached: set) -> list[list[int]]:
    """Groups of writes (by index) that read a common cached frame not computed yet: each group
    runs one write after another, so that the first computes the frame (and the row counts
    observed under it) alone and the next ones read the cache; groups run side by side.
    (Two writers computing one cache at once would each compute part of it, and a row count
    observed under it could come from the one that finished first.)"""
    group = list(range(len(read)))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i in range(len(read)):
        for j in range(i + 1, len(read)):
            if read[i] & read[j] & cached:
                group[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(read)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _observations_pending(run: RunState) -> bool:
    """True when a row count observed during the writes has not arrived yet (they come
    through Spark's listener bus, a moment after the write returns)."""
    observations = [obs for _, _, obs in run.steps]
    observations += list(run.source_obs.values())
    observations += [r.bad_rows for r in run.reads.values()]
    observations += [getattr(o, "_obs", None) for o in run.outputs]
    observations += [getattr(o, "_merge_obs", None) for o in run.outputs]
    for obs in observations:
        if obs is None or obs._jo is None:
            continue
        with contextlib.suppress(Exception):
            if not obs._jo.future().isCompleted():
                return True
    return False


def commit(run: RunState) -> None:
    run.check_cancelled()
    run.phase = "commit"
    if run.vault is not None and run.vault.pending:
        run.where = "commit token vault"
        run.vault.commit(run.spark)
    for output in run.outputs:
        run.where = f"commit target {output.kind} {output.name}"
        output.commit()
    for output in run.outputs:
        with contextlib.suppress(Exception):
            output.drop_earlier_attempts()


def abort(run: RunState) -> None:
    if run.vault is not None:
        with contextlib.suppress(Exception):
            run.vault.abort(run.spark)
    for output in run.outputs:
        with contextlib.suppress(Exception):
            output.abort()


def release(run: RunState) -> None:
    staging = {o.staging_root for o in run.outputs if getattr(o, "staging_root", None)}
    for folder in staging:
        with contextlib.suppress(Exception):
            FS(run.spark).delete(folder)
    for df in run.cached:
        with contextlib.suppress(Exception):
            df.unpersist()

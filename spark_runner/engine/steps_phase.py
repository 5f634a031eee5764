"""The step phase of the template: each transformation, in order, looked up by its XML tag in
``registry``; its result replaces the dataset the step names (``left`` for a join, the first of
``sources`` for a merge) unless the step names an ``output``."""

from __future__ import annotations

import time

from pyspark.sql import Observation
from pyspark.sql import functions as F

from spark_runner.engine import registry
from spark_runner.engine.datasets import step_inputs, step_output
from spark_runner.engine.observations import _count, _observed
from spark_runner.engine.result import StepMetrics
from spark_runner.engine.run_state import RunState

_GLOBAL_ORDER_TAGS = frozenset({"sort"})


def apply_steps(run: RunState) -> None:
    for index, step in enumerate(run.pipeline.transformations, start=1):
        run.check_cancelled()
        tag = step.tag
        run.where, run.phase = f"step {index} ({tag})", "step"
        started = time.monotonic()
        inputs = [run.counts.get(i) for i in step_inputs(step) if _touch(run, i)]
        if tag in _GLOBAL_ORDER_TAGS:
            _persist(run, step.source)
        strategy = registry.get(tag)
        apply = getattr(strategy, "apply", strategy)
        run.where, run.phase = f"step {index} ({tag})", "step"
        df = apply(step, run.datasets, run.step_context)
        out = step_output(step)
        obs = None
        if run.count_rows:
            obs = Observation()
            df = df.observe(obs, F.count(F.lit(1)).alias("rows"))
        run.versions[out] = run.versions.get(out, 0) + 1
        if (out, run.versions[out]) in run.shared:
            df = run.cache_shared((out, run.versions[out]), df)
        run.datasets[out] = df
        run.counts[out] = obs
        run.last_dataset = out
        metrics = StepMetrics(index, tag, out, seconds=time.monotonic() - started)
        run.steps.append((metrics, inputs, obs))


def _persist(run: RunState, dataset_id: str) -> None:
    """A global sort reads its input twice (a sample for the ranges, then the data): the
    input is cached so that it is computed, and counted, once."""
    if dataset_id in run.datasets:
        df = run.datasets[dataset_id].persist()
        run.datasets[dataset_id] = df
        run.cached.append(df)


def _touch(run: RunState, dataset_id: str) -> bool:
    """Reads an onDemand source the step uses (so that its count is known); False for a
    dataset the run does not have (the step reports it)."""
    if dataset_id in run.datasets:
        run.datasets[dataset_id]
        return True
    return False


def step_metrics(run: RunState) -> list[StepMetrics]:
    out = []
    for metrics, inputs, obs in run.steps:
        counts = [_count(i) for i in inputs]
        metrics.rows_in = None if any(c is None for c in counts) or not counts else sum(counts)
        metrics.rows_out = _observed(obs, "rows")
        out.append(metrics)
    return out

"""The pipeline template (high-level-design §3, Template Method): one run of one pipeline.

``SparkPipeline.run`` is the fixed skeleton; every transformation is a strategy looked up by its
XML tag in ``registry``. The skeleton:

1. prepare: parameters, job group (= run id, so ``cancel_run`` can stop the run's Spark jobs);
2. sources: ``loadPolicy="eager"`` sources are read, cached and counted up front; ``onDemand``
   ones are read when a step (or target) first uses them;
3. steps, in order: ``registry.get(tag)(step, datasets, step_context)``; the result replaces the
   dataset the step names (``left`` for a join, the first of ``sources`` for a merge) unless the
   step names an ``output``;
4. stage every target (the expensive writes, to places nobody reads);
5. check the CSV sources' bad rows (fail the run, or stage them as rejects);
6. commit: token vault, then each target by a quick swap (see commit.py);
7. result: per-step rows in/out, per-target rows written, a located error on failure.

Row counts cost no extra pass over the data: each dataset carries a Spark ``Observation`` (a
count collected while the data is written). The input of a global sort is cached (the sort
samples its input before reading it, which would count it twice). Step seconds are the time
the step takes to plan; Spark does the work when the targets are written (target seconds).
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from spark_runner.definition.model import Pipeline
from spark_runner.definition.policy import PolicyViolation
from spark_runner.engine import registry
from spark_runner.engine.commit import Output
from spark_runner.engine.confine import check_pipeline
from spark_runner.engine.connectors.csv import CsvRead
from spark_runner.engine.context import RunContext
from spark_runner.engine.datasets import Datasets, shared_frames, step_inputs, step_output
from spark_runner.engine.errors import EngineError, RunError, condense, redact
from spark_runner.engine.failures import (
    _PATTERNS,
    Cancelled,
    _cancel_lock,
    _cancelled,
    cancel_run,
    classify,
)
from spark_runner.engine.lookups import lookup_frame
from spark_runner.engine.observations import _count, _observed, drain_listeners
from spark_runner.engine.result import PipelineResult, SourceMetrics, StepMetrics, TargetMetrics
from spark_runner.engine.sources_phase import SourcesPhase
from spark_runner.engine.targets_phase import TargetsPhase

log = logging.getLogger("spark_runner.engine")

_GLOBAL_ORDER_TAGS = frozenset({"sort"})


def run_pipeline(pipeline: Pipeline, ctx: RunContext) -> PipelineResult:
    return SparkPipeline(pipeline, ctx).run()


class SparkPipeline(SourcesPhase, TargetsPhase):
    """Template Method: ``run`` fixes the order; the hooks do each part (the source hooks in
    sources_phase.py, the target hooks in targets_phase.py)."""

    # Per-step and per-source row counts (observations). Off only to measure their cost.
    count_rows = True

    def __init__(self, pipeline: Pipeline, ctx: RunContext):
        self.pipeline = pipeline
        self.ctx = ctx
        self.spark = ctx.spark
        self.sources_by_id = {s.id: s for s in pipeline.sources}
        self.datasets = Datasets(self)
        self.where = "run"
        self.phase = "prepare"
        self.params: dict[str, str] = {}
        self.cached: list[DataFrame] = []
        self.csv_reads: dict[str, CsvRead] = {}
        self.source_metrics: dict[str, SourceMetrics] = {}
        self.source_obs: dict[str, Observation] = {}
        self.counts: dict[str, object] = {}  # dataset id -> int or Observation (current frame)
        self.steps: list[tuple[StepMetrics, list[object], Observation]] = []
        self.outputs: list[Output] = []
        self.last_dataset: str | None = pipeline.sources[-1].id if pipeline.sources else None
        self.vault = None
        self._lookups: dict[str, DataFrame] = {}
        # frames read by several steps or targets: cached, computed once (not once per reader)
        self.shared = shared_frames(pipeline)
        self.versions: dict[str, int] = {}

    # ------------------------------------------------------------ the template

    def run(self) -> PipelineResult:
        started = datetime.now(UTC)
        sc = self.spark.sparkContext
        group = self.ctx.job_group
        with _cancel_lock:
            _cancelled.discard(group)
        sc.setJobGroup(
            group,
            f"{self.ctx.application}/{self.ctx.layer}/{self.pipeline.id} run {self.ctx.run_id}",
            interruptOnCancel=True,
        )
        error = None
        try:
            self.prepare()
            self.read_eager_sources()
            self.apply_steps()
            self.stage_targets()
            self.check_invalid_rows()
            self.commit()
        except BaseException as exc:
            self.abort()
            error = self.locate(exc)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
        finally:
            self.release()
            with contextlib.suppress(Exception):
                sc.setLocalProperty("spark.jobGroup.id", None)
                sc.setLocalProperty("spark.job.description", None)
        status = "succeeded"
        if error is not None:
            status = "cancelled" if error.category == "cancelled" else "failed"
        result = PipelineResult(
            status=status,
            steps=self.step_metrics(),
            targets=[
                TargetMetrics(o.kind, o.name, o.rows_written, getattr(o, "seconds", 0.0))
                for o in self.outputs
            ],
            error=error,
            started_at=started,
            finished_at=datetime.now(UTC),
            sources=self.final_source_metrics(),
        )
        log.info(
            "run %s %s/%s/%s %s in %.2fs",
            self.ctx.run_id,
            self.ctx.application,
            self.ctx.layer,
            self.pipeline.id,
            status,
            result.seconds,
        )
        return result

    # ------------------------------------------------------------ hooks

    def prepare(self) -> None:
        self.params = self.ctx.parameters(self.pipeline)
        self.where, self.phase = "policy", "prepare"
        check_pipeline(self.pipeline, self.ctx)
        self.where = "run"
        from spark_runner.engine.masking.vault import TokenVault

        self.vault = TokenVault(self.ctx.vault_path())
        self.step_context = registry.StepContext(
            secrets=self.ctx.secrets,
            load_lookup=self.load_lookup,
            vault=self.vault,
            run_id=self.ctx.run_id,
        )

    def apply_steps(self) -> None:
        for index, step in enumerate(self.pipeline.transformations, start=1):
            self._check_cancelled()
            tag = step.tag
            self.where, self.phase = f"step {index} ({tag})", "step"
            started = time.monotonic()
            inputs = [self.counts.get(i) for i in step_inputs(step) if self._touch(i)]
            if tag in _GLOBAL_ORDER_TAGS:
                self._persist(step.source)
            strategy = registry.get(tag)
            apply = getattr(strategy, "apply", strategy)
            self.where, self.phase = f"step {index} ({tag})", "step"
            df = apply(step, self.datasets, self.step_context)
            out = step_output(step)
            obs = None
            if self.count_rows:
                obs = Observation()
                df = df.observe(obs, F.count(F.lit(1)).alias("rows"))
            self.versions[out] = self.versions.get(out, 0) + 1
            if (out, self.versions[out]) in self.shared:
                df = df.persist()
                self.cached.append(df)
            self.datasets[out] = df
            self.counts[out] = obs
            self.last_dataset = out
            metrics = StepMetrics(index, tag, out, seconds=time.monotonic() - started)
            self.steps.append((metrics, inputs, obs))

    def _persist(self, dataset_id: str) -> None:
        """A global sort reads its input twice (a sample for the ranges, then the data): the
        input is cached so that it is computed, and counted, once."""
        if dataset_id in self.datasets:
            df = self.datasets[dataset_id].persist()
            self.datasets[dataset_id] = df
            self.cached.append(df)

    def _touch(self, dataset_id: str) -> bool:
        if dataset_id in self.datasets:
            self.datasets[dataset_id]
            return True
        return False

    def step_metrics(self) -> list[StepMetrics]:
        out = []
        for metrics, inputs, obs in self.steps:
            counts = [_count(i) for i in inputs]
            metrics.rows_in = None if any(c is None for c in counts) or not counts else sum(counts)
            metrics.rows_out = _observed(obs, "rows")
            out.append(metrics)
        return out

    def final_source_metrics(self) -> list[SourceMetrics]:
        for source_id, obs in self.source_obs.items():
            rows = _observed(obs, "rows")
            if rows is not None:
                self.source_metrics[source_id].rows = rows
        return list(self.source_metrics.values())

    def locate(self, exc: BaseException) -> RunError:
        message, trace = condense(exc)
        category = classify(exc, message, self.phase)
        if self.ctx.job_group in _cancelled:
            category, message = "cancelled", "cancelled by an operator"
        where = getattr(exc, "where", "") or self.where
        if isinstance(exc, registry.StepError | EngineError | PolicyViolation):
            message = exc.message
        secrets = list(self.ctx.secrets.resolved_values()) if self.ctx.secrets else []
        from spark_runner.engine.secrets import redact as redact_pairs

        message = redact(redact_pairs(message, secrets), secrets)
        trace = redact(redact_pairs(trace, secrets), secrets)
        log.warning("run %s failed at %s: %s: %s", self.ctx.run_id, where, category, message)
        return RunError(category, where, message, trace)

    def _check_cancelled(self) -> None:
        if self.ctx.job_group in _cancelled:
            raise Cancelled("cancelled by an operator")


__all__ = [
    "_PATTERNS",
    "Cancelled",
    "Datasets",
    "SparkPipeline",
    "_cancel_lock",
    "_cancelled",
    "_count",
    "_observed",
    "cancel_run",
    "classify",
    "drain_listeners",
    "lookup_frame",
    "run_pipeline",
    "step_inputs",
    "step_output",
]

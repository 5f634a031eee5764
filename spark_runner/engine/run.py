"""The pipeline template (high-level-design §3, Template Method): one run of one pipeline.

``SparkPipeline.run`` is the fixed skeleton; every transformation is a strategy looked up by its
XML tag in ``registry``, every source and target a storage kind looked up by its model type in
``storage``. Each phase is a module of functions that receive the run's state (``RunState``):
sources_phase.py, steps_phase.py, targets_phase.py. The skeleton:

1. prepare: parameters, job group (= run id, so ``cancel_run`` can stop the run's Spark jobs);
2. sources: ``loadPolicy="eager"`` sources are read, cached and counted up front; ``onDemand``
   ones are read when a step (or target) first uses them;
3. steps, in order: ``registry.get(tag)(step, datasets, step_context)``; the result replaces the
   dataset the step names (``left`` for a join, the first of ``sources`` for a merge) unless the
   step names an ``output``;
4. stage every target (the expensive writes, to places nobody reads);
5. check the CSV sources' bad rows (fail the run, or stage them as rejects);
6. commit: token vault, then each target by a quick swap (see each kind in ``storage/``);
7. result: per-step rows in/out, per-target rows written, a located error on failure.

Row counts cost no extra pass over the data: each dataset carries a Spark ``Observation`` (a
count collected while the data is written). The input of a global sort is cached (the sort
samples its input before reading it, which would count it twice). Step seconds are the time
the step takes to plan; Spark does the work when the targets are written (target seconds).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime

from spark_runner.definition.model import Pipeline
from spark_runner.definition.policy import PolicyViolation
from spark_runner.engine import registry, sources_phase, steps_phase, targets_phase
from spark_runner.engine.confine import check_pipeline
from spark_runner.engine.context import RunContext
from spark_runner.engine.errors import EngineError, RunError, condense, redact
from spark_runner.engine.failures import _cancel_lock, _cancelled, classify
from spark_runner.engine.observations import _observed
from spark_runner.engine.result import PipelineResult, SourceMetrics, TargetMetrics
from spark_runner.engine.run_state import RunState

log = logging.getLogger("spark_runner.engine")


def run_pipeline(pipeline: Pipeline, ctx: RunContext) -> PipelineResult:
    return SparkPipeline(pipeline, ctx).run()


class SparkPipeline:
    """Template Method: ``run`` fixes the order; the phase modules do each part."""

    # Per-step and per-source row counts (observations). Off only to measure their cost.
    count_rows = True

    def __init__(self, pipeline: Pipeline, ctx: RunContext):
        self.pipeline = pipeline
        self.ctx = ctx

    # ------------------------------------------------------------ the template

    def run(self) -> PipelineResult:
        started = datetime.now(UTC)
        run = RunState(self.pipeline, self.ctx, count_rows=self.count_rows)
        sc = self.ctx.spark.sparkContext
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
            prepare(run)
            sources_phase.read_eager_sources(run)
            steps_phase.apply_steps(run)
            targets_phase.stage_targets(run)
            sources_phase.check_invalid_rows(run)
            targets_phase.commit(run)
        except BaseException as exc:
            targets_phase.abort(run)
            error = locate(run, exc)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
        finally:
            targets_phase.release(run)
            with contextlib.suppress(Exception):
                sc.setLocalProperty("spark.jobGroup.id", None)
                sc.setLocalProperty("spark.job.description", None)
        status = "succeeded"
        if error is not None:
            status = "cancelled" if error.category == "cancelled" else "failed"
        result = PipelineResult(
            status=status,
            steps=steps_phase.step_metrics(run),
            targets=[
                TargetMetrics(o.kind, o.name, o.rows_written, getattr(o, "seconds", 0.0))
                for o in run.outputs
            ],
            error=error,
            started_at=started,
            finished_at=datetime.now(UTC),
            sources=final_source_metrics(run),
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


def prepare(run: RunState) -> None:
    ctx = run.ctx
    run.params = ctx.parameters(run.pipeline)
    run.where, run.phase = "policy", "prepare"
    check_pipeline(run.pipeline, ctx)
    run.where = "run"
    from spark_runner.engine.masking.vault import TokenVault

    run.vault = TokenVault(ctx.vault_path())
    run.step_context = registry.StepContext(
        secrets=ctx.secrets,
        load_lookup=lambda reference: sources_phase.load_lookup(run, reference),
        vault=run.vault,
        run_id=ctx.run_id,
    )


def final_source_metrics(run: RunState) -> list[SourceMetrics]:
    for source_id, obs in run.source_obs.items():
        rows = _observed(obs, "rows")
        if rows is not None:
            run.source_metrics[source_id].rows = rows
    return list(run.source_metrics.values())


def locate(run: RunState, exc: BaseException) -> RunError:
    ctx = run.ctx
    message, trace = condense(exc)
    category = classify(exc, message, run.phase)
    if ctx.job_group in _cancelled:
        category, message = "cancelled", "cancelled by an operator"
    where = getattr(exc, "where", "") or run.where
    if isinstance(exc, registry.StepError | EngineError | PolicyViolation):
        message = exc.message
    secrets = list(ctx.secrets.resolved_values()) if ctx.secrets else []
    from spark_runner.engine.secrets import redact as redact_pairs

    message = redact(redact_pairs(message, secrets), secrets)
    trace = redact(redact_pairs(trace, secrets), secrets)
    log.warning("run %s failed at %s: %s: %s", ctx.run_id, where, category, message)
    return RunError(category, where, message, trace)

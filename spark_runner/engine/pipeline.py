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
import csv
import io
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_runner.definition.model import (
    CsvSource,
    CsvTarget,
    DatabaseSource,
    DatabaseTarget,
    HiveTarget,
    Join,
    Merge,
    Pipeline,
)
from spark_runner.engine import registry
from spark_runner.engine.commit import (
    CsvOutput,
    DatabaseOutput,
    HiveOutput,
    Output,
    RejectsOutput,
    csv_destination,
)
from spark_runner.engine.connectors.csv import CsvRead, read_csv
from spark_runner.engine.connectors.jdbc import read_jdbc
from spark_runner.engine.context import RunContext
from spark_runner.engine.errors import EngineError, RunError, condense, redact
from spark_runner.engine.fs import FS
from spark_runner.engine.result import PipelineResult, SourceMetrics, StepMetrics, TargetMetrics
from spark_runner.engine.schema import conform, to_struct

log = logging.getLogger("spark_runner.engine")

_GLOBAL_ORDER_TAGS = frozenset({"sort"})
_cancel_lock = threading.Lock()
_cancelled: set[str] = set()


def cancel_run(spark, run_id: str) -> None:
    """Cancels the Spark jobs of run ``run_id`` (its job group); the run ends ``cancelled``."""
    with _cancel_lock:
        _cancelled.add(str(run_id))
    try:
        spark.sparkContext.cancelJobGroup(str(run_id))
    except Exception:
        log.warning("cancel_run %s: no live session", run_id)


def run_pipeline(pipeline: Pipeline, ctx: RunContext) -> PipelineResult:
    return SparkPipeline(pipeline, ctx).run()


def step_inputs(step) -> list[str]:
    if isinstance(step, Join):
        return [step.left, step.right]
    if isinstance(step, Merge):
        return list(step.sources)
    return [step.source]


def step_output(step) -> str:
    if step.output:
        return step.output
    return step.left if isinstance(step, Join) else step.source


class Datasets(Mapping):
    """The run's datasets by id; an onDemand source is read the first time it is looked up."""

    def __init__(self, pipeline_run: SparkPipeline):
        self._run = pipeline_run
        self._frames: dict[str, DataFrame] = {}

    def __getitem__(self, key: str) -> DataFrame:
        if key not in self._frames:
            if key in self._run.sources_by_id:
                self._frames[key] = self._run.load_source(self._run.sources_by_id[key])
            else:
                raise KeyError(key)
        return self._frames[key]

    def __setitem__(self, key: str, df: DataFrame) -> None:
        self._frames[key] = df

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._frames, *self._run.sources_by_id]))

    def __len__(self) -> int:
        return len(set(self._frames) | set(self._run.sources_by_id))

    def __contains__(self, key: object) -> bool:
        return key in self._frames or key in self._run.sources_by_id


class Cancelled(Exception):
    pass


class SparkPipeline:
    """Template Method: ``run`` fixes the order; the hooks below do each part."""

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
        from spark_runner.engine.masking.vault import TokenVault

        self.vault = TokenVault(self.ctx.vault_path())
        self.step_context = registry.StepContext(
            secrets=self.ctx.secrets,
            load_lookup=self.load_lookup,
            vault=self.vault,
            run_id=self.ctx.run_id,
        )

    def read_eager_sources(self) -> None:
        self.phase = "source"
        for source in self.pipeline.sources:
            if source.load_policy == "eager":
                self.datasets[source.id]

    def load_source(self, source) -> DataFrame:
        self._check_cancelled()
        saved = (self.where, self.phase)
        self.where, self.phase = f"source {source.id}", "source"
        started = time.monotonic()
        kind = "csv" if isinstance(source, CsvSource) else "database"
        metrics = SourceMetrics(source.id, kind)
        self.source_metrics[source.id] = metrics
        schema = None
        if source.schema_ref:
            from spark_runner.definition import SchemaError, load_schema

            try:
                fields = load_schema(
                    self.ctx.files, self.ctx.application, self.ctx.layer, source.schema_ref
                )
            except SchemaError as exc:
                raise EngineError("schema_mismatch", str(exc)) from None
            schema = to_struct(fields)
        if isinstance(source, CsvSource):
            path = self.ctx.resolve_path(source.path)
            read = read_csv(self.spark, source, path, schema)
            self.csv_reads[source.id] = read
            df = read.df
        elif isinstance(source, DatabaseSource):
            df = read_jdbc(self.spark, source, self.params, self.ctx.secrets)
            if schema is not None:
                df = conform(df, fields, f"source {source.id}")
        else:  # pragma: no cover - the parser knows no other source
            raise EngineError("internal", f"unknown source {type(source).__name__}")
        if source.load_policy == "eager":
            df = df.persist()
            self.cached.append(df)
            metrics.rows = df.count()
            self.counts[source.id] = metrics.rows
        elif self.count_rows:
            obs = Observation()
            df = df.observe(obs, F.count(F.lit(1)).alias("rows"))
            self.source_obs[source.id] = obs
            self.counts[source.id] = obs
        if source.id in self.csv_reads and self.csv_reads[source.id].rejects is not None:
            self.cached.append(self.csv_reads[source.id].rejects)
        metrics.seconds = time.monotonic() - started
        self.where, self.phase = saved
        return df

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

    def stage_targets(self) -> None:
        for target in self.pipeline.targets:
            self._check_cancelled()
            source_id = target.source or self.last_dataset
            self.where, self.phase = self._target_where(target), "target"
            if source_id is None or source_id not in self.datasets:
                raise EngineError("target", f"no dataset {source_id!r} to write")
            df = self.datasets[source_id]
            self.where, self.phase = self._target_where(target), "target"
            if target.schema_ref:
                from spark_runner.definition import SchemaError, load_schema

                try:
                    fields = load_schema(
                        self.ctx.files, self.ctx.application, self.ctx.layer, target.schema_ref
                    )
                except SchemaError as exc:
                    raise EngineError("schema_mismatch", str(exc)) from None
                df = conform(df, fields, self.where)
            output = self.make_output(target, df)
            self.outputs.append(output)
            started = time.monotonic()
            output.stage()
            output.seconds = time.monotonic() - started
        if self._observations_pending():
            drain_listeners(self.spark)

    def _observations_pending(self) -> bool:
        """True when a row count observed during the writes has not arrived yet (they come
        through Spark's listener bus, a moment after the write returns)."""
        observations = [obs for _, _, obs in self.steps]
        observations += list(self.source_obs.values())
        observations += [r.bad_rows for r in self.csv_reads.values()]
        observations += [getattr(o, "_obs", None) for o in self.outputs]
        observations += [getattr(o, "_merge_obs", None) for o in self.outputs]
        for obs in observations:
            if obs is None or obs._jo is None:
                continue
            with contextlib.suppress(Exception):
                if not obs._jo.future().isCompleted():
                    return True
        return False

    def make_output(self, target, df: DataFrame) -> Output:
        if isinstance(target, HiveTarget):
            warehouse = self.spark.conf.get("spark.sql.warehouse.dir")
            return HiveOutput(self.spark, df, target, self.ctx.run_id, warehouse, self.ctx.key)
        if isinstance(target, CsvTarget):
            path = csv_destination(self.ctx, target)
            return CsvOutput(self.spark, df, target, path, self.ctx.run_id, self.ctx.key)
        if isinstance(target, DatabaseTarget):
            return DatabaseOutput(
                self.spark, df, target, self.ctx.run_id, self.ctx.secrets, self.ctx.key
            )
        raise EngineError("internal", f"unknown target {type(target).__name__}")

    def _target_where(self, target) -> str:
        if isinstance(target, HiveTarget):
            return f"target hive {target.table}"
        if isinstance(target, CsvTarget):
            return f"target csv {target.path}"
        return f"target database {target.id}"

    def check_invalid_rows(self) -> None:
        for source_id, read in self.csv_reads.items():
            if read.bad_rows is None:
                continue
            self.where, self.phase = f"source {source_id}", "source"
            source = self.sources_by_id[source_id]
            bad = _observed(read.bad_rows, "bad")
            if bad is None:
                if read.rejects is None:
                    continue  # the data went nowhere: nothing was dropped
                bad = read.rejects.count()
            self.source_metrics[source_id].rejected = bad
            if not bad:
                continue
            if source.on_invalid_rows == "fail":
                first = read.first_bad() if read.first_bad else None
                raise EngineError(
                    "invalid_rows",
                    f"{bad} row(s) of {source.path} do not fit schema {source.schema_ref}"
                    + (f"; first: {first}" if first else "")
                    + ' (onInvalidRows="reject" sends them to a rejects folder instead)',
                )
            path = self.ctx.rejects_path(self.pipeline.id, source_id)
            output = RejectsOutput(self.spark, read.rejects, path)
            output.rows_written = bad
            self.outputs.append(output)
            output.stage()

    def commit(self) -> None:
        self._check_cancelled()
        self.phase = "commit"
        if self.vault is not None and self.vault.pending:
            self.where = "commit token vault"
            self.vault.write(self.spark)
        for output in self.outputs:
            self.where = f"commit target {output.kind} {output.name}"
            output.commit()

    def abort(self) -> None:
        for output in self.outputs:
            with contextlib.suppress(Exception):
                output.abort()

    def release(self) -> None:
        staging = {o.staging_root for o in self.outputs if getattr(o, "staging_root", None)}
        for folder in staging:
            with contextlib.suppress(Exception):
                FS(self.spark).delete(folder)
        for df in self.cached:
            with contextlib.suppress(Exception):
                df.unpersist()

    # ------------------------------------------------------------ lookups

    def load_lookup(self, reference: str) -> DataFrame:
        if reference in self._lookups:
            return self._lookups[reference]
        from spark_runner.definition import lookup_path

        path = lookup_path(reference)
        if path is None:
            # Another process may have committed to the table since this session cached its
            # file list: list it afresh.
            with contextlib.suppress(Exception):
                self.spark.catalog.refreshTable(reference)
            df = self.spark.table(reference)
        else:
            data = self.ctx.files.read(path) if self.ctx.files is not None else None
            if data is None:
                raise EngineError("source_missing", f"lookup {reference}: no file {path}")
            df = lookup_frame(self.spark, data, path)
        self._lookups[reference] = df
        return df

    # ------------------------------------------------------------ results

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
        if isinstance(exc, registry.StepError | EngineError):
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


def drain_listeners(spark, timeout_ms: int = 10_000) -> None:
    """Observed metrics arrive through Spark's listener bus, a moment after the write returns:
    wait for the bus to be empty so that the counts are there."""
    with contextlib.suppress(Exception):
        spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(timeout_ms)


def _observed(obs: Observation | None, key: str) -> int | None:
    if obs is None or obs._jo is None:
        return None
    try:
        if not obs._jo.future().isCompleted():
            return None
        return int(obs.get[key])
    except Exception:
        return None


def _count(value) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, Observation):
        return _observed(value, "rows")
    return None


def lookup_frame(spark, data: bytes, path: str) -> DataFrame:
    """A lookup CSV (header row, UTF-8, small): every column a string, empty cells null."""
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise EngineError("source_missing", f"lookup {path} is empty (it needs a header row)")
    header = [h.strip() for h in rows[0]]
    schema = T.StructType([T.StructField(h, T.StringType(), True) for h in header])
    body = [
        tuple((cell if cell != "" else None) for cell in (row + [""] * len(header))[: len(header)])
        for row in rows[1:]
        if row
    ]
    return spark.createDataFrame(body, schema)


_PATTERNS = (
    ("cancelled", ("cancelled", "canceled", "Cancelled by an operator")),
    (
        "connection",
        (
            "Connection refused",
            "connection attempt failed",
            "UnknownHostException",
            "password authentication failed",
            "Communications link failure",
            "could not connect",
        ),
    ),
    (
        "permission",
        (
            "Permission denied",
            "AccessDenied",
            "Read-only file system",
            "Not a directory",
            "ParentNotDirectoryException",
            "Mkdirs failed",
        ),
    ),
    ("source_missing", ("PATH_NOT_FOUND", "FileNotFoundException", "does not exist")),
    ("schema_mismatch", ("does not match the schema", "CSV header does not conform")),
)


def classify(exc: BaseException, message: str, phase: str) -> str:
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, EngineError):
        return exc.category
    if isinstance(exc, registry.StepError | registry.UnknownTransformation):
        return "step"
    text = f"{message} {exc}"
    for category, needles in _PATTERNS:
        if category == "cancelled" and phase not in ("step", "target", "source", "commit"):
            continue
        if any(n in text for n in needles):
            if category == "cancelled" and "cancel" not in text.lower():
                continue
            if category == "source_missing" and phase != "source":
                continue
            return category
    if isinstance(exc, LookupError) and phase in ("source", "target"):
        return "connection"  # a secret that is not there
    return {"source": "source", "step": "step", "target": "target", "commit": "target"}.get(
        phase, "internal"
    )

"""Preview: a pipeline "so far" on a sample, for the wizard and the dry run of a change.

``preview_pipeline(pipeline, ctx, step=2)`` reads each source limited to ``rows_per_source``
rows (CSV through the engine's own reader; a database with the limit inside the query and a
statement timeout), applies the transformations up to the selected step, and returns rows
in/out per step and the first rows and schema of what that step produced. Without ``step`` every
step runs and each target's would-be output (schema and a few rows) is shown instead.

It never writes: no target is staged or committed, the token vault is never written, nothing is
left on disk. The data policy is checked exactly as a run checks it (``run.prepare``
runs ``confine.check_pipeline`` over every source and target). A time budget cancels the
preview's Spark jobs; the result then says it was cut short.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_runner.definition.model import DatabaseSource, Mask
from spark_runner.engine import registry, run, sources_phase, storage, targets_phase
from spark_runner.engine.confine import check_connection
from spark_runner.engine.context import RunContext
from spark_runner.engine.datasets import Datasets, step_inputs, step_output
from spark_runner.engine.errors import EngineError
from spark_runner.engine.run_state import RunState
from spark_runner.engine.schema import conform
from spark_runner.engine.storage.jdbc import read_options

_BEFORE = "__hub_before_"
_MAX_CELL = 200


@dataclass(frozen=True)
class PreviewLimits:
    rows_per_source: int = 1000
    output_rows: int = 20  # rows shown of the selected step
    target_rows: int = 5  # rows shown of each target
    seconds: float = 30.0  # the whole preview's budget
    statement_timeout: int = 10  # seconds a database may take to answer the sample query


class CutShort(Exception):
    pass


@dataclass
class PreviewResult:
    status: str  # ok | failed | cut_short
    sources: list[dict] = field(default_factory=list)  # {id, kind, rows}
    steps: list[dict] = field(default_factory=list)  # {index, tag, dataset, rows_in, rows_out}
    selected: dict | None = None  # {step, dataset, columns: [[name, type]], rows: [[...]]}
    targets: list[dict] = field(default_factory=list)  # {kind, name, columns, rows}
    mask: dict | None = None  # {step, columns, revealed, rows: [{column: [before, after]}]}
    error: dict | None = None  # {category, where, message}
    seconds: float = 0.0
    rows_per_source: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def preview_pipeline(
    pipeline,
    ctx: RunContext,
    *,
    step: int | None = None,
    source: str | None = None,
    limits: PreviewLimits | None = None,
    reveal: bool = False,
) -> PreviewResult:
    """``step`` (1-based): run the steps up to it and show its output; ``source``: only read
    that source and show it; neither: every step, then each target's would-be output.
    ``reveal``: a mask step's original values are returned beside the masked ones (the caller
    decides whether its user may read the source)."""
    return PreviewPipeline(pipeline, ctx, limits or PreviewLimits(), reveal).preview(step, source)


class PreviewPipeline:
    """The run's phases up to the steps, on a ``RunState`` of its own: the same policy check,
    readers and strategies; the sources limited; no targets staged."""

    def __init__(self, pipeline, ctx: RunContext, limits: PreviewLimits, reveal: bool):
        # Every source is read on demand: an eager one would be read whole and cached first.
        sources = tuple(
            dataclasses.replace(s, load_policy="onDemand") if s.load_policy == "eager" else s
            for s in pipeline.sources
        )
        self.pipeline = dataclasses.replace(pipeline, sources=sources)
        self.ctx = ctx
        # rows are counted on the (small, cached) sample instead of observed
        self.state = RunState(self.pipeline, ctx, count_rows=False)
        self.state.datasets = Datasets({s.id: s for s in sources}, self.load_source)
        self.limits = limits
        self.reveal = reveal
        self._cut = threading.Event()
        self._deadline = 0.0
        self._rows_of: dict[str, int] = {}  # dataset id -> rows of its current frame
        self._source_rows: dict[str, int] = {}

    # ------------------------------------------------------------ the template

    def preview(self, step: int | None, source: str | None) -> PreviewResult:
        started = time.monotonic()
        self._deadline = started + self.limits.seconds
        result = PreviewResult(status="ok", rows_per_source=self.limits.rows_per_source)
        sc = self.state.spark.sparkContext
        group = self.ctx.job_group
        sc.setJobGroup(group, f"preview {self.ctx.application}/{self.pipeline.id}", True)
        timer = threading.Timer(self.limits.seconds, self._cut_short, args=(sc, group))
        timer.daemon = True
        timer.start()
        try:
            run.prepare(self.state)
            if source is not None:
                self._show_source(source, result)
            else:
                last = self._apply(step, result)
                if step is None:
                    self._show_targets(result)
                else:
                    self._show_selected(step, last, result)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            if self._cut.is_set() or isinstance(exc, CutShort):
                result.status = "cut_short"
                result.error = {
                    "category": "cancelled",
                    "where": self.state.where,
                    "message": (
                        f"the preview was cut short after {self.limits.seconds:g} s "
                        f"at {self.state.where}; what is shown was computed before that"
                    ),
                }
            else:
                error = run.locate(self.state, exc)
                result.status = "failed"
                result.error = {
                    "category": error.category,
                    "where": error.where,
                    "message": error.message,
                }
        finally:
            timer.cancel()
            targets_phase.release(self.state)
            with _quiet():
                sc.setLocalProperty("spark.jobGroup.id", None)
                sc.setLocalProperty("spark.job.description", None)
        self._count_sources(result)  # also those read before a failure, beside their steps
        result.seconds = round(time.monotonic() - started, 3)
        return result

    # ------------------------------------------------------------ sources

    def load_source(self, source) -> DataFrame:
        self._check_budget()
        if isinstance(source, DatabaseSource):
            df = self._load_database(source)
        else:
            df = sources_phase.load_source(
                self.state, source
            )  # the engine's reader, schema and all
        df = df.limit(self.limits.rows_per_source).persist()
        self.state.cached.append(df)
        return df

    def _load_database(self, source: DatabaseSource) -> DataFrame:
        """The run's JDBC options, the query wrapped in a row limit the database applies, and a
        statement timeout (JDBC ``queryTimeout``)."""
        saved = (self.state.where, self.state.phase)
        self.state.where, self.state.phase = f"source {source.id}", "source"
        check_connection(self.ctx.policy, source)
        options = read_options(source, self.state.params, self.ctx.secrets)
        inner = options.pop("query", None) or f"SELECT * FROM {options.pop('dbtable')}"
        options["query"] = (
            f"SELECT * FROM ({inner}) hub_sample LIMIT {int(self.limits.rows_per_source)}"
        )
        options["queryTimeout"] = str(int(self.limits.statement_timeout))
        df = self.state.spark.read.format("jdbc").options(**options).load()
        fields = sources_phase.schema_fields(self.state, source)
        if fields is not None:
            df = conform(df, fields, f"source {source.id}")
        self.state.where, self.state.phase = saved
        return df

    def _count_sources(self, result: PreviewResult) -> None:
        for source in self.pipeline.sources:
            if source.id in self._source_rows:
                kind = "database" if isinstance(source, DatabaseSource) else "csv"
                rows = self._source_rows[source.id]
                result.sources.append({"id": source.id, "kind": kind, "rows": rows})

    def _rows(self, dataset_id: str) -> int:
        """Rows of the dataset's current frame, counted once (the frames are cached)."""
        if dataset_id not in self._rows_of:
            rows = self.state.datasets[dataset_id].count()
            self._rows_of[dataset_id] = rows
            if dataset_id in self.state.sources_by_id:
                self._source_rows.setdefault(dataset_id, rows)
        return self._rows_of[dataset_id]

    # ------------------------------------------------------------ steps

    def _apply(self, upto: int | None, result: PreviewResult) -> str | None:
        steps = self.pipeline.transformations
        if upto is not None and not 1 <= upto <= len(steps):
            raise EngineError(
                "definition", f"there is no step {upto} (the pipeline has {len(steps)})"
            )
        last = self.state.last_dataset
        for index, step in enumerate(steps[: upto or len(steps)], start=1):
            self._check_budget()
            tag = step.tag
            self.state.where, self.state.phase = f"step {index} ({tag})", "step"
            inputs = step_inputs(step)
            rows_in = 0
            for dataset_id in inputs:
                if dataset_id not in self.state.datasets:
                    raise EngineError("step", f"no dataset {dataset_id!r} before this step")
                rows_in += self._rows(dataset_id)
            strategy = registry.get(tag)
            apply = getattr(strategy, "apply", strategy)
            if isinstance(step, Mask) and index == upto:
                df = self._mask_side_by_side(index, step, apply, result)
            else:
                df = apply(step, self.state.datasets, self.state.step_context)
            out = step_output(step)
            df = df.persist()
            self.state.cached.append(df)
            self.state.datasets[out] = df
            last = out
            self.state.where, self.state.phase = f"step {index} ({tag})", "step"
            self._rows_of.pop(out, None)
            rows_out = self._rows(out)
            result.steps.append(
                {
                    "index": index,
                    "tag": tag,
                    "dataset": out,
                    "rows_in": rows_in,
                    "rows_out": rows_out,
                }
            )
        self.state.last_dataset = last
        return last

    def _mask_side_by_side(self, index: int, step: Mask, apply, result: PreviewResult):
        """The mask applied to its input with a copy of each masked column kept beside it, so
        that the original and the masked value of one row are shown together."""
        df = self.state.datasets[step.source]
        columns = [c for c in step.columns if c in df.columns]
        before = df.select("*", *[F.col(f"`{c}`").alias(_BEFORE + c) for c in columns])
        masked = apply(
            step, _Replaced(self.state.datasets, step.source, before), self.state.step_context
        )
        shown = []
        for c in columns:
            if self.reveal:
                shown.append(F.col(_BEFORE + c).cast("string").alias(f"{c} before"))
            shown.append(F.col(f"`{c}`").alias(f"{c} after"))
        rows = masked.select(*shown).limit(self.limits.output_rows).collect()
        result.mask = {
            "step": index,
            "columns": columns,
            "revealed": self.reveal,
            "rows": [
                {
                    c: [
                        _cell(row[f"{c} before"]) if self.reveal else None,
                        _cell(row[f"{c} after"]),
                    ]
                    for c in columns
                }
                for row in rows
            ],
        }
        return masked.drop(*[_BEFORE + c for c in columns])

    # ------------------------------------------------------------ what is shown

    def _show_selected(self, index: int, dataset_id: str | None, result: PreviewResult) -> None:
        self._check_budget()
        df = self.state.datasets[dataset_id]
        result.selected = {
            "step": index,
            "dataset": dataset_id,
            **_frame(df, self.limits.output_rows),
        }

    def _show_source(self, source_id: str, result: PreviewResult) -> None:
        if source_id not in self.state.sources_by_id:
            raise EngineError("definition", f"there is no source {source_id!r}")
        self.state.where = f"source {source_id}"
        df = self.state.datasets[source_id]
        self._rows(source_id)
        result.selected = {"step": 0, "dataset": source_id, **_frame(df, self.limits.output_rows)}

    def _show_targets(self, result: PreviewResult) -> None:
        """Each target's frame as the run would stage it (schemaRef conformed), never written:
        the policy checks of the run's output (``check_target``), no output object made."""
        for target in self.pipeline.targets:
            self._check_budget()
            self.state.where, self.state.phase = (
                storage.kind_of(target).target_where(target),
                "target",
            )
            source_id = target.source or self.state.last_dataset
            if source_id is None or source_id not in self.state.datasets:
                raise EngineError("target", f"no dataset {source_id!r} to write")
            storage.kind_of(target).check_target(target, self.state)
            df = self.state.datasets[source_id]
            fields = sources_phase.schema_fields(self.state, target)
            if fields is not None:
                df = conform(df, fields, self.state.where)
            kind, name = storage.kind_of(target).target_where(target).split(" ", 2)[1:]
            result.targets.append(
                {
                    "kind": kind,
                    "name": name,
                    "dataset": source_id,
                    "rows_out": self._rows(source_id),
                    **_frame(df, self.limits.target_rows),
                }
            )

    # ------------------------------------------------------------ the budget

    def _cut_short(self, sc, group: str) -> None:
        self._cut.set()
        with _quiet():
            sc.cancelJobGroup(group)

    def _check_budget(self) -> None:
        if self._cut.is_set() or time.monotonic() > self._deadline:
            self._cut.set()
            raise CutShort()


def _frame(df: DataFrame, limit: int) -> dict:
    rows = df.limit(limit).collect()
    return {
        "columns": [[f.name, f.dataType.simpleString()] for f in df.schema.fields],
        "rows": [[_cell(v) for v in row] for row in rows],
    }


def _cell(value):
    """A value as JSON can hold it (dates and decimals as text, long text cut)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.date | dt.datetime | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    text = str(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


class _Replaced(Mapping):
    """The run's datasets with one of them replaced (others still read on first use)."""

    def __init__(self, datasets, key: str, df: DataFrame):
        self._datasets, self._key, self._df = datasets, key, df

    def __getitem__(self, key: str) -> DataFrame:
        return self._df if key == self._key else self._datasets[key]

    def __iter__(self):
        return iter(self._datasets)

    def __len__(self) -> int:
        return len(self._datasets)

    def __contains__(self, key: object) -> bool:
        return key in self._datasets


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], Exception)

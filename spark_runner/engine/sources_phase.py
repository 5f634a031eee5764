"""The source phase of the template: reading sources (eager, or on demand) through their storage
kind, lookups, and the bad rows a source found (fail the run, or stage them as rejects)."""

from __future__ import annotations

import time

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from spark_runner.engine import storage
from spark_runner.engine.confine import check_table
from spark_runner.engine.errors import EngineError
from spark_runner.engine.lookups import lookup_frame
from spark_runner.engine.observations import _observed
from spark_runner.engine.result import SourceMetrics
from spark_runner.engine.run_state import RunState
from spark_runner.engine.storage.csv import RejectsOutput
from spark_runner.engine.storage.hive import read_table


def read_eager_sources(run: RunState) -> None:
    run.phase = "source"
    for source in run.pipeline.sources:
        if source.load_policy == "eager":
            run.datasets[source.id]


def load_source(run: RunState, source) -> DataFrame:
    run.check_cancelled()
    saved = (run.where, run.phase)
    run.where, run.phase = f"source {source.id}", "source"
    started = time.monotonic()
    kind = storage.kind_of(source)
    metrics = SourceMetrics(source.id, kind.name)
    run.source_metrics[source.id] = metrics
    read = kind.read(source, run, schema_fields(run, source))
    run.reads[source.id] = read
    df = read.df
    if source.load_policy == "eager":
        df = df.persist()
        run.cached.append(df)
        metrics.rows = df.count()
        run.counts[source.id] = metrics.rows
    elif run.count_rows:
        obs = Observation()
        df = df.observe(obs, F.count(F.lit(1)).alias("rows"))
        run.source_obs[source.id] = obs
        run.counts[source.id] = obs
    if source.load_policy != "eager" and (source.id, 0) in run.shared:
        df = run.cache_shared((source.id, 0), df)  # read by several steps or targets: parsed once
    if read.rejects is not None:
        run.cached.append(read.rejects)
    metrics.seconds = time.monotonic() - started
    run.where, run.phase = saved
    return df


def schema_fields(run: RunState, element) -> list | None:
    """The fields of a source's or target's ``schemaRef`` (None without one)."""
    if not element.schema_ref:
        return None
    from spark_runner.definition import SchemaError, load_schema

    ctx = run.ctx
    try:
        return load_schema(ctx.files, ctx.application, ctx.layer, element.schema_ref)
    except SchemaError as exc:
        raise EngineError("schema_mismatch", str(exc)) from None


def check_invalid_rows(run: RunState) -> None:
    for source_id, read in run.reads.items():
        if read.bad_rows is None:
            continue
        run.where, run.phase = f"source {source_id}", "source"
        source = run.sources_by_id[source_id]
        bad = _observed(read.bad_rows, "bad")
        if bad is None:
            if read.rejects is None:
                continue  # the data went nowhere: nothing was dropped
            bad = read.rejects.count()
        run.source_metrics[source_id].rejected = bad
        if not bad:
            continue
        if source.on_invalid_rows == "fail":
            raise EngineError("invalid_rows", read.invalid_rows_message(source, bad))
        path = run.ctx.rejects_path(run.pipeline.id, source_id)
        output = RejectsOutput(run.spark, read.rejects, path)
        output.rows_written = bad
        run.outputs.append(output)
        output.stage()


def load_lookup(run: RunState, reference: str) -> DataFrame:
    if reference in run.lookups:
        return run.lookups[reference]
    from spark_runner.definition import lookup_path

    path = lookup_path(reference)
    if path is None:
        check_table(run.ctx.policy, reference, False, run.where)
        df = read_table(run.spark, reference)
    else:
        data = run.ctx.files.read(path) if run.ctx.files is not None else None
        if data is None:
            raise EngineError("source_missing", f"lookup {reference}: no file {path}")
        df = lookup_frame(run.spark, data, path)
    run.lookups[reference] = df
    return df

"""The source hooks of ``SparkPipeline``: reading sources (eager or on demand), lookups, and the
CSV sources' bad rows (fail the run, or stage them as rejects)."""

from __future__ import annotations

import contextlib
import time

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from spark_runner.definition.model import CsvSource, DatabaseSource
from spark_runner.engine.commit import RejectsOutput
from spark_runner.engine.confine import check_connection, check_table
from spark_runner.engine.connectors.csv import read_csv
from spark_runner.engine.connectors.jdbc import read_jdbc
from spark_runner.engine.errors import EngineError
from spark_runner.engine.lookups import lookup_frame
from spark_runner.engine.observations import _observed
from spark_runner.engine.result import SourceMetrics
from spark_runner.engine.schema import conform, to_struct


class SourcesPhase:
    """Source hooks of the pipeline template (mixed into ``SparkPipeline``)."""

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
            check_connection(self.ctx.policy, source)
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
        if source.load_policy != "eager" and (source.id, 0) in self.shared:
            df = df.persist()  # read by several steps or targets: parsed once
            self.cached.append(df)
        if source.id in self.csv_reads and self.csv_reads[source.id].rejects is not None:
            self.cached.append(self.csv_reads[source.id].rejects)
        metrics.seconds = time.monotonic() - started
        self.where, self.phase = saved
        return df

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
                fit = (
                    f"do not fit schema {source.schema_ref}"
                    if source.schema_ref
                    else "do not have as many fields as the header"
                )
                raise EngineError(
                    "invalid_rows",
                    f"{bad} row(s) of {source.path} {fit}"
                    + (f"; first: {first}" if first else "")
                    + ' (onInvalidRows="reject" sends them to a rejects folder instead)',
                )
            path = self.ctx.rejects_path(self.pipeline.id, source_id)
            output = RejectsOutput(self.spark, read.rejects, path)
            output.rows_written = bad
            self.outputs.append(output)
            output.stage()

    def load_lookup(self, reference: str) -> DataFrame:
        if reference in self._lookups:
            return self._lookups[reference]
        from spark_runner.definition import lookup_path

        path = lookup_path(reference)
        if path is None:
            check_table(self.ctx.policy, reference, False, self.where)
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

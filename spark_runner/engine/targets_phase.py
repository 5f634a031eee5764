"""The target hooks of ``SparkPipeline``: stage every target, commit them by quick swaps (see
commit.py), abort on failure, and release staging and caches."""

from __future__ import annotations

import contextlib
import time

from pyspark.sql import DataFrame

from spark_runner.definition.model import CsvTarget, DatabaseTarget, HiveTarget
from spark_runner.engine.commit import (
    CsvOutput,
    DatabaseOutput,
    HiveOutput,
    Output,
    csv_destination,
)
from spark_runner.engine.confine import check_connection, check_table, check_write
from spark_runner.engine.errors import EngineError
from spark_runner.engine.fs import FS
from spark_runner.engine.observations import drain_listeners
from spark_runner.engine.schema import conform


class TargetsPhase:
    """Target hooks of the pipeline template (mixed into ``SparkPipeline``)."""

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
        policy = self.ctx.policy
        if isinstance(target, HiveTarget):
            # the engine creates (and writes) only databases the application owns
            check_table(policy, target.table, True, self.where)
            warehouse = self.spark.conf.get("spark.sql.warehouse.dir")
            return HiveOutput(self.spark, df, target, self.ctx.run_id, warehouse, self.ctx.key)
        if isinstance(target, CsvTarget):
            path = csv_destination(self.ctx, target)
            if policy is not None:
                check_write(policy, target.path, path, target)
            return CsvOutput(self.spark, df, target, path, self.ctx.run_id, self.ctx.key)
        if isinstance(target, DatabaseTarget):
            check_connection(policy, target)
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

    def commit(self) -> None:
        self._check_cancelled()
        self.phase = "commit"
        if self.vault is not None and self.vault.pending:
            self.where = "commit token vault"
            self.vault.write(self.spark)
        for output in self.outputs:
            self.where = f"commit target {output.kind} {output.name}"
            output.commit()
        for output in self.outputs:
            with contextlib.suppress(Exception):
                output.drop_earlier_attempts()

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

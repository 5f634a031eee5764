"""CSV exports and rejects folders: staged beside the destination, renamed into place at commit."""

from __future__ import annotations

import contextlib

from pyspark.sql import DataFrame

from spark_runner.definition.model import CsvTarget
from spark_runner.engine.connectors.csv import export_path, writer_options
from spark_runner.engine.errors import EngineError
from spark_runner.engine.fs import FS, glob_escape, name, parent
from spark_runner.engine.outputs import (
    NO_SUCCESS_MARKER,
    STAGING_WRITE,
    Output,
    _observed,
    _rows,
    _tag,
)
from spark_runner.engine.staging import drop_earlier_attempts, staging_tag, tidy


class CsvOutput(Output):
    kind = "csv"

    def __init__(
        self, spark, df: DataFrame, target: CsvTarget, path: str, run_id: str, key: str = ""
    ):
        self.spark, self.df, self.target = spark, df, target
        self.fs = FS(spark)
        self.path = path.rstrip("/")
        self.name = self.path
        tag = _tag(run_id)
        self.tag = tag
        self.key = _tag(key or run_id)
        self.tmp = f"{parent(self.path)}/.{name(self.path)}.hub-tmp-{staging_tag(self.key, tag)}"
        self.old = f"{parent(self.path)}/.{name(self.path)}.hub-old-{tag}"
        self.skip = False
        self._obs = None

    def stage(self) -> None:
        tidy(self.fs, self.path, self.tag, self.key)
        mode = self.target.mode
        if self.fs.exists(self.path):
            if mode == "error":
                raise EngineError("target", f"{self.path} exists and mode is error")
            if mode == "ignore":
                self.skip = True
                self.rows_written = 0
                return
        try:
            self.fs.mkdirs(parent(self.path))
        except Exception as exc:
            raise EngineError("permission", f"cannot create {parent(self.path)}: {exc}") from None
        self.fs.delete(self.tmp)
        df, self._obs = _observed(self.df)
        options = {**writer_options(self.target), **STAGING_WRITE}
        if mode == "append":
            options.update(NO_SUCCESS_MARKER)
        df.write.options(**options).mode("overwrite").csv(self.tmp)

    def commit(self) -> None:
        if self.skip:
            return
        self.rows_written = _rows(self._obs)
        if self.target.mode == "append":
            # Part files named after the output key: a repeat with the same key (the same run
            # again, or a retry of a killed attempt) replaces that key's files.
            if not self.fs.exists(self.path):
                self.fs.mkdirs(self.path)
            for old, _, _ in self.fs.glob_status(
                f"{glob_escape(self.path)}/part-{glob_escape(self.key)}-*"
            ):
                self.fs.delete(old)
            for i, part in enumerate(sorted(self.fs.list(self.tmp))):
                base = name(part)
                if base.startswith(("_", ".")):
                    continue
                ext = base[base.index(".") :] if "." in base else ""
                self.fs.rename(part, f"{self.path}/part-{self.key}-{i:05d}{ext}")
            self.fs.delete(self.tmp)
            return
        if self.fs.exists(self.path):
            self.fs.rename(self.path, self.old)
            self.fs.rename(self.tmp, self.path)
            self.fs.delete(self.old)
        else:
            self.fs.rename(self.tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.fs.delete(self.tmp)

    def drop_earlier_attempts(self) -> None:
        drop_earlier_attempts(self.fs, self.path, self.tag, self.key)


class RejectsOutput(Output):
    kind = "rejects"

    def __init__(self, spark, df: DataFrame, path: str):
        self.spark, self.df, self.path, self.name = spark, df, path, path
        self.fs = FS(spark)
        self.tmp = f"{parent(path)}/.{name(path)}.hub-tmp"

    def stage(self) -> None:
        self.fs.delete(self.tmp)
        self.df.write.mode("overwrite").text(self.tmp)

    def commit(self) -> None:
        self.fs.delete(self.path)
        self.fs.rename(self.tmp, self.path)

    def abort(self) -> None:
        self.fs.delete(self.tmp)


def csv_destination(ctx, target: CsvTarget) -> str:
    return ctx.resolve_path(export_path(target.path, ctx.run_date))

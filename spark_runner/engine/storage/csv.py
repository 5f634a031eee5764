"""CSV files: sources read with their schema enforced and bad rows counted; exports staged beside
the destination and renamed into place at commit; the rejects folder of a source's bad rows.

* An export is written to ``.<name>.hub-tmp-<key>[.<run>]`` beside the destination, then moved
  into place; overwrite keeps the old folder (``.<name>.hub-old-<run>``) until the new one is in
  place. append moves the new part files (named after the output key, so a re-run replaces its
  own files).
"""

from __future__ import annotations

import contextlib
import csv as _csv
import re
from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_runner.definition.model import CsvSource, CsvTarget
from spark_runner.engine.confine import check_read, check_write
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
from spark_runner.engine.schema import to_struct
from spark_runner.engine.staging import drop_earlier_attempts, staging_max_age, staging_tag, tidy
from spark_runner.engine.storage import SourceRead, StorageKind, storage_kind

CORRUPT = "_corrupt_record"
# What the parser returns for an empty unquoted field, so that it reads as null while a quoted
# empty field ("") stays an empty string (Spark's default maps both to null). A field whose
# text is this NUL character would read as null too; no text file holds one.
NULL_MARK = "\u0000"


@storage_kind(source=CsvSource, target=CsvTarget)
class Csv(StorageKind):
    name = "csv"

    def read(self, source: CsvSource, run, fields) -> CsvRead:
        path = run.ctx.resolve_path(source.path)
        return read_csv(run.spark, source, path, None if fields is None else to_struct(fields))

    def output(self, target: CsvTarget, df: DataFrame, run) -> Output:
        self.check_target(target, run)
        ctx = run.ctx
        return CsvOutput(run.spark, df, target, csv_destination(ctx, target), ctx.run_id, ctx.key)

    def check_target(self, target: CsvTarget, run) -> None:
        if run.ctx.policy is not None:
            check_write(run.ctx.policy, target.path, csv_destination(run.ctx, target), target)

    def target_where(self, target: CsvTarget) -> str:
        return f"target csv {target.path}"

    def confine_source(self, source: CsvSource, ctx) -> None:
        path = ctx.resolve_path(source.path)
        check_read(FS(ctx.spark), ctx.policy, source.path, path, source)

    def confine_target(self, target: CsvTarget, ctx) -> None:
        check_write(ctx.policy, target.path, csv_destination(ctx, target), target)


@dataclass
class CsvRead(SourceRead):
    """A CSV source as read: the DataFrame the steps see, and how to count the bad rows."""

    path: str = ""
    first_bad: object = field(default=None, repr=False)  # callable -> str | None

    def invalid_rows_message(self, source: CsvSource, bad: int) -> str:
        first = self.first_bad() if self.first_bad else None
        fit = (
            f"do not fit schema {source.schema_ref}"
            if source.schema_ref
            else "do not have as many fields as the header"
        )
        return (
            f"{bad} row(s) of {source.path} {fit}"
            + (f"; first: {first}" if first else "")
            + ' (onInvalidRows="reject" sends them to a rejects folder instead)'
        )


def reader_options(source: CsvSource) -> dict[str, str]:
    """RFC 4180: ``"`` quotes a field and ``""`` inside it is one quote (never a backslash
    escape); quoted fields may hold delimiters and line breaks (``multiLine``, which also takes
    CRLF or LF as found); an empty unquoted field is null, ``""`` the empty string."""
    return {
        "header": "true" if source.header else "false",
        "sep": source.delimiter,
        "encoding": "UTF-8",
        "quote": '"',
        "escape": '"',
        "multiLine": "true",
        "nullValue": NULL_MARK,
        "emptyValue": "",
    }


def read_csv(spark, source: CsvSource, path: str, schema: T.StructType | None) -> CsvRead:
    """Reads ``path`` (wildcards, .gz and .bz2 alike). Without a schema every column is a
    string (or inferred, with ``inferSchema``). With one, rows that do not fit are flagged."""
    fs = FS(spark)
    matches = sorted(fs.glob(path))
    if not matches:
        where = parent(path) if not fs.exists(parent(path)) else path
        raise EngineError("source_missing", f"no file matches {path} (looked in {where})")
    options = reader_options(source)
    reader = spark.read.options(**options)
    if schema is None:
        # Every column a string (the names from the first line, read directly: Spark would
        # run a job just to read it), or the types inferred. Ragged rows are still bad rows.
        names = None if source.infer_schema else header_names(spark, source, matches[0])
        if names is not None:
            schema = T.StructType([T.StructField(n, T.StringType(), True) for n in names])
        else:
            inferred = reader.option("inferSchema", "true" if source.infer_schema else "false")
            schema = inferred.csv(path).schema
            if not schema.fields:
                return CsvRead(df=inferred.csv(path), path=path)
    else:
        check_header(spark, source, path, schema, matches[0])
    with_corrupt = T.StructType([*schema.fields, T.StructField(CORRUPT, T.StringType(), True)])
    raw = (
        reader.schema(with_corrupt)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT)
        .csv(path)
    )
    bad = Observation()
    if source.on_invalid_rows == "reject":
        # One parse feeds both the good rows and the rejects.
        raw = raw.persist()
    # Naming a data column keeps the parser from being asked for the corrupt column alone
    # (which Spark refuses) when a count is all that is needed downstream.
    first = F.col(f"`{schema.fields[0].name}`") if schema.fields else F.lit(1)
    observed = raw.observe(
        bad, F.count(F.col(CORRUPT)).alias("bad"), F.count(first).alias("first_filled")
    )
    good = observed.filter(F.col(CORRUPT).isNull()).drop(CORRUPT)
    rejects = None
    if source.on_invalid_rows == "reject":
        rejects = raw.filter(F.col(CORRUPT).isNotNull()).select(F.col(CORRUPT).alias("line"))

    def first_bad() -> str | None:
        probe = (
            reader.schema(with_corrupt)
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", CORRUPT)
            .csv(path)
            .select(F.col(CORRUPT), first, F.input_file_name().alias("file"))
            .filter(F.col(CORRUPT).isNotNull())
            .first()
        )
        if probe is None:
            return None
        line = probe[CORRUPT]
        if len(line) > 120:
            line = line[:117] + "..."
        return f"{line!r} in {name(probe['file'])}"

    return CsvRead(df=good, path=path, bad_rows=bad, rejects=rejects, first_bad=first_bad)


def header_names(spark, source: CsvSource, first: str) -> list[str] | None:
    """The column names Spark would give the file ``first`` (its header line, made safe as
    Spark does: an empty name is ``_c<i>``, duplicates get their index appended; without a
    header ``_c0``, ``_c1``, ...). None when the first line cannot be taken apart here (an
    empty file, a delimiter longer than one character): Spark reads it then."""
    if len(source.delimiter) != 1:
        return None
    line = first_line(spark, first)
    if line is None:
        return None
    cells = header_cells(source, line)
    if cells is None:
        return None
    if not source.header:
        return [f"_c{i}" for i in range(len(cells))]
    case_sensitive = str(spark.conf.get("spark.sql.caseSensitive", "false")).lower() == "true"

    def norm(value: str) -> str:
        return value if case_sensitive else value.lower()

    seen = [norm(c) for c in cells if c]
    duplicates = {n for n in seen if seen.count(n) > 1}
    return [
        f"_c{i}" if not c else (f"{c}{i}" if norm(c) in duplicates else c)
        for i, c in enumerate(cells)
    ]


def header_cells(source: CsvSource, line: str) -> list[str] | None:
    """The fields of a header line, unquoted as RFC 4180 says (the BOM dropped)."""
    if len(source.delimiter) != 1:
        return line.lstrip("\ufeff").split(source.delimiter)
    try:
        return next(_csv.reader([line.lstrip("\ufeff")], delimiter=source.delimiter))
    except (StopIteration, _csv.Error):
        return None


def check_header(spark, source: CsvSource, path: str, schema: T.StructType, first: str) -> None:
    """The header's column names must be the schema's (same order, case-insensitive). Reads
    the first line of the first matching file directly (no Spark job)."""
    if not source.header:
        return
    line = first_line(spark, first)
    if line is None:
        return
    names = [c.strip() for c in header_cells(source, line) or []]
    wanted = [f.name for f in schema.fields]
    if [n.lower() for n in names] != [w.lower() for w in wanted]:
        raise EngineError(
            "schema_mismatch",
            f"the header of {name(first)} ({', '.join(names)}) does not match the schema "
            f"({', '.join(wanted)})",
        )


def first_line(spark, file: str) -> str | None:
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    hpath = jvm.org.apache.hadoop.fs.Path(file)
    stream = hpath.getFileSystem(conf).open(hpath)
    codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(hpath)
    if codec is not None:
        stream = codec.createInputStream(stream)
    reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
    try:
        return reader.readLine()
    finally:
        reader.close()


def export_path(path: str, run_date: date) -> str:
    """``%Y``, ``%m``, ``%d`` filled from the run date; nothing else is interpreted."""
    return re.sub(
        r"%([Ymd])",
        lambda m: {"Y": f"{run_date:%Y}", "m": f"{run_date:%m}", "d": f"{run_date:%d}"}[m[1]],
        path,
    )


def writer_options(target: CsvTarget) -> dict[str, str]:
    return {
        "header": "true" if target.header else "false",
        "sep": target.delimiter,
        "compression": "none" if target.compression == "none" else target.compression,
        "encoding": "UTF-8",
        "quote": '"',
        "escape": '"',
        # null is written as nothing, the empty string as "" (Spark's defaults, stated here as
        # they are the contract); spaces around a value are data, not trimmed.
        "nullValue": "",
        "emptyValue": '""',
        "ignoreLeadingWhiteSpace": "false",
        "ignoreTrailingWhiteSpace": "false",
    }


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
        tidy(self.fs, self.path, self.tag, self.key, staging_max_age(self.spark))
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

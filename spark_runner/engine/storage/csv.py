"""CSV: reading sources (schema enforced, bad rows counted) and writing exports atomically."""

from __future__ import annotations

import csv as _csv
import re
from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_runner.definition.model import CsvSource, CsvTarget
from spark_runner.engine.errors import EngineError
from spark_runner.engine.fs import FS, name, parent

CORRUPT = "_corrupt_record"
# What the parser returns for an empty unquoted field, so that it reads as null while a quoted
# empty field ("") stays an empty string (Spark's default maps both to null). A field whose
# text is this NUL character would read as null too; no text file holds one.
NULL_MARK = "\u0000"


@dataclass
class CsvRead:
    """A CSV source as read: the DataFrame the steps see, and how to count the bad rows."""

    df: DataFrame
    path: str
    bad_rows: Observation | None = None  # filled when the data is first read
    rejects: DataFrame | None = None  # the raw bad lines, when on_invalid_rows="reject"
    first_bad: object = field(default=None, repr=False)  # callable -> str | None


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

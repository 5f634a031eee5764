"""Differential testing against DuckDB: generated tables written as RFC 4180 CSV files, read by
the engine's CSV reader and by DuckDB, and rows compared as multisets (or in order)."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from pathlib import Path

import duckdb
from hypothesis import settings
from hypothesis import strategies as st
from pyspark.sql import types as T

from spark_runner.definition.model import CsvSource
from spark_runner.engine.storage.csv import read_csv

# Text as files hold it: quotes, delimiters, line breaks, spaces, unicode, the empty string.
# Not NUL (the reader's null mark) nor CR (a CRLF inside quotes reads as LF, documented).
TEXT_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r")
TEXT = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "a", "A", "b", '"', '"q"', "x,y", "l1\nl2", " sp ", "Zoë", "東京"]),
    st.text(TEXT_CHARS, max_size=5),
)
KEY = st.one_of(st.none(), st.sampled_from(["k1", "k2", "", 'k"3', "k,4", "k\n5", "Ω"]))
NUMBER = st.one_of(st.none(), st.integers(-3, 3))
TIMESTAMP = st.one_of(
    st.none(),
    st.builds(
        lambda d, h: f"2024-03-{d:02d} {h:02d}:30:00", st.integers(1, 20), st.integers(0, 23)
    ),
)

SPARK_TYPES = {
    "VARCHAR": T.StringType(),
    "BIGINT": T.LongType(),
    "TIMESTAMP": T.TimestampType(),
}


def examples(share: float = 1.0) -> int:
    """A share of the profile's examples (Spark runs dominate the time)."""
    return max(2, math.ceil(settings().max_examples * share))


def table(columns: dict[str, st.SearchStrategy], min_size=0, max_size=8):
    """Rows as tuples; the first column ``rn`` is the row's position (the input order)."""
    row = st.tuples(*columns.values())
    return st.lists(row, min_size=min_size, max_size=max_size).map(
        lambda rows: [(i, *r) for i, r in enumerate(rows)]
    )


def _field(value) -> str:
    if value is None:
        return ""  # an empty unquoted field: null
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'  # quoted: "" is the empty string
    return str(value)


def write_csv(path: Path, columns: list[str], rows, crlf: bool = False) -> Path:
    end = "\r\n" if crlf else "\n"
    lines = [",".join(columns)] + [",".join(_field(v) for v in row) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((end.join(lines) + end).encode("utf-8"))
    return path


class Tables:
    """One folder of CSV files, each read by the engine (DataFrame) and by DuckDB (a table)."""

    def __init__(self, spark, root: Path):
        self.spark = spark
        self.root = root
        self.db = duckdb.connect()

    def add(self, name: str, schema: dict[str, str], rows, crlf=False):
        path = write_csv(self.root / f"{name}-{uuid.uuid4().hex[:8]}.csv", list(schema), rows, crlf)
        types = ", ".join(f"'{c}': '{t}'" for c, t in schema.items())
        self.db.execute(
            f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv('{path}', header=true,"
            f" auto_detect=false, delim=',', quote='\"', escape='\"', columns={{{types}}},"
            " allow_quoted_nulls=false)"
        )
        struct = T.StructType([T.StructField(c, SPARK_TYPES[t], True) for c, t in schema.items()])
        source = CsvSource(id=name, path=str(path), schema_ref=f"{name}.json")
        return read_csv(self.spark, source, str(path), struct).df

    def sql(self, query: str) -> list[tuple]:
        return [tuple(r) for r in self.db.execute(query).fetchall()]


def _norm(value):
    if isinstance(value, float):
        return round(value, 9)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    return value


def normalise(rows) -> list[tuple]:
    return [tuple(_norm(v) for v in row) for row in rows]


def same_multiset(engine_rows, oracle_rows) -> None:
    got, want = Counter(normalise(engine_rows)), Counter(normalise(oracle_rows))
    assert got == want, f"engine only: {got - want}; DuckDB only: {want - got}"


def collect(df) -> list[tuple]:
    return [tuple(r) for r in df.collect()]

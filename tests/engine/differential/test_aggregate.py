"""aggregate against DuckDB: every metric (count rows, count values, sum, avg, min, max of
numbers and of text), with and without groupBy, daily and weekly windows (a null time is its
own group), and empty inputs (one row without groupBy and window, as in SQL)."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spark_runner.definition.model import Aggregate, Metric
from spark_runner.engine.transformations.aggregate import apply
from tests.engine.differential.conftest import step_context
from tests.engine.differential.tables import (
    KEY,
    NUMBER,
    TEXT,
    TIMESTAMP,
    collect,
    examples,
    same_multiset,
    table,
)

pytestmark = pytest.mark.spark

SCHEMA = {"rn": "BIGINT", "k": "VARCHAR", "v": "VARCHAR", "n": "BIGINT", "ts": "TIMESTAMP"}
METRICS = (
    Metric("count", None, "rows"),
    Metric("count", "n", "count_n"),
    Metric("sum", "n", "sum_n"),
    Metric("avg", "n", "avg_n"),
    Metric("min", "n", "min_n"),
    Metric("max", "n", "max_n"),
    Metric("min", "v", "min_v"),
    Metric("max", "v", "max_v"),
)
SQL_METRICS = "count(*), count(n), sum(n), avg(n), min(n), max(n), min(v), max(v)"
WINDOWS = {
    None: None,
    "daily": "CAST(ts AS DATE)",
    "weekly": "CAST(date_trunc('week', ts) AS DATE)",
}


@settings(max_examples=examples())
@given(
    rows=table({"k": KEY, "v": TEXT, "n": NUMBER, "ts": TIMESTAMP}, max_size=10),
    group_by=st.sampled_from([(), ("k",)]),
    window=st.sampled_from([None, "daily", "weekly"]),
)
@example(rows=[], group_by=(), window=None)  # one row: count 0, the rest null
@example(rows=[], group_by=("k",), window="weekly")  # no rows
@example(rows=[(0, None, None, None, None)], group_by=("k",), window="daily")
def test_aggregate_matches_duckdb(tables, rows, group_by, window):
    with tables() as t:
        df = t.add("t", SCHEMA, rows)
        step = Aggregate(
            source="t",
            group_by=group_by,
            metrics=METRICS,
            window=window,
            time_column="ts" if window else None,
        )
        result = apply(step, {"t": df}, step_context())
        groups = list(group_by) + ([f"{WINDOWS[window]}"] if window else [])
        assert result.columns == [
            *group_by,
            *(["window_start"] if window else []),
            *(m.alias for m in METRICS),
        ]
        select = ", ".join([*groups, SQL_METRICS])
        group = f" GROUP BY {', '.join(groups)}" if groups else ""
        same_multiset(collect(result), t.sql(f"SELECT {select} FROM t{group}"))

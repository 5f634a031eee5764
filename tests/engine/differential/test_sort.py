"""sort against DuckDB: several columns, asc/desc, nulls first/last or the default; the order
is compared row by row (the sort key columns, as ties may come in any order)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spark_runner.definition.model import Sort
from spark_runner.engine.transformations.sort import apply
from tests.engine.differential.conftest import step_context
from tests.engine.differential.tables import (
    KEY,
    NUMBER,
    TEXT,
    collect,
    examples,
    normalise,
    same_multiset,
    table,
)

pytestmark = pytest.mark.spark

SCHEMA = {"rn": "BIGINT", "k": "VARCHAR", "v": "VARCHAR", "n": "BIGINT"}


@settings(max_examples=examples())
@given(
    rows=table({"k": KEY, "v": TEXT, "n": NUMBER}, max_size=10),
    columns=st.sampled_from([("k",), ("n", "k"), ("k", "n", "v"), ("v",)]),
    direction=st.sampled_from(["asc", "desc"]),
    nulls=st.sampled_from([None, "first", "last"]),
)
def test_sort_matches_duckdb(tables, rows, columns, direction, nulls):
    with tables() as t:
        df = t.add("t", SCHEMA, rows)
        step = Sort(source="t", order_by=columns, direction=direction, nulls=nulls)
        got = collect(apply(step, {"t": df}, step_context()))
        # the documented default: nulls first ascending, last descending
        placing = nulls or ("first" if direction == "asc" else "last")
        order = ", ".join(f"{c} {direction.upper()} NULLS {placing.upper()}" for c in columns)
        want = t.sql(f"SELECT rn, k, v, n FROM t ORDER BY {order}")
        same_multiset(got, want)
        index = [list(SCHEMA).index(c) for c in columns]
        assert [tuple(r[i] for i in index) for r in normalise(got)] == [
            tuple(r[i] for i in index) for r in normalise(want)
        ]

"""The six joins against DuckDB, on an equality of same-named keys alone or with a range term;
null keys never match, duplicated keys multiply rows; right/full keep the key coalesced."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spark_runner.definition.model import ColumnRef, Comparison, Join
from spark_runner.engine.transformations.join import apply
from tests.engine.differential.conftest import step_context
from tests.engine.differential.tables import (
    KEY,
    NUMBER,
    TEXT,
    collect,
    examples,
    same_multiset,
    table,
)

pytestmark = pytest.mark.spark

LEFT = {"rn": "BIGINT", "k": "VARCHAR", "v": "VARCHAR", "n": "BIGINT"}
RIGHT = {"r_rn": "BIGINT", "k": "VARCHAR", "w": "VARCHAR", "m": "BIGINT"}
TYPES = ["inner", "left", "right", "full", "semi", "anti"]


def oracle(join_type: str, with_range: bool) -> str:
    on = "l.k = r.k" + (" AND l.n <= r.m" if with_range else "")
    if join_type == "semi":
        return f"SELECT * FROM l WHERE EXISTS (SELECT 1 FROM r WHERE {on})"
    if join_type == "anti":
        return f"SELECT * FROM l WHERE NOT EXISTS (SELECT 1 FROM r WHERE {on})"
    key = "coalesce(l.k, r.k)" if join_type in ("right", "full") else "l.k"
    how = {"inner": "JOIN", "left": "LEFT JOIN", "right": "RIGHT JOIN", "full": "FULL JOIN"}
    return f"SELECT l.rn, {key}, l.v, l.n, r.r_rn, r.w, r.m FROM l {how[join_type]} r ON {on}"


@pytest.mark.parametrize("join_type", TYPES)
@settings(max_examples=examples(0.5))
@given(
    left=table({"k": KEY, "v": TEXT, "n": NUMBER}, max_size=7),
    right=table({"k": KEY, "w": TEXT, "m": NUMBER}, max_size=7),
    with_range=st.booleans(),
)
def test_join_matches_duckdb(tables, join_type, left, right, with_range):
    with tables() as t:
        frames = {"l": t.add("l", LEFT, left), "r": t.add("r", RIGHT, right)}
        terms = [Comparison(ColumnRef("l", "k"), "=", ColumnRef("r", "k"))]
        if with_range:
            terms.append(Comparison(ColumnRef("l", "n"), "<=", ColumnRef("r", "m")))
        step = Join(left="l", right="r", type=join_type, condition="", terms=tuple(terms))
        result = apply(step, frames, step_context())
        expected_columns = ["rn", "k", "v", "n"]
        if join_type not in ("semi", "anti"):
            expected_columns += ["r_rn", "w", "m"]
        assert result.columns == expected_columns
        same_multiset(collect(result), t.sql(oracle(join_type, with_range)))

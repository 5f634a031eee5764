"""merge against DuckDB: union by column name (a column a source lacks is null) and the keyed
upsert (greatest orderBy, a null never wins; ties and no orderBy go to the later source, then
to the later row)."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spark_runner.definition.model import Merge
from spark_runner.engine.transformations.merge import apply
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

A = {"rn": "BIGINT", "k": "VARCHAR", "v": "VARCHAR"}
B = {"rn": "BIGINT", "n": "BIGINT", "k": "VARCHAR"}  # another order, one column more
UNION = (
    "SELECT 0 AS src, rn, k, v, NULL::BIGINT AS n FROM a UNION ALL SELECT 1, rn, k, NULL, n FROM b"
)


@settings(max_examples=examples())
@given(
    a=table({"k": KEY, "v": TEXT}, max_size=7),
    b=table({"n": NUMBER, "k": KEY}, max_size=7),
)
def test_union_by_name_matches_duckdb(tables, a, b):
    with tables() as t:
        frames = {"a": t.add("a", A, a), "b": t.add("b", B, b)}
        result = apply(Merge(sources=("a", "b")), frames, step_context())
        assert result.columns == ["rn", "k", "v", "n"]
        same_multiset(collect(result), t.sql(f"SELECT rn, k, v, n FROM ({UNION})"))


@settings(max_examples=examples())
@given(
    a=table({"k": KEY, "v": TEXT}, max_size=7),
    b=table({"n": NUMBER, "k": KEY}, max_size=7),
    ordered=st.booleans(),
)
@example(  # a tie on n across sources and a null n: the later source wins, a null never does
    a=[(0, "k1", "a"), (1, "k2", "b")],
    b=[(0, 1, "k1"), (1, None, "k2"), (2, None, "k2")],
    ordered=True,
)
def test_upsert_matches_duckdb(tables, a, b, ordered):
    with tables() as t:
        frames = {"a": t.add("a", A, a), "b": t.add("b", B, b)}
        step = Merge(
            sources=("a", "b"), mode="upsert", keys=("k",), order_by=("n",) if ordered else ()
        )
        result = apply(step, frames, step_context())
        ordering = ("n DESC NULLS LAST, " if ordered else "") + "src DESC, rn DESC"
        want = t.sql(
            f"SELECT rn, k, v, n FROM (SELECT *, row_number() OVER (PARTITION BY k ORDER BY "
            f"{ordering}) AS r FROM ({UNION})) WHERE r = 1"
        )
        same_multiset(collect(result), want)

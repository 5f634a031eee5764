"""deduplicate against DuckDB: keep first/last/latest, with and without orderBy, ties, null keys
and null orderBy values (a null never wins; ties go by input order)."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spark_runner.definition.model import Deduplicate
from spark_runner.engine.transformations.deduplicate import apply
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

SCHEMA = {"rn": "BIGINT", "k": "VARCHAR", "v": "VARCHAR", "n": "BIGINT"}
ROWS = table({"k": KEY, "v": TEXT, "n": NUMBER}, max_size=10)


def oracle(keep: str, order_by: bool) -> str:
    if keep == "first":
        ordering = ("n ASC NULLS LAST, " if order_by else "") + "rn ASC"
    else:  # last (by ascending orderBy) and latest: the greatest, a null never wins
        ordering = ("n DESC NULLS LAST, " if order_by else "") + "rn DESC"
    return (
        "SELECT rn, k, v, n FROM (SELECT *, row_number() OVER (PARTITION BY k ORDER BY "
        f"{ordering}) AS r FROM t) WHERE r = 1"
    )


@settings(max_examples=examples())
@given(
    rows=ROWS,
    keep=st.sampled_from(["first", "last", "latest"]),
    order_by=st.booleans(),
    crlf=st.booleans(),
)
@example(  # ties on orderBy and null orderBy values inside one key; a null key group
    rows=[(0, "k1", "a", 1), (1, "k1", "b", 1), (2, "k1", "c", None), (3, None, "", None)],
    keep="latest",
    order_by=True,
    crlf=False,
)
@example(
    rows=[(0, "k1", "a", None), (1, "k1", "b", 2), (2, "k1", '"', 2), (3, None, None, 1)],
    keep="first",
    order_by=True,
    crlf=True,
)
def test_deduplicate_matches_duckdb(tables, rows, keep, order_by, crlf):
    with tables() as t:
        df = t.add("t", SCHEMA, rows, crlf=crlf)
        # latest without orderBy would order by updated_at: name n explicitly
        ordered = order_by or keep == "latest"
        step = Deduplicate(source="t", keys=("k",), keep=keep, order_by=("n",) if ordered else ())
        got = collect(apply(step, {"t": df}, step_context()))
        same_multiset(got, t.sql(oracle(keep, ordered)))

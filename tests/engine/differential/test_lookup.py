"""lookup against DuckDB: left/inner, keys missing from the reference, null keys (never match),
a reference with several rows for a key (its first row, in file order, wins)."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spark_runner.definition.model import Lookup
from spark_runner.engine.transformations.lookup import apply
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

SOURCE = {"rn": "BIGINT", "k": "VARCHAR", "v": "VARCHAR", "n": "BIGINT"}
REFERENCE = {"k": "VARCHAR", "ref_rn": "BIGINT", "label": "VARCHAR"}


def oracle(join_type: str) -> str:
    how = "LEFT JOIN" if join_type == "left" else "JOIN"
    return (
        "WITH first_rows AS (SELECT k, label FROM (SELECT *, row_number() OVER "
        "(PARTITION BY k ORDER BY ref_rn) AS r FROM ref WHERE k IS NOT NULL) WHERE r = 1) "
        f"SELECT s.rn, s.k, s.v, s.n, f.label FROM s {how} first_rows f ON s.k = f.k"
    )


@settings(max_examples=examples())
@given(
    source=table({"k": KEY, "v": TEXT, "n": NUMBER}, max_size=8),
    reference=table({"k": KEY, "label": TEXT}, max_size=6),
    join_type=st.sampled_from(["left", "inner"]),
)
@example(
    source=[(0, "k1", "a", 1), (1, "k2", "b", None), (2, None, "", 2)],
    reference=[(0, "k1", "first"), (1, "k1", "second"), (2, None, "null key")],
    join_type="left",
)
def test_lookup_matches_duckdb(tables, source, reference, join_type):
    with tables() as t:
        s = t.add("s", SOURCE, source)
        # the reference's columns: k first (the default key), then its order, then the label
        ref = t.add("ref", REFERENCE, [(k, rn, label) for rn, k, label in reference])
        step = Lookup(source="s", reference="dim", output_fields=("label",), join_type=join_type)
        result = apply(step, {"s": s}, step_context({"dim": ref}))
        assert result.columns == ["rn", "k", "v", "n", "label"]
        same_multiset(collect(result), t.sql(oracle(join_type)))

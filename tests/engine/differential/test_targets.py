"""Targets against DuckDB: two runs (a first batch, then a second) into a CSV export, a Hive table
(partitioned and not) and a PostgreSQL table, in every mode; the target read back must hold what
DuckDB SQL says the mode means (merge: an upsert by keys across the whole table)."""

import shutil
import tempfile
import uuid
from pathlib import Path

import duckdb
import psycopg
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.engine.differential.tables import NUMBER, TEXT, examples, same_multiset, write_csv
from tests.engine.helpers import JDBC, Workspace

pytestmark = pytest.mark.spark

COLUMNS = {"id": "BIGINT", "day": "VARCHAR", "v": "VARCHAR", "n": "BIGINT"}
AVSC = """{"type": "record", "name": "B", "fields": [
  {"name": "id", "type": "long"}, {"name": "day", "type": "string"},
  {"name": "v", "type": ["null", "string"]}, {"name": "n", "type": ["null", "long"]}]}"""
# one row per id within a batch (a merge's keys must be unique in the run's data)
BATCH = st.lists(
    st.tuples(st.integers(1, 9), st.sampled_from(["d1", "d2", "d3"]), TEXT, NUMBER),
    max_size=6,
    unique_by=lambda row: row[0],
)
CASES = [
    *[("csv", mode, False) for mode in ("append", "overwrite", "ignore", "error")],
    *[("hive", mode, part) for mode in ("append", "overwrite", "merge") for part in (False, True)],
    *[("database", mode, False) for mode in ("append", "overwrite", "truncateInsert", "merge")],
]
SECOND = "SELECT * FROM b2"
EXPECTED = {
    "append": "SELECT * FROM b1 UNION ALL SELECT * FROM b2",
    "overwrite": SECOND,
    "truncateInsert": SECOND,
    "ignore": "SELECT * FROM b1",
    "error": "SELECT * FROM b1",
    "merge": "SELECT * FROM b1 WHERE id NOT IN (SELECT id FROM b2) UNION ALL " + SECOND,
    # partitioned overwrite: only the partitions the second batch holds are replaced
    "overwrite partitioned": "SELECT * FROM b1 WHERE day NOT IN (SELECT day FROM b2) UNION ALL "
    + SECOND,
}


def _target_xml(kind, mode, partitioned, name):
    if kind == "csv":
        return f'<csv path="out/{name}" mode="{mode}"/>'
    if kind == "hive":
        extra = ' partitionBy="day"' if partitioned else ""
        extra += ' keys="id"' if mode == "merge" else ""
        return f'<hive table="diff.{name}" mode="{mode}"{extra}/>'
    keys = ' keys="id"' if mode == "merge" else ""
    return (
        f'<database id="db" jdbcUrl="{JDBC}" mode="{mode}"{keys}><table name="{name}"/></database>'
    )


def _read_back(spark, ws, kind, name, scratch_db):
    if kind == "csv":
        parts = [p for p in (ws.app_root / "out" / name).glob("part-*") if p.stat().st_size]
        if not parts:
            return []
        files = ", ".join(f"'{p}'" for p in parts)
        types = ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS.items())
        return duckdb.sql(
            f"SELECT * FROM read_csv([{files}], header=true, auto_detect=false, delim=',',"
            f" quote='\"', escape='\"', columns={{{types}}}, allow_quoted_nulls=false)"
        ).fetchall()
    if kind == "hive":
        spark.catalog.refreshTable(f"diff.{name}")
        return [tuple(r) for r in spark.table(f"diff.{name}").select(*COLUMNS).collect()]
    with psycopg.connect(scratch_db) as conn:
        return conn.execute(f"SELECT id, day, v, n FROM {name}").fetchall()


@pytest.mark.parametrize(("kind", "mode", "partitioned"), CASES)
@settings(max_examples=examples(0.25))
@given(first=BATCH, second=BATCH)
@example(  # a key that moves partition, and a partition the move leaves empty
    first=[(1, "d1", "a", 1), (2, "d2", "", None)],
    second=[(1, "d2", '"q",\nx', 2), (2, "d3", None, 3)],
)
def test_target_modes_match_duckdb(spark, scratch_db, kind, mode, partitioned, first, second):
    root = Path(tempfile.mkdtemp(prefix="hub-diff-target-"))
    name = f"t_{uuid.uuid4().hex[:10]}"
    db = duckdb.connect()
    try:
        ws = Workspace(spark, root)
        ws.config_file(f"applications/{ws.app}/{ws.layer}/schemas/b.avsc", AVSC)
        types = ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS.items())
        for batch, rows in (("b1", first), ("b2", second)):
            path = write_csv(ws.app_root / f"in/{batch}.csv", list(COLUMNS), rows)
            db.execute(
                f"CREATE TABLE {batch} AS SELECT * FROM read_csv('{path}', header=true,"
                f" auto_detect=false, delim=',', quote='\"', escape='\"', columns={{{types}}},"
                " allow_quoted_nulls=false)"
            )
        if kind == "database":
            key = " PRIMARY KEY" if mode == "merge" else ""
            with psycopg.connect(scratch_db, autocommit=True) as conn:
                conn.execute(f"CREATE TABLE {name} (id bigint{key}, day text, v text, n bigint)")
        target = _target_xml(kind, mode, partitioned, name)
        results = []
        for batch in ("b1", "b2"):
            pipeline = ws.pipeline(
                f'<sources><csv id="s" path="in/{batch}.csv" schemaRef="b.avsc"/></sources>'
                f"<targets>{target}</targets>",
                pid=f"{name}_{batch}",
            )
            results.append(ws.run(pipeline))
        assert results[0].ok, results[0].error
        if mode == "error":
            assert results[1].status == "failed" and results[1].error.category == "target"
        else:
            assert results[1].ok, results[1].error
        query = EXPECTED[f"{mode} partitioned" if partitioned and mode == "overwrite" else mode]
        want = [tuple(r) for r in db.execute(query).fetchall()]
        same_multiset(_read_back(spark, ws, kind, name, scratch_db), want)
    finally:
        db.close()
        if kind == "database":
            with psycopg.connect(scratch_db, autocommit=True) as conn:
                conn.execute(f"DROP TABLE IF EXISTS {name}")
        shutil.rmtree(root, ignore_errors=True)

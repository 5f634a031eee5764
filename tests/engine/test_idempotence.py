"""Idempotent re-runs: a run repeated with the same output key (the same run again, or a retry of
a killed attempt, which runs_app gives its first attempt's id) gives the same output; a run with
another key appends. And staging folders left by killed attempts are cleaned."""

import os
import time
from pathlib import Path

import psycopg
import pytest

from spark_runner.engine import run_pipeline
from spark_runner.engine.fs import FS
from spark_runner.engine.staging import MAX_AGE_CONF, drop_earlier_attempts, tidy
from tests.engine.helpers import JDBC, Workspace, read_csv_dir, rows

pytestmark = pytest.mark.spark

SALES = "id,day,amount\n1,2024-03-01,10\n2,2024-03-01,20\n3,2024-03-02,Zoë\n"
ONCE = [("1", "2024-03-01", "10"), ("2", "2024-03-01", "20"), ("3", "2024-03-02", "Zoë")]


def _run(ws, pipeline, run_id, key):
    ctx = ws.context(run_id=run_id)
    ctx.output_key = key
    result = run_pipeline(pipeline, ctx)
    assert result.ok, result.error
    return result


def test_csv_append_with_the_same_key_replaces_that_keys_files(spark, tmp_path):
    # given
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES)
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        '<targets><csv path="out/sales" mode="append"/></targets>'
    )
    # when: a first attempt, then its retry (new run id, same key)
    _run(ws, pipeline, "run-1", "run-1")
    _run(ws, pipeline, "run-2", "run-1")
    # then
    out = ws.app_root / "out/sales"
    assert rows(read_csv_dir(spark, out), "id", "day", "amount") == ONCE
    assert all(p.name.startswith("part-run-1-") for p in out.iterdir() if p.suffix == ".csv")
    # when: another key
    _run(ws, pipeline, "run-3", "run-3")
    # then: appended
    assert rows(read_csv_dir(spark, out), "id", "day", "amount") == sorted(ONCE + ONCE)


@pytest.mark.parametrize("partitioned", [False, True])
def test_hive_append_with_the_same_key_gives_the_same_rows(spark, tmp_path, partitioned):
    # given
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES)
    table = f"idem.sales_{'p' if partitioned else 'u'}"
    extra = 'partitionBy="day"' if partitioned else ""
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        f'<targets><hive table="{table}" mode="append" {extra}/></targets>'
    )
    # when: the first attempt creates the table; its retry repeats the key
    _run(ws, pipeline, "k1", "k1")
    _run(ws, pipeline, "k1-retry", "k1")
    # then
    assert rows(spark.table(table), "id", "day", "amount") == ONCE
    # when: another key, then that key again
    _run(ws, pipeline, "k2", "k2")
    _run(ws, pipeline, "k2", "k2")
    # then: appended once
    assert rows(spark.table(table), "id", "day", "amount") == sorted(ONCE + ONCE)


def test_database_append_with_the_same_key_is_applied_once(spark, tmp_path, scratch_db):
    # given
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS sales_idem")
        conn.execute("DROP TABLE IF EXISTS hub_applied_outputs")
    ws = Workspace(spark, tmp_path, env={"HUB_SECRET_PG": "postgres:x"})
    ws.file("in/sales.csv", SALES)
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        f'<targets><database id="crm" jdbcUrl="{JDBC}" userSecretRef="pg" mode="append">'
        '<table name="public.sales_idem"/></database></targets>'
    )

    def table():
        with psycopg.connect(scratch_db) as conn:
            return sorted(conn.execute("SELECT id, day, amount FROM sales_idem").fetchall())

    # when
    first = _run(ws, pipeline, "d1", "d1")
    with psycopg.connect(scratch_db, autocommit=True) as conn:  # as if d1 and a retry were killed
        conn.execute("CREATE TABLE sales_idem__hub_d1 (id text)")  # named before attempts were
        conn.execute("CREATE TABLE sales_idem__hub_d1_killed2 (id text)")
        conn.execute("CREATE TABLE sales_idem__hub_d10_other (id text)")  # another key
    again = _run(ws, pipeline, "d1-retry", "d1")
    # then
    assert table() == ONCE
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        left = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'sales\\_idem\\_\\_hub%%'"
        ).fetchall()
        conn.execute("DROP TABLE sales_idem__hub_d10_other")
    assert left == [("sales_idem__hub_d10_other",)]
    assert [t.rows_written for t in first.targets] == [3]
    assert [t.rows_written for t in again.targets] == [0]
    # when: another key
    _run(ws, pipeline, "d2", "d2")
    # then
    assert table() == sorted(ONCE + ONCE)
    with psycopg.connect(scratch_db) as conn:
        keys = conn.execute(
            "SELECT output_key FROM hub_applied_outputs WHERE target = 'public.sales_idem'"
            " ORDER BY output_key"
        ).fetchall()
    assert keys == [("d1",), ("d2",)]


def test_stale_staging_folders_are_cleaned_and_a_live_runs_is_kept(spark, tmp_path):
    # given: beside an export, a killed attempt's staging (two hours old), a live run's (just
    # written), and an earlier attempt of this run's output key (young, but that attempt is over)
    out = tmp_path / "exports"
    out.mkdir()
    dead, live, earlier = (out / f".daily.hub-tmp-{t}" for t in ("dead", "live", "key1"))
    for folder in (dead, live, earlier):
        (folder / "_temporary").mkdir(parents=True)
        (folder / "part-00000.csv").write_text("a\n1\n")
    old = time.time() - 7200
    for path in (dead / "part-00000.csv", dead / "_temporary", dead):
        os.utime(path, (old, old))
    # when
    tidy(FS(spark), f"file://{out}/daily", run_tag="key1-retry", key_tag="key1", max_age=3600)
    # then
    assert sorted(p.name for p in out.iterdir()) == [".daily.hub-tmp-live"]


def test_staging_is_named_by_output_key_and_attempt_and_every_other_attempt_of_the_key_goes(
    spark, tmp_path
):
    # given, beside an export: the first attempt of key k1 (named k1), a killed retry of it
    # (k1.r2), ours (k1.r3), and a live run of another key that starts with the same characters
    out = tmp_path / "exports"
    out.mkdir()
    names = ["k1", "k1.r2", "k1.r3", "k10"]
    for tag in names:
        (out / f".daily.hub-tmp-{tag}" / "_temporary").mkdir(parents=True)
    # when the retry r3 tidies before it stages
    tidy(FS(spark), f"file://{out}/daily", run_tag="r3", key_tag="k1", max_age=3600)
    # then only the other attempts of k1 went
    assert sorted(p.name for p in out.iterdir()) == [".daily.hub-tmp-k1.r3", ".daily.hub-tmp-k10"]
    # when a late write of a reaped attempt comes back, and r3 has committed
    (out / ".daily.hub-tmp-k1.r2").mkdir()
    drop_earlier_attempts(FS(spark), f"file://{out}/daily", run_tag="r3", key_tag="k1")
    # then it goes too (r3's own staging is renamed into place by its commit)
    assert sorted(p.name for p in out.iterdir()) == [".daily.hub-tmp-k1.r3", ".daily.hub-tmp-k10"]


def test_a_run_cleans_a_killed_attempts_staging_beside_its_csv_export(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES)
    left = ws.app_root / "out/.sales.hub-tmp-killed"
    left.mkdir(parents=True)
    (left / "part-00000.csv").write_text("id\n1\n")
    old = time.time() - 7200
    os.utime(left / "part-00000.csv", (old, old))
    os.utime(left, (old, old))
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        '<targets><csv path="out/sales" mode="overwrite"/></targets>'
    )
    _run(ws, pipeline, "r1", "r1")
    assert sorted(p.name for p in (ws.app_root / "out").iterdir()) == ["sales"]


def test_the_session_s_staging_age_limit_decides_what_is_stale(spark, tmp_path):
    # given a killed attempt's staging beside an export, untouched for ten minutes
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES)
    left = ws.app_root / "out/.sales.hub-tmp-killed"
    left.mkdir(parents=True)
    (left / "part-00000.csv").write_text("id\n1\n")
    _aged(left, seconds=600)
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        '<targets><csv path="out/sales" mode="overwrite"/></targets>'
    )
    # when a run tidies under the default limit (an hour), it is left alone
    _run(ws, pipeline, "r1", "r1")
    assert (ws.app_root / "out/.sales.hub-tmp-killed").exists()
    # when the session's limit is five minutes (EngineSettings.staging_max_age_seconds)
    before = spark.conf.get(MAX_AGE_CONF)
    spark.conf.set(MAX_AGE_CONF, "300")
    try:
        _run(ws, pipeline, "r2", "r2")
    finally:
        spark.conf.set(MAX_AGE_CONF, before)
    # then it is stale and goes
    assert sorted(p.name for p in (ws.app_root / "out").iterdir()) == ["sales"]


def _aged(folder, seconds=7200):
    old = time.time() - seconds
    for path in [*folder.rglob("*"), folder]:
        os.utime(path, (old, old))


def test_a_hive_run_cleans_killed_runs_staging_and_version_folders_but_not_a_live_ones(
    spark, tmp_path
):
    # given: a table, and what killed runs left beside it (two hours untouched), and a live run's
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES)
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        '<targets><hive table="idem.tidy" mode="overwrite"/></targets>'
    )
    _run(ws, pipeline, "t1", "t1")
    warehouse = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
    root = warehouse / "idem.db" / "tidy"
    left = [root / "v-dead", warehouse / "_hub_staging" / "dead"]
    live = [root / "v-live", warehouse / "_hub_staging" / "live"]
    for folder in left + live:
        (folder / "x").mkdir(parents=True)
        (folder / "x" / "part-0.parquet").write_bytes(b"")
    for folder in left:
        _aged(folder)
    # when
    _run(ws, pipeline, "t2", "t2")
    # then
    assert [f.exists() for f in left] == [False, False]
    assert [f.exists() for f in live] == [True, True]
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("v-")) == [
        "v-live",
        "v-t2",
    ]
    assert rows(spark.table("idem.tidy"), "id", "day", "amount") == ONCE

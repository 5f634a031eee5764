"""Targets: Hive (modes, partitions, formats), CSV exports, database tables; all-or-nothing."""

import gzip

import psycopg
import pytest

from tests.engine.helpers import JDBC, Workspace, read_csv_dir, rows

pytestmark = pytest.mark.spark

SALES_1 = "id,day,amount\n1,2024-03-01,10\n2,2024-03-01,20\n3,2024-03-02,30\n"
SALES_2 = "id,day,amount\n2,2024-03-01,25\n4,2024-03-01,40\n"


def _hive_pipeline(ws, mode, extra=""):
    return ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        f'<targets><hive table="tgt.sales_{mode}" mode="{mode}" {extra}/></targets>',
        pid=f"p_{mode}",
    )


def test_hive_overwrite_replaces_only_the_partitions_the_run_wrote(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES_1)
    pipeline = _hive_pipeline(ws, "overwrite", 'partitionBy="day"')
    assert ws.run(pipeline).ok
    ws.file("in/sales.csv", SALES_2)
    result = ws.run(pipeline)
    assert result.ok, result.error
    assert rows(spark.table("tgt.sales_overwrite"), "id", "day", "amount") == [
        ("2", "2024-03-01", "25"),
        ("3", "2024-03-02", "30"),
        ("4", "2024-03-01", "40"),
    ]
    assert result.targets[0].rows_written == 2


def test_hive_merge_upserts_by_keys_and_a_rerun_gives_the_same_table(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES_1)
    pipeline = _hive_pipeline(ws, "merge", 'keys="id" format="orc"')
    assert ws.run(pipeline).ok
    ws.file("in/sales.csv", SALES_2)
    expected = [
        ("1", "2024-03-01", "10"),
        ("2", "2024-03-01", "25"),
        ("3", "2024-03-02", "30"),
        ("4", "2024-03-01", "40"),
    ]
    assert ws.run(pipeline).ok
    assert rows(spark.table("tgt.sales_merge"), "id", "day", "amount") == expected
    assert ws.run(pipeline).ok
    assert rows(spark.table("tgt.sales_merge"), "id", "day", "amount") == expected


def test_hive_append_adds_rows_and_delta_is_refused_with_a_clear_error(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES_1)
    pipeline = _hive_pipeline(ws, "append")
    assert ws.run(pipeline).ok
    assert ws.run(pipeline).ok
    assert spark.table("tgt.sales_append").count() == 6
    delta = ws.run(
        ws.pipeline(
            '<sources><csv id="s" path="in/sales.csv"/></sources>'
            '<targets><hive table="tgt.sales_delta" format="delta"/></targets>'
        )
    )
    assert delta.error.category == "target"
    assert "delta is not installed" in delta.error.message


def test_csv_exports_fill_the_date_compress_and_honour_each_mode(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES_1)

    def export(mode, path, extra=""):
        return ws.pipeline(
            '<sources><csv id="s" path="in/sales.csv"/></sources>'
            f'<targets><csv path="{path}" mode="{mode}" {extra}/></targets>',
            pid=f"e_{mode}",
        )

    # gzip, no header, ; as delimiter, date in the path
    gz = ws.run(
        export("overwrite", "out/%Y/%m/%d", 'compression="gzip" header="false" delimiter=";"')
    )
    assert gz.ok, gz.error
    folder = ws.app_root / "out/2024/03/05"
    text = "".join(gzip.decompress(f.read_bytes()).decode() for f in folder.glob("part-*.gz"))
    assert sorted(text.splitlines()) == ["1;2024-03-01;10", "2;2024-03-01;20", "3;2024-03-02;30"]
    # append twice with the same run id: the second replaces its own files
    append = export("append", "out/appended")
    assert ws.run(append, run_id="a1").ok
    assert ws.run(append, run_id="a1").ok
    assert ws.run(append, run_id="a2").ok
    assert read_csv_dir(spark, ws.app_root / "out/appended").count() == 6
    # ignore leaves an existing export; error fails without touching it
    (ws.app_root / "out/kept").mkdir(parents=True)
    (ws.app_root / "out/kept/part-0.csv").write_text("id\n9\n")
    assert ws.run(export("ignore", "out/kept")).ok
    failed = ws.run(export("error", "out/kept"))
    assert (failed.error.category, failed.error.where) == ("target", "target csv out/kept")
    assert (ws.app_root / "out/kept/part-0.csv").read_text() == "id\n9\n"
    assert sorted(p.name for p in (ws.app_root / "out").iterdir()) == [
        "2024",
        "appended",
        "kept",
    ]


def test_a_failing_second_target_leaves_the_first_targets_previous_output(spark, tmp_path):
    # given: a previous export, and a second target whose folder cannot be created (a file is
    # where its parent folder should be: as root, chmod would not stop us)
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES_1)
    ws.file("out/first/part-0.csv", "previous\n")
    ws.file("blocked", "a file, not a folder\n")
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        '<targets><csv path="out/first"/><csv path="blocked/second"/></targets>'
    )
    result = ws.run(pipeline)
    assert result.status == "failed"
    assert (result.error.category, result.error.where) == (
        "permission",
        "target csv blocked/second",
    )
    assert (ws.app_root / "out/first/part-0.csv").read_text() == "previous\n"
    assert [p.name for p in (ws.app_root / "out").iterdir()] == ["first"]


def test_database_targets_commit_each_mode_in_one_transaction(spark, tmp_path, scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS sales_t; DROP TABLE IF EXISTS sales_m")
        conn.execute("CREATE TABLE sales_m (id text PRIMARY KEY, day text, amount text)")
        conn.execute("INSERT INTO sales_m VALUES ('1', '2024-02-01', '5'), ('2', 'x', 'y')")
    ws = Workspace(spark, tmp_path, env={"HUB_SECRET_PG": "postgres:x"})
    ws.file("in/sales.csv", SALES_2)

    def to_db(mode, table, extra=""):
        return ws.pipeline(
            '<sources><csv id="s" path="in/sales.csv"/></sources>'
            f'<targets><database id="crm" jdbcUrl="{JDBC}" userSecretRef="pg" mode="{mode}"'
            f' writeBatchSize="1" {extra}><table name="public.{table}"/></database></targets>',
            pid=f"d_{mode}",
        )

    def table(name):
        with psycopg.connect(scratch_db) as conn:
            return sorted(conn.execute(f"SELECT id, day, amount FROM {name}").fetchall())

    assert ws.run(to_db("append", "sales_t")).ok
    assert ws.run(to_db("append", "sales_t")).ok
    assert len(table("sales_t")) == 4
    assert ws.run(to_db("truncateInsert", "sales_t")).ok
    assert table("sales_t") == [("2", "2024-03-01", "25"), ("4", "2024-03-01", "40")]
    assert ws.run(to_db("overwrite", "sales_t")).ok
    assert table("sales_t") == [("2", "2024-03-01", "25"), ("4", "2024-03-01", "40")]
    merged = ws.run(to_db("merge", "sales_m"))
    assert merged.ok, merged.error
    assert table("sales_m") == [
        ("1", "2024-02-01", "5"),
        ("2", "2024-03-01", "25"),
        ("4", "2024-03-01", "40"),
    ]
    assert merged.targets[0].rows_written == 2
    # a merge into a table without keys fails before anything changes
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS sales_nokey")
        conn.execute("CREATE TABLE sales_nokey (id text, day text, amount text)")
        conn.execute("INSERT INTO sales_nokey VALUES ('7', 'd', 'a')")
    failed = ws.run(to_db("merge", "sales_nokey"))
    assert failed.error.category == "target"
    assert table("sales_nokey") == [("7", "d", "a")]
    with psycopg.connect(scratch_db) as conn:
        leftovers = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%%__hub_%%'"
        ).fetchone()[0]
    assert leftovers == 0


def test_hive_overwrite_of_a_table_made_elsewhere_replaces_its_rows(spark, tmp_path):
    # given: a managed table created outside the engine
    spark.sql("CREATE DATABASE IF NOT EXISTS tgt")
    spark.sql("DROP TABLE IF EXISTS tgt.legacy")
    spark.sql("CREATE TABLE tgt.legacy (id STRING, day STRING, amount STRING) USING parquet")
    spark.sql("INSERT INTO tgt.legacy VALUES ('9', 'x', 'y')")
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES_1)
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        '<targets><hive table="tgt.legacy" mode="overwrite"/></targets>'
    )
    # when: overwritten twice
    assert ws.run(pipeline).ok
    result = ws.run(pipeline)
    # then
    assert result.ok, result.error
    assert rows(spark.table("tgt.legacy"), "id", "day", "amount") == [
        ("1", "2024-03-01", "10"),
        ("2", "2024-03-01", "20"),
        ("3", "2024-03-02", "30"),
    ]

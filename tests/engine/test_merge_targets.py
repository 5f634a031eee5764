"""Target ``merge``, one definition: an upsert by ``keys`` across the whole table (a key that moved
to another partition leaves no old copy), columns matched by name, never by position."""

import psycopg
import pytest

from tests.engine.helpers import JDBC, Workspace, rows

pytestmark = pytest.mark.spark

SALES_AVSC = """{"type": "record", "name": "S", "fields": [
  {"name": "id", "type": "long"}, {"name": "day", "type": "string"},
  {"name": "amount", "type": ["null", "double"]}]}"""


def _merge(ws, table, extra="", schema=True):
    ref = 'schemaRef="s.avsc"' if schema else ""
    if schema:
        ws.config_file(f"applications/{ws.app}/{ws.layer}/schemas/s.avsc", SALES_AVSC)
    return ws.pipeline(
        f'<sources><csv id="s" path="in/sales.csv" {ref}/></sources>'
        f'<targets><hive table="{table}" mode="merge" keys="id" {extra}/></targets>',
        pid=table.replace(".", "_"),
    )


def test_a_partitioned_merge_of_typed_columns_matches_columns_by_name(spark, tmp_path):
    # before: the key and partition columns came first in the staged data and INSERT .. SELECT *
    # matched by position: "Cannot safely cast amount STRING to DOUBLE"
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", "id,day,amount\n1,2024-03-01,10.5\n2,2024-03-02,20\n")
    pipeline = _merge(ws, "mt.typed", 'partitionBy="day"')
    assert ws.run(pipeline).ok
    ws.file("in/sales.csv", "id,day,amount\n2,2024-03-02,25\n3,2024-03-01,30\n")
    result = ws.run(pipeline)
    assert result.ok, result.error
    assert rows(spark.table("mt.typed"), "id", "day", "amount") == [
        (1, "2024-03-01", 10.5),
        (2, "2024-03-02", 25.0),
        (3, "2024-03-01", 30.0),
    ]


def test_a_partitioned_merge_of_string_columns_puts_each_value_in_its_column(spark, tmp_path):
    # before: all strings, so nothing failed and values landed in the wrong columns
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", "amount,day,id\n10,2024-03-01,1\n20,2024-03-02,2\n")
    pipeline = _merge(ws, "mt.strings", 'partitionBy="day"', schema=False)
    assert ws.run(pipeline).ok
    ws.file("in/sales.csv", "amount,day,id\n25,2024-03-02,2\n")
    assert ws.run(pipeline).ok
    assert rows(spark.table("mt.strings"), "id", "day", "amount") == [
        ("1", "2024-03-01", "10"),
        ("2", "2024-03-02", "25"),
    ]


def test_a_key_that_moved_partition_leaves_no_old_copy(spark, tmp_path):
    # before: only the partitions in the data were replaced: the old row of id 1 survived
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", "id,day,amount\n1,2024-03-01,10\n2,2024-03-01,20\n3,2024-03-03,30\n")
    pipeline = _merge(ws, "mt.moved", 'partitionBy="day"')
    assert ws.run(pipeline).ok
    # id 1 moves to 03-02; id 3 moves too, leaving its partition empty
    ws.file("in/sales.csv", "id,day,amount\n1,2024-03-02,11\n3,2024-03-02,33\n")
    result = ws.run(pipeline)
    assert result.ok, result.error
    expected = [(1, "2024-03-02", 11.0), (2, "2024-03-01", 20.0), (3, "2024-03-02", 33.0)]
    assert rows(spark.table("mt.moved"), "id", "day", "amount") == expected
    assert result.targets[0].rows_written == 2
    # a rerun changes nothing
    assert ws.run(pipeline).ok
    spark.catalog.refreshTable("mt.moved")
    assert rows(spark.table("mt.moved"), "id", "day", "amount") == expected


def test_an_unpartitioned_merge_keeps_the_tables_column_order(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", "id,day,amount\n1,2024-03-01,10\n")
    pipeline = _merge(ws, "mt.flat")
    assert ws.run(pipeline).ok
    ws.file("in/sales.csv", "id,day,amount\n1,2024-03-02,12\n2,2024-03-01,20\n")
    assert ws.run(pipeline).ok
    table = spark.table("mt.flat")
    assert table.columns == ["id", "day", "amount"]
    assert rows(table) == [(1, "2024-03-02", 12.0), (2, "2024-03-01", 20.0)]


def test_a_database_merge_matches_columns_by_name_and_upserts_across_the_table(
    spark, tmp_path, scratch_db
):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS mt_sales;"
            "CREATE TABLE mt_sales (amount numeric, id int PRIMARY KEY, day text);"
            "INSERT INTO mt_sales VALUES (10, 1, '2024-03-01'), (20, 2, '2024-03-01')"
        )
    ws = Workspace(spark, tmp_path)
    ws.config_file(f"applications/{ws.app}/{ws.layer}/schemas/s.avsc", SALES_AVSC)
    ws.file("in/sales.csv", "id,day,amount\n1,2024-03-02,11\n3,2024-03-02,30\n")
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv" schemaRef="s.avsc"/></sources>'
        f'<targets><database id="db" jdbcUrl="{JDBC}" mode="merge" keys="id">'
        '<table name="mt_sales"/></database></targets>',
        pid="db_merge",
    )
    result = ws.run(pipeline)
    assert result.ok, result.error
    with psycopg.connect(scratch_db) as conn:
        got = conn.execute("SELECT id, day, amount::float FROM mt_sales ORDER BY id").fetchall()
    assert got == [(1, "2024-03-02", 11.0), (2, "2024-03-01", 20.0), (3, "2024-03-02", 30.0)]

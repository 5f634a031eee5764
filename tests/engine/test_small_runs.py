"""Small runs stay small: no Spark job beyond the writes, no metastore scan per column list
(docs/operators/engine.md, small-run tuning). Counted, not timed."""

import pytest

from tests.engine.helpers import Workspace, rows

pytestmark = pytest.mark.spark

SALES = "id,day,amount\n1,2024-03-01,10\n2,2024-03-01,20\n3,2024-03-02,30\n"


def _jobs(spark, run_id: str) -> int:
    return len(spark.sparkContext.statusTracker().getJobIdsForGroup(run_id))


def test_a_hive_overwrite_of_an_existing_table_runs_its_write_and_nothing_else(spark, tmp_path):
    # given: a table the engine made on an earlier run
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES)
    spark.sql("DROP TABLE IF EXISTS small.sales")
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        '<targets><hive table="small.sales" mode="overwrite"/></targets>'
    )
    assert ws.run(pipeline).ok
    # when
    result = ws.run(pipeline, run_id="second-run")
    # then: one job (the staged write); the table's columns come from one metastore look-up
    # (spark.catalog.listColumns would add two jobs per call)
    assert result.ok, result.error
    assert _jobs(spark, "second-run") == 1
    assert result.targets[0].rows_written == 3
    assert rows(spark.table("small.sales"), "id", "amount") == [
        ("1", "10"),
        ("2", "20"),
        ("3", "30"),
    ]

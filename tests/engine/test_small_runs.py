"""Small runs stay small: no Spark job beyond the writes, no metastore scan per column list
(docs/operators/engine.md, small-run tuning). Counted, not timed."""

import pytest

from tests.engine.helpers import Workspace, read_csv_dir, rows

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


def test_a_dataset_written_by_two_targets_is_computed_once(spark, tmp_path):
    # given: encrypted values (a random nonce each time they are computed) exported twice
    ws = Workspace(spark, tmp_path, env={"HUB_SECRET_SHOP_KEY": "k" * 32})
    ws.file("in/sales.csv", SALES)
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        '<transformations><mask source="s" columns="amount" strategy="encrypt" '
        'secretRef="shop.key"/></transformations>'
        '<targets><csv path="out/a" mode="overwrite"/><csv path="out/b" mode="overwrite"/>'
        "</targets>"
    )
    # when
    result = ws.run(pipeline)
    # then: both exports hold the same ciphertexts: the masked dataset was cached, not
    # computed once per target
    assert result.ok, result.error
    a = rows(read_csv_dir(spark, ws.app_root / "out/a"), "id", "amount")
    b = rows(read_csv_dir(spark, ws.app_root / "out/b"), "id", "amount")
    assert a == b
    assert len({amount for _, amount in a}) == 3
    assert [t.rows_written for t in result.targets] == [3, 3]
    assert [s.rows_out for s in result.steps] == [3]


def test_shared_frames_are_the_versions_read_more_than_once():
    from spark_runner.definition import parse
    from spark_runner.engine.datasets import shared_frames

    xml = (
        '<pipeline id="p" version="1.0" layer="staging"><metadata><owner>t</owner></metadata>'
        '<sources><csv id="a" path="a.csv"/><csv id="b" path="b.csv"/></sources>'
        '<transformations><deduplicate source="a" keys="id"/>'
        '<join left="b" right="a" type="left" condition="b.id = a.id" output="j"/>'
        "</transformations>"
        '<targets><csv path="x" source="a"/><csv path="y" source="j"/><csv path="z"/>'
        "</targets></pipeline>"
    )
    pipeline = parse(xml.encode(), "applications/shop/staging/pipelines/p.xml")
    # a once (the deduplicate), its deduplicated version twice (join, target x), b once,
    # j twice (targets y and z, the last dataset)
    assert shared_frames(pipeline) == {("a", 1), ("j", 1)}

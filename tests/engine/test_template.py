"""The pipeline template: sources, steps in order, targets, metrics, located errors."""

import pytest

from tests.engine.helpers import Workspace, read_csv_dir, rows

pytestmark = pytest.mark.spark

CUSTOMERS = (
    "customer_id,name,country,updated_at\n"
    "1,Ann,DE,2024-01-01\n"
    "2,Björn,SE,2024-01-02\n"
    "1,Ann B.,DE,2024-02-01\n"
    "3,Zoë,,2024-01-03\n"
)


def test_it_runs_sources_steps_and_targets_and_counts_rows(spark, tmp_path):
    # given
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", CUSTOMERS)
    pipeline = ws.pipeline(
        '<sources><csv id="c" path="landing/customers.csv"/></sources>'
        "<transformations>"
        '<deduplicate source="c" keys="customer_id" keep="latest"/>'
        '<sort source="c" orderBy="customer_id"/>'
        "</transformations>"
        '<targets><csv path="out/customers" mode="overwrite"/></targets>'
    )
    # when
    result = ws.run(pipeline)
    # then
    assert result.status == "succeeded", result.error
    out = read_csv_dir(spark, ws.app_root / "out/customers")
    assert rows(out, "customer_id", "name", "country") == [
        ("1", "Ann B.", "DE"),
        ("2", "Björn", "SE"),
        ("3", "Zoë", None),
    ]
    assert [(s.index, s.tag, s.dataset, s.rows_in, s.rows_out) for s in result.steps] == [
        (1, "deduplicate", "c", 4, 3),
        (2, "sort", "c", 3, 3),
    ]
    assert [(t.kind, t.rows_written) for t in result.targets] == [("csv", 3)]
    assert result.to_dict()["status"] == "succeeded"


def test_a_step_with_output_keeps_the_source_dataset(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", CUSTOMERS)
    pipeline = ws.pipeline(
        '<sources><csv id="c" path="landing/customers.csv" loadPolicy="eager"/></sources>'
        "<transformations>"
        '<deduplicate source="c" keys="customer_id" keep="latest" output="latest"/>'
        "</transformations>"
        '<targets><csv path="out/all" source="c"/><csv path="out/latest"/></targets>'
    )
    result = ws.run(pipeline)
    assert result.ok, result.error
    assert read_csv_dir(spark, ws.app_root / "out/all").count() == 4
    assert read_csv_dir(spark, ws.app_root / "out/latest").count() == 3
    assert [s.rows for s in result.sources] == [4]


def test_a_join_on_a_missing_column_fails_located_at_the_step(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", CUSTOMERS)
    ws.file("landing/orders.csv", "order_id,customer_id\n10,1\n")
    ws.file("out/orders/part-0.csv", "previous\n")
    pipeline = ws.pipeline(
        '<sources><csv id="c" path="landing/customers.csv"/>'
        '<csv id="o" path="landing/orders.csv"/></sources>'
        '<transformations><join left="o" right="c" type="inner"'
        ' condition="o.custmer_id = c.customer_id"/></transformations>'
        '<targets><csv path="out/orders"/></targets>'
    )
    result = ws.run(pipeline)
    assert result.status == "failed"
    assert result.error.where == "step 1 (join)"
    assert result.error.category == "step"
    assert "custmer_id" in result.error.message
    assert (ws.app_root / "out/orders/part-0.csv").read_text() == "previous\n"

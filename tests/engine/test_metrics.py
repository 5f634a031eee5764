"""Step and target metrics: rows in/out per step and rows written per target are the true counts
(worked out by hand from the literal input below), whatever the plan looks like."""

import pytest

from tests.engine.helpers import Workspace

pytestmark = pytest.mark.spark

# 4 rows, 3 unique customers (1 twice)
CUSTOMERS = (
    "customer_id,name,country,updated_at\n"
    "1,Ann,DE,2024-01-01\n"
    "2,Björn,SE,2024-01-02\n"
    "1,Ann B.,DE,2024-02-01\n"
    "3,Zoë,,2024-01-03\n"
)
# 5 orders: customer 1 twice, 2 once, 9 (unknown) twice
ORDERS = "order_id,customer_id,amount\n10,1,5\n11,1,7\n12,2,1\n13,9,2\n14,9,3\n"


def _steps(result):
    return [(s.tag, s.dataset, s.rows_in, s.rows_out) for s in result.steps]


def _targets(result):
    return [(t.kind, t.rows_written) for t in result.targets]


@pytest.mark.parametrize("policy", ["onDemand", "eager"])
def test_deduplicate_alone_reports_four_in_three_out_and_three_written(spark, tmp_path, policy):
    # given
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", CUSTOMERS)
    pipeline = ws.pipeline(
        f'<sources><csv id="c" path="landing/customers.csv" loadPolicy="{policy}"/></sources>'
        '<transformations><deduplicate source="c" keys="customer_id" keep="latest"/>'
        "</transformations>"
        '<targets><csv path="out/c" mode="overwrite"/></targets>'
    )
    # when
    result = ws.run(pipeline)
    # then
    assert result.ok, result.error
    assert _steps(result) == [("deduplicate", "c", 4, 3)]
    assert _targets(result) == [("csv", 3)]
    assert [s.rows for s in result.sources] == [4]


@pytest.mark.parametrize("policy", ["onDemand", "eager"])
def test_a_sort_after_a_deduplicate_counts_each_step_once(spark, tmp_path, policy):
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", CUSTOMERS)
    pipeline = ws.pipeline(
        f'<sources><csv id="c" path="landing/customers.csv" loadPolicy="{policy}"/></sources>'
        "<transformations>"
        '<deduplicate source="c" keys="customer_id" keep="latest"/>'
        '<sort source="c" orderBy="name" direction="desc"/>'
        "</transformations>"
        '<targets><csv path="out/c" mode="overwrite"/></targets>'
    )
    result = ws.run(pipeline)
    assert result.ok, result.error
    assert _steps(result) == [("deduplicate", "c", 4, 3), ("sort", "c", 3, 3)]
    assert _targets(result) == [("csv", 3)]
    assert [s.rows for s in result.sources] == [4]


@pytest.mark.parametrize("policy", ["onDemand", "eager"])
def test_a_join_counts_both_inputs_in_and_the_joined_rows_out(spark, tmp_path, policy):
    # given: deduplicated customers (3) inner-joined with orders (5): orders 10, 11, 12 match
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", CUSTOMERS)
    ws.file("landing/orders.csv", ORDERS)
    pipeline = ws.pipeline(
        "<sources>"
        f'<csv id="c" path="landing/customers.csv" loadPolicy="{policy}"/>'
        f'<csv id="o" path="landing/orders.csv" loadPolicy="{policy}"/>'
        "</sources>"
        "<transformations>"
        '<deduplicate source="c" keys="customer_id" keep="latest"/>'
        '<join left="o" right="c" type="inner" condition="o.customer_id = c.customer_id"/>'
        '<sort source="o" orderBy="order_id"/>'
        "</transformations>"
        '<targets><csv path="out/joined" mode="overwrite"/>'
        '<csv path="out/customers" source="c" mode="overwrite"/></targets>'
    )
    # when
    result = ws.run(pipeline)
    # then
    assert result.ok, result.error
    assert _steps(result) == [
        ("deduplicate", "c", 4, 3),
        ("join", "o", 8, 3),
        ("sort", "o", 3, 3),
    ]
    assert _targets(result) == [("csv", 3), ("csv", 3)]
    assert sorted(s.rows for s in result.sources) == [4, 5]


@pytest.mark.parametrize("policy", ["onDemand", "eager"])
def test_an_empty_input_reports_zero_everywhere(spark, tmp_path, policy):
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", "customer_id,name,country,updated_at\n")
    pipeline = ws.pipeline(
        f'<sources><csv id="c" path="landing/customers.csv" loadPolicy="{policy}"/></sources>'
        "<transformations>"
        '<deduplicate source="c" keys="customer_id" keep="latest"/>'
        '<sort source="c" orderBy="customer_id"/>'
        "</transformations>"
        '<targets><csv path="out/c" mode="overwrite"/></targets>'
    )
    result = ws.run(pipeline)
    assert result.ok, result.error
    assert _steps(result) == [("deduplicate", "c", 0, 0), ("sort", "c", 0, 0)]
    assert _targets(result) == [("csv", 0)]
    assert [s.rows for s in result.sources] == [0]


def test_a_dataset_written_by_two_targets_is_counted_once_per_step(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", CUSTOMERS)
    pipeline = ws.pipeline(
        '<sources><csv id="c" path="landing/customers.csv"/></sources>'
        '<transformations><deduplicate source="c" keys="customer_id" keep="first"/>'
        "</transformations>"
        '<targets><csv path="out/a" mode="overwrite"/><csv path="out/b" mode="append"/>'
        "</targets>"
    )
    result = ws.run(pipeline)
    assert result.ok, result.error
    assert _steps(result) == [("deduplicate", "c", 4, 3)]
    assert _targets(result) == [("csv", 3), ("csv", 3)]
    assert [s.rows for s in result.sources] == [4]


@pytest.mark.parametrize("mode", ["append", "overwrite", "merge"])
def test_a_hive_target_reports_the_rows_the_run_wrote(spark, tmp_path, mode):
    ws = Workspace(spark, tmp_path)
    ws.file("landing/customers.csv", CUSTOMERS)
    keys = 'keys="customer_id"' if mode == "merge" else ""
    pipeline = ws.pipeline(
        '<sources><csv id="c" path="landing/customers.csv"/></sources>'
        '<transformations><deduplicate source="c" keys="customer_id" keep="latest"/>'
        "</transformations>"
        f'<targets><hive table="metrics.c_{mode}" mode="{mode}" {keys}/>'
        '<csv path="out/c" mode="append"/></targets>'
    )
    result = ws.run(pipeline)
    assert result.ok, result.error
    assert _steps(result) == [("deduplicate", "c", 4, 3)]
    assert _targets(result) == [("hive", 3), ("csv", 3)]

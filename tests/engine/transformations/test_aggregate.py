from datetime import date, datetime

import pytest

from spark_runner.definition.model import Aggregate, Metric
from spark_runner.engine.registry import StepError
from spark_runner.engine.transformations.aggregate import apply
from tests.engine.transformations.rows import rows, sorted_rows, wide_schema

pytestmark = pytest.mark.spark

SCHEMA = "country string, amount int, ts timestamp, customer string"
# 2026-11-23 is a Monday, 2026-11-29 the Sunday of the same week, 2026-11-30 the next Monday.
SALES = [
    ("NO", 10, datetime(2026, 11, 23, 10, 0), "a"),
    ("NO", None, datetime(2026, 11, 23, 12, 0), "a"),
    ("日本", 5, datetime(2026, 11, 24, 1, 0), None),
    ("NO", 7, datetime(2026, 11, 29, 23, 59), "b"),
    ("NO", 1, datetime(2026, 11, 30, 0, 0), "c"),
    (None, 2, None, "d"),
]


def metric(text):
    """The parser's job, done by hand: ``func:column[:alias]`` or ``count:alias``."""
    parts = text.split(":")
    if parts[0] == "count" and len(parts) == 2:
        return Metric("count", None, parts[1])
    alias = parts[2] if len(parts) == 3 else f"{parts[0]}_{parts[1]}"
    return Metric(parts[0], parts[1], alias)


def aggregate(spark, ctx, data, group_by, metrics, schema=SCHEMA, **step):
    df = spark.createDataFrame(data, schema)
    step = Aggregate(
        source="sales", group_by=group_by, metrics=tuple(metric(m) for m in metrics), **step
    )
    return apply(step, {"sales": df}, ctx)


def test_every_function_with_and_without_aliases(spark, ctx):
    metrics = [
        "count:rows",
        "count:customer:customers",
        "sum:amount",
        "avg:amount:avg_amount",
        "min:ts:first_sale",
        "max:amount",
    ]
    result = aggregate(spark, ctx, SALES, ("country",), metrics)
    assert result.columns == [
        "country",
        "rows",
        "customers",
        "sum_amount",
        "avg_amount",
        "first_sale",
        "max_amount",
    ]
    assert sorted_rows(result) == [
        (None, 1, 1, 2, 2.0, None, 2),
        ("NO", 4, 4, 18, 6.0, datetime(2026, 11, 23, 10, 0), 10),
        ("日本", 1, 0, 5, 5.0, datetime(2026, 11, 24, 1, 0), 5),
    ]


def test_a_daily_window_adds_the_day_as_window_start(spark, ctx):
    result = aggregate(
        spark,
        ctx,
        SALES,
        ("country",),
        ["count:rows", "sum:amount"],
        window="daily",
        time_column="ts",
    )
    assert result.columns == ["country", "window_start", "rows", "sum_amount"]
    assert sorted_rows(result) == [
        (None, None, 1, 2),
        ("NO", date(2026, 11, 23), 2, 10),
        ("NO", date(2026, 11, 29), 1, 7),
        ("NO", date(2026, 11, 30), 1, 1),
        ("日本", date(2026, 11, 24), 1, 5),
    ]


def test_a_weekly_window_starts_on_monday(spark, ctx):
    result = aggregate(
        spark,
        ctx,
        SALES,
        ("country",),
        ["count:rows", "sum:amount"],
        window="weekly",
        time_column="ts",
    )
    assert sorted_rows(result) == [
        (None, None, 1, 2),
        ("NO", date(2026, 11, 23), 3, 17),
        ("NO", date(2026, 11, 30), 1, 1),
        ("日本", date(2026, 11, 23), 1, 5),
    ]


def test_a_window_without_group_by_groups_by_the_window_alone(spark, ctx):
    result = aggregate(spark, ctx, SALES[:5], (), ["count:rows"], window="weekly", time_column="ts")
    assert result.columns == ["window_start", "rows"]
    assert sorted_rows(result) == [(date(2026, 11, 23), 4), (date(2026, 11, 30), 1)]


def test_a_weekly_window_over_a_date_column(spark, ctx):
    data = [(date(2026, 11, 22), 1), (date(2026, 11, 23), 2), (date(2026, 11, 29), 3)]
    result = aggregate(
        spark,
        ctx,
        data,
        (),
        ["sum:n"],
        schema="day date, n int",
        window="weekly",
        time_column="day",
    )
    # Sunday 22 belongs to the week starting Monday 16
    assert sorted_rows(result) == [(date(2026, 11, 16), 1), (date(2026, 11, 23), 5)]


def test_an_empty_input_with_group_by_gives_no_rows(spark, ctx):
    result = aggregate(spark, ctx, [], ("country",), ["count:rows", "sum:amount"])
    assert result.columns == ["country", "rows", "sum_amount"]
    assert rows(result) == []


def test_an_empty_input_without_group_by_gives_one_row_as_in_sql(spark, ctx):
    result = aggregate(spark, ctx, [], (), ["count:rows", "sum:amount", "max:ts:last"])
    assert rows(result) == [(0, None, None)]


def test_a_wide_row_aggregates_any_of_its_columns(spark, ctx):
    data = [tuple(range(200)), (0, *range(1, 200)), (1, *range(1, 200))]
    result = aggregate(
        spark, ctx, data, ("c0",), ["sum:c199:total", "count:n"], schema=wide_schema()
    )
    assert sorted_rows(result) == [(0, 398, 2), (1, 199, 1)]


def test_group_by_several_columns(spark, ctx):
    result = aggregate(spark, ctx, SALES, ("country", "customer"), ["count:n"])
    assert sorted_rows(result) == [
        (None, "d", 1),
        ("NO", "a", 2),
        ("NO", "b", 1),
        ("NO", "c", 1),
        ("日本", None, 1),
    ]


def test_sum_of_a_text_column_is_a_step_error(spark, ctx):
    with pytest.raises(StepError) as error:
        aggregate(spark, ctx, SALES, ("country",), ["sum:customer"])
    assert str(error.value) == (
        'aggregate: sum needs a numeric column; "customer" of dataset "sales" is string'
    )


def test_a_window_needs_a_time_column(spark, ctx):
    with pytest.raises(StepError, match='window "daily" needs timeColumn'):
        aggregate(spark, ctx, SALES, ("country",), ["count:n"], window="daily")


def test_an_alias_used_twice_is_a_step_error(spark, ctx):
    with pytest.raises(StepError, match='metric alias "country" is used twice'):
        aggregate(spark, ctx, SALES, ("country",), ["count:country"])


def test_a_missing_metric_column_is_a_step_error_naming_it(spark, ctx):
    with pytest.raises(StepError, match='column "revenue" not found in dataset "sales"'):
        aggregate(spark, ctx, SALES, ("country",), ["sum:revenue"])

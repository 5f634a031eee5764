import pytest

from spark_runner.definition.model import Sort
from spark_runner.engine.registry import StepError
from spark_runner.engine.transformations.sort import apply
from tests.engine.transformations.rows import rows, wide_schema

pytestmark = pytest.mark.spark

NUMBERS = [(3,), (None,), (1,), (2,), (1,)]


def sort(spark, ctx, data, schema, **step):
    df = spark.createDataFrame(data, schema)
    return apply(Sort(source="items", **step), {"items": df}, ctx)


def test_ascending_by_default_with_nulls_first(spark, ctx):
    result = sort(spark, ctx, NUMBERS, "n int", order_by=("n",))
    assert rows(result) == [(None,), (1,), (1,), (2,), (3,)]


def test_descending_puts_nulls_last_by_default(spark, ctx):
    result = sort(spark, ctx, NUMBERS, "n int", order_by=("n",), direction="desc")
    assert rows(result) == [(3,), (2,), (1,), (1,), (None,)]


def test_ascending_with_nulls_last(spark, ctx):
    result = sort(spark, ctx, NUMBERS, "n int", order_by=("n",), nulls="last")
    assert rows(result) == [(1,), (1,), (2,), (3,), (None,)]


def test_descending_with_nulls_first(spark, ctx):
    result = sort(spark, ctx, NUMBERS, "n int", order_by=("n",), direction="desc", nulls="first")
    assert rows(result) == [(None,), (3,), (2,), (1,), (1,)]


def test_ascending_with_nulls_first_said_explicitly(spark, ctx):
    result = sort(spark, ctx, NUMBERS, "n int", order_by=("n",), nulls="first")
    assert rows(result) == [(None,), (1,), (1,), (2,), (3,)]


def test_descending_with_nulls_last_said_explicitly(spark, ctx):
    result = sort(spark, ctx, NUMBERS, "n int", order_by=("n",), direction="desc", nulls="last")
    assert rows(result) == [(3,), (2,), (1,), (1,), (None,)]


def test_several_columns_sort_by_the_first_then_the_next(spark, ctx):
    data = [("b", 2), ("a", 2), ("b", 1), ("a", None), ("a", 1)]
    result = sort(spark, ctx, data, "k string, n int", order_by=("k", "n"), direction="desc")
    assert rows(result) == [("b", 2), ("b", 1), ("a", 2), ("a", 1), ("a", None)]


def test_unicode_strings_sort_by_code_point(spark, ctx):
    data = [("🙂",), ("東京",), ("abc",), ("Zoë",), ("Zoe",)]
    result = sort(spark, ctx, data, "name string", order_by=("name",))
    assert rows(result) == [("Zoe",), ("Zoë",), ("abc",), ("東京",), ("🙂",)]


def test_an_empty_input_stays_empty_with_its_columns(spark, ctx):
    result = sort(spark, ctx, [], "n int, s string", order_by=("s",))
    assert result.columns == ["n", "s"]
    assert rows(result) == []


def test_a_wide_row_sorts_with_all_its_columns(spark, ctx):
    data = [tuple(range(5, 205)), tuple(range(200))]
    result = sort(spark, ctx, data, wide_schema(), order_by=("c0",))
    assert rows(result) == [tuple(range(200)), tuple(range(5, 205))]


def test_a_missing_column_is_a_step_error_naming_it(spark, ctx):
    with pytest.raises(StepError) as error:
        sort(spark, ctx, [(1,)], "n int", order_by=("m",))
    assert str(error.value) == 'sort: column "m" not found in dataset "items"; it has: n'

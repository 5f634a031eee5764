import pytest

from spark_runner.definition.model import Merge
from spark_runner.engine.registry import StepError
from spark_runner.engine.transformations.merge import apply
from tests.engine.transformations.rows import rows, sorted_rows, wide_schema

pytestmark = pytest.mark.spark


def test_union_matches_columns_by_name_and_fills_missing_ones_with_null(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1, "Ann"), (2, "Zoë")], "id int, name string"),
        "b": spark.createDataFrame(
            [("東京", "Zoë", 2), (None, None, 3)], "city string, name string, id int"
        ),
    }
    result = apply(Merge(sources=("a", "b")), datasets, ctx)
    assert result.columns == ["id", "name", "city"]
    # duplicates stay: union is not distinct
    assert rows(result) == [(1, "Ann", None), (2, "Zoë", None), (2, "Zoë", "東京"), (3, None, None)]


def test_union_of_three_sources_keeps_their_order(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1,)], "id int"),
        "b": spark.createDataFrame([(2, "🙂")], "id int, icon string"),
        "c": spark.createDataFrame([(True, 3)], "flag boolean, id int"),
    }
    result = apply(Merge(sources=("a", "b", "c")), datasets, ctx)
    assert result.columns == ["id", "icon", "flag"]
    assert rows(result) == [(1, None, None), (2, "🙂", None), (3, None, True)]


def test_union_with_an_empty_source_keeps_the_other_rows_and_its_columns(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([], "id int, extra string"),
        "b": spark.createDataFrame([(1,)], "id int"),
    }
    result = apply(Merge(sources=("a", "b")), datasets, ctx)
    assert result.columns == ["id", "extra"]
    assert rows(result) == [(1, None)]


def test_union_of_wide_rows(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([tuple(range(200))], wide_schema()),
        "b": spark.createDataFrame([tuple(range(1, 201))], wide_schema()),
    }
    result = apply(Merge(sources=("a", "b")), datasets, ctx)
    assert result.columns == [f"c{i}" for i in range(200)]
    assert rows(result) == [tuple(range(200)), tuple(range(1, 201))]


def test_union_refuses_columns_whose_types_disagree(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1,)], "id int"),
        "b": spark.createDataFrame([("1",)], "id string"),
    }
    with pytest.raises(StepError) as error:
        apply(Merge(sources=("a", "b")), datasets, ctx)
    assert str(error.value) == 'merge: column "id" is int in dataset "a" but string in dataset "b"'


def test_upsert_keeps_the_newest_row_per_key_and_ties_go_to_the_later_source(spark, ctx):
    schema = "id int, v string, updated_at int"
    datasets = {
        "current": spark.createDataFrame(
            [(1, "old", 1), (2, "a2", 5), (4, "a4", 1), (6, "a6", 9)], schema
        ),
        "changes": spark.createDataFrame(
            [(1, "new", 2), (2, "b2", 5), (3, "b3", None), (4, "b4", None), (6, "b6", 3)], schema
        ),
    }
    step = Merge(
        sources=("current", "changes"), mode="upsert", keys=("id",), order_by=("updated_at",)
    )
    result = apply(step, datasets, ctx)
    assert result.columns == ["id", "v", "updated_at"]
    assert sorted_rows(result) == [
        (1, "new", 2),  # newer
        (2, "b2", 5),  # tie: the later source
        (3, "b3", None),  # only one row
        (4, "a4", 1),  # a null never wins
        (6, "a6", 9),  # the older source can be newer
    ]


def test_upsert_without_order_by_lets_the_later_source_and_later_row_win(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1, "a1"), (2, "a2"), (None, "a-null")], "id int, v string"),
        "b": spark.createDataFrame(
            [(2, "first"), (2, "second"), (None, "b-null")], "id int, v string"
        ),
    }
    step = Merge(sources=("a", "b"), mode="upsert", keys=("id",))
    result = apply(step, datasets, ctx)
    assert sorted_rows(result) == [(None, "b-null"), (1, "a1"), (2, "second")]


def test_upsert_on_unicode_keys_with_missing_columns(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([("東京", 1), ("Zoë", 2)], "k string, n int"),
        "b": spark.createDataFrame([("東京", "🙂")], "k string, icon string"),
    }
    step = Merge(sources=("a", "b"), mode="upsert", keys=("k",))
    result = apply(step, datasets, ctx)
    assert result.columns == ["k", "n", "icon"]
    assert sorted_rows(result) == [("Zoë", 2, None), ("東京", None, "🙂")]


def test_upsert_of_empty_sources_is_empty(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([], "id int, v string"),
        "b": spark.createDataFrame([], "id int, v string"),
    }
    result = apply(Merge(sources=("a", "b"), mode="upsert", keys=("id",)), datasets, ctx)
    assert result.columns == ["id", "v"]
    assert rows(result) == []


def test_upsert_needs_keys(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1,)], "id int"),
        "b": spark.createDataFrame([(1,)], "id int"),
    }
    with pytest.raises(StepError, match="merge: upsert needs keys"):
        apply(Merge(sources=("a", "b"), mode="upsert"), datasets, ctx)


def test_upsert_names_the_source_that_lacks_a_key(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1,)], "id int"),
        "b": spark.createDataFrame([(1,)], "key int"),
    }
    with pytest.raises(StepError, match='column "id" not found in dataset "b"; it has: key'):
        apply(Merge(sources=("a", "b"), mode="upsert", keys=("id",)), datasets, ctx)

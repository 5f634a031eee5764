import pytest

from spark_runner.definition.model import Deduplicate
from spark_runner.engine.registry import StepError
from spark_runner.engine.transformations.deduplicate import apply
from tests.engine.transformations.rows import rows, sorted_rows, wide_schema

pytestmark = pytest.mark.spark


def dedup(spark, ctx, data, schema, **step):
    df = spark.createDataFrame(data, schema)
    return apply(Deduplicate(source="people", **step), {"people": df}, ctx)


def test_keep_first_without_order_by_keeps_the_first_row_in_input_order(spark, ctx):
    # given duplicates of key 1 spread over the input
    data = [(1, "a"), (1, "b"), (2, "c"), (1, "d"), (2, "e")]
    # when
    result = dedup(spark, ctx, data, "id int, v string", keys=("id",), keep="first")
    # then
    assert sorted_rows(result) == [(1, "a"), (2, "c")]


def test_keep_last_without_order_by_keeps_the_last_row_in_input_order(spark, ctx):
    data = [(1, "a"), (1, "b"), (2, "c"), (1, "d"), (2, "e")]
    result = dedup(spark, ctx, data, "id int, v string", keys=("id",), keep="last")
    assert sorted_rows(result) == [(1, "d"), (2, "e")]


def test_keep_first_with_order_by_keeps_the_smallest_and_a_null_never_wins(spark, ctx):
    data = [(1, "a", 3), (1, "b", 1), (1, "c", None), (2, "d", None), (3, "e", 2), (3, "f", 2)]
    result = dedup(
        spark, ctx, data, "id int, v string, n int", keys=("id",), keep="first", order_by=("n",)
    )
    # key 3 ties on n: input order decides, the first wins
    assert sorted_rows(result) == [(1, "b", 1), (2, "d", None), (3, "e", 2)]


def test_keep_last_with_order_by_keeps_the_greatest_and_ties_go_to_the_later_row(spark, ctx):
    data = [(1, "a", 3), (1, "b", 1), (1, "c", None), (2, "d", None), (3, "e", 2), (3, "f", 2)]
    result = dedup(
        spark, ctx, data, "id int, v string, n int", keys=("id",), keep="last", order_by=("n",)
    )
    assert sorted_rows(result) == [(1, "a", 3), (2, "d", None), (3, "f", 2)]


def test_keep_latest_uses_updated_at_by_default(spark, ctx):
    data = [
        (1, "old", "2026-01-01"),
        (1, "new", "2026-03-01"),
        (1, "mid", "2026-02-01"),
        (2, "only", None),
        (3, "tie-1", "2026-05-05"),
        (3, "tie-2", "2026-05-05"),
        (4, "dated", "2026-01-01"),
        (4, "undated", None),
    ]
    result = dedup(
        spark, ctx, data, "id int, v string, updated_at string", keys=("id",), keep="latest"
    )
    assert sorted_rows(result) == [
        (1, "new", "2026-03-01"),
        (2, "only", None),
        (3, "tie-2", "2026-05-05"),
        (4, "dated", "2026-01-01"),
    ]


def test_keep_latest_uses_the_order_by_it_is_given(spark, ctx):
    data = [(1, "a", 9, 1), (1, "b", 1, 2)]
    result = dedup(
        spark,
        ctx,
        data,
        "id int, v string, version int, updated_at int",
        keys=("id",),
        keep="latest",
        order_by=("version",),
    )
    assert rows(result) == [(1, "a", 9, 1)]


def test_keys_are_combined_and_null_keys_form_one_group(spark, ctx):
    data = [
        (None, 1, "p"),
        (None, 1, "q"),
        (1, None, "r"),
        (1, None, "s"),
        (1, 1, "t"),
        (None, None, "u"),
    ]
    result = dedup(spark, ctx, data, "a int, b int, v string", keys=("a", "b"), keep="first")
    assert sorted_rows(result) == [(None, None, "u"), (None, 1, "p"), (1, None, "r"), (1, 1, "t")]


def test_whole_duplicate_rows_collapse_to_one(spark, ctx):
    data = [(1, "x"), (1, "x"), (1, "x")]
    result = dedup(spark, ctx, data, "id int, v string", keys=("id",), keep="first")
    assert rows(result) == [(1, "x")]


def test_unicode_keys_are_compared_exactly(spark, ctx):
    data = [("Zoë", 1), ("Zoe", 2), ("東京", 3), ("東京", 4), ("🙂", 5), ("🙂", 6), ("Zoë", 7)]
    result = dedup(spark, ctx, data, "name string, n int", keys=("name",), keep="last")
    assert sorted_rows(result) == [("Zoe", 2), ("Zoë", 7), ("東京", 4), ("🙂", 6)]


def test_an_empty_input_gives_an_empty_output_with_the_same_columns(spark, ctx):
    result = dedup(spark, ctx, [], "id int, v string, updated_at date", keys=("id",), keep="latest")
    assert result.columns == ["id", "v", "updated_at"]
    assert rows(result) == []


def test_a_wide_row_keeps_all_its_columns_in_order(spark, ctx):
    data = [tuple(range(200)), tuple(range(200)), (1, *range(1, 200))]
    result = dedup(spark, ctx, data, wide_schema(), keys=("c0",), keep="first")
    assert result.columns == [f"c{i}" for i in range(200)]
    assert sorted_rows(result) == [tuple(range(200)), (1, *range(1, 200))]


def test_key_names_match_columns_case_insensitively(spark, ctx):
    result = dedup(spark, ctx, [(1, "a"), (1, "b")], "id int, v string", keys=("ID",), keep="first")
    assert rows(result) == [(1, "a")]


def test_a_missing_key_column_is_a_step_error_naming_it(spark, ctx):
    with pytest.raises(StepError) as error:
        dedup(spark, ctx, [(1, "a")], "id int, v string", keys=("idd",), keep="first")
    assert (
        str(error.value) == 'deduplicate: column "idd" not found in dataset "people"; it has: id, v'
    )


def test_keep_latest_without_updated_at_says_which_column_it_needs(spark, ctx):
    with pytest.raises(StepError, match='column "updated_at" not found in dataset "people"'):
        dedup(spark, ctx, [(1, "a")], "id int, v string", keys=("id",), keep="latest")


def test_an_unknown_source_dataset_is_a_step_error_listing_the_known_ones(spark, ctx):
    with pytest.raises(StepError, match='dataset "nope" is not defined; known: people'):
        apply(
            Deduplicate(source="nope", keys=("id",)),
            {"people": spark.createDataFrame([], "id int")},
            ctx,
        )

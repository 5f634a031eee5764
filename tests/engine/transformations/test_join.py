import re

import pytest

from spark_runner.definition.model import ColumnRef, Comparison, Join
from spark_runner.engine.registry import StepError
from spark_runner.engine.transformations.join import apply
from tests.engine.transformations.rows import rows, sorted_rows, wide_schema

pytestmark = pytest.mark.spark

CUSTOMERS = [(1, "Ann", "Oslo"), (2, "Zoë", "東京"), (3, "Bob", None), (None, "Nul", None)]
ORDERS = [(1, 10, "Bergen"), (1, 20, "Oslo"), (4, 40, "Rome"), (None, 99, None)]
BY_ID = "customers.customer_id = orders.customer_id"


def terms(condition):
    """The parser's job, done by hand: ``ds.col OP ds.col [AND ...]``."""
    found = []
    for part in re.split(r"\s+AND\s+", condition):
        left, op, right = part.split()
        found.append(Comparison(ColumnRef(*left.split(".")), op, ColumnRef(*right.split("."))))
    return tuple(found)


def join(datasets, ctx, type, condition, left="customers", right="orders"):
    step = Join(left=left, right=right, type=type, condition=condition, terms=terms(condition))
    return apply(step, datasets, ctx)


@pytest.fixture
def datasets(spark):
    return {
        "customers": spark.createDataFrame(CUSTOMERS, "customer_id int, name string, city string"),
        "orders": spark.createDataFrame(ORDERS, "customer_id int, amount int, city string"),
    }


def test_inner_join_keeps_matches_and_repeats_for_duplicate_matches(datasets, ctx):
    result = join(datasets, ctx, "inner", BY_ID)
    # the same-name key is kept once; the clashing non-key column is renamed <right>_<col>
    assert result.columns == ["customer_id", "name", "city", "amount", "orders_city"]
    assert sorted_rows(result) == [(1, "Ann", "Oslo", 10, "Bergen"), (1, "Ann", "Oslo", 20, "Oslo")]


def test_left_join_keeps_unmatched_left_rows_and_null_keys_never_match(datasets, ctx):
    result = join(datasets, ctx, "left", BY_ID)
    assert sorted_rows(result) == [
        (None, "Nul", None, None, None),
        (1, "Ann", "Oslo", 10, "Bergen"),
        (1, "Ann", "Oslo", 20, "Oslo"),
        (2, "Zoë", "東京", None, None),
        (3, "Bob", None, None, None),
    ]


def test_right_join_keeps_unmatched_right_rows_with_their_key(datasets, ctx):
    result = join(datasets, ctx, "right", BY_ID)
    assert result.columns == ["customer_id", "name", "city", "amount", "orders_city"]
    assert sorted_rows(result) == [
        (None, None, None, 99, None),
        (1, "Ann", "Oslo", 10, "Bergen"),
        (1, "Ann", "Oslo", 20, "Oslo"),
        (4, None, None, 40, "Rome"),
    ]


def test_full_join_keeps_unmatched_rows_of_both_sides(datasets, ctx):
    result = join(datasets, ctx, "full", BY_ID)
    assert sorted_rows(result) == [
        (None, None, None, 99, None),
        (None, "Nul", None, None, None),
        (1, "Ann", "Oslo", 10, "Bergen"),
        (1, "Ann", "Oslo", 20, "Oslo"),
        (2, "Zoë", "東京", None, None),
        (3, "Bob", None, None, None),
        (4, None, None, 40, "Rome"),
    ]


def test_semi_join_keeps_left_rows_with_a_match_once_and_only_left_columns(datasets, ctx):
    result = join(datasets, ctx, "semi", BY_ID)
    assert result.columns == ["customer_id", "name", "city"]
    assert rows(result) == [(1, "Ann", "Oslo")]


def test_anti_join_keeps_left_rows_without_a_match(datasets, ctx):
    result = join(datasets, ctx, "anti", BY_ID)
    assert result.columns == ["customer_id", "name", "city"]
    assert sorted_rows(result) == [(None, "Nul", None), (2, "Zoë", "東京"), (3, "Bob", None)]


def test_a_multi_term_condition_must_hold_in_every_term(datasets, ctx):
    condition = "customers.customer_id = orders.customer_id AND customers.city = orders.city"
    result = join(datasets, ctx, "inner", condition)
    # both keys have the same name on both sides: each is kept once
    assert result.columns == ["customer_id", "name", "city", "amount"]
    assert rows(result) == [(1, "Ann", "Oslo", 20)]


def test_a_non_equi_condition_joins_ranges(spark, ctx):
    datasets = {
        "events": spark.createDataFrame([(1, 5), (2, 15), (3, 25), (4, None)], "id int, t int"),
        "periods": spark.createDataFrame(
            [("early", 0, 10), ("late", 10, 20), ("all", 0, 100)],
            "name string, start int, stop int",
        ),
    }
    condition = "events.t >= periods.start AND events.t < periods.stop"
    result = join(datasets, ctx, "left", condition, left="events", right="periods")
    assert result.columns == ["id", "t", "name", "start", "stop"]
    assert sorted_rows(result) == [
        (1, 5, "all", 0, 100),
        (1, 5, "early", 0, 10),
        (2, 15, "all", 0, 100),
        (2, 15, "late", 10, 20),
        (3, 25, "all", 0, 100),
        (4, None, None, None, None),
    ]


def test_every_comparison_operator_works(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1,), (2,), (3,)], "x int"),
        "b": spark.createDataFrame([(2,)], "y int"),
    }
    expected = {
        "=": [(2, 2)],
        "!=": [(1, 2), (3, 2)],
        "<": [(1, 2)],
        "<=": [(1, 2), (2, 2)],
        ">": [(3, 2)],
        ">=": [(2, 2), (3, 2)],
    }
    for op, want in expected.items():
        result = join(datasets, ctx, "inner", f"a.x {op} b.y", left="a", right="b")
        assert sorted_rows(result) == want, op


def test_the_condition_may_name_the_right_dataset_first(datasets, ctx):
    result = join(datasets, ctx, "inner", "orders.customer_id = customers.customer_id")
    assert result.columns == ["customer_id", "name", "city", "amount", "orders_city"]
    assert sorted_rows(result) == [(1, "Ann", "Oslo", 10, "Bergen"), (1, "Ann", "Oslo", 20, "Oslo")]


def test_keys_of_different_names_are_both_kept(spark, ctx):
    datasets = {
        "customers": spark.createDataFrame([(1, "Ann")], "id int, name string"),
        "orders": spark.createDataFrame([(7, 1), (8, 1)], "id int, customer int"),
    }
    result = join(datasets, ctx, "inner", "customers.id = orders.customer")
    assert result.columns == ["id", "name", "orders_id", "customer"]
    assert sorted_rows(result) == [(1, "Ann", 7, 1), (1, "Ann", 8, 1)]


def test_a_dataset_joined_with_itself_reads_the_first_side_as_left(spark, ctx):
    staff = spark.createDataFrame(
        [(1, "Ann", None), (2, "Zoë", 1), (3, "東京", 2)], "id int, name string, boss int"
    )
    result = join(
        {"staff": staff}, ctx, "left", "staff.boss = staff.id", left="staff", right="staff"
    )
    assert result.columns == ["id", "name", "boss", "staff_id", "staff_name", "staff_boss"]
    assert sorted_rows(result) == [
        (1, "Ann", None, None, None, None),
        (2, "Zoë", 1, 1, "Ann", None),
        (3, "東京", 2, 2, "Zoë", 1),
    ]


def test_unicode_string_keys_join_exactly(spark, ctx):
    datasets = {
        "l": spark.createDataFrame(
            [("東京", 1), ("Zoë", 2), ("🙂", 3), ("Zoe", 4)], "k string, a int"
        ),
        "r": spark.createDataFrame(
            [("東京", "x"), ("Zoë", "y"), ("🙂", "z")], "k string, b string"
        ),
    }
    result = join(datasets, ctx, "inner", "l.k = r.k", left="l", right="r")
    assert sorted_rows(result) == [("Zoë", 2, "y"), ("東京", 1, "x"), ("🙂", 3, "z")]


def test_an_empty_right_side_gives_nulls_in_a_left_join(spark, ctx, datasets):
    datasets = {**datasets, "orders": spark.createDataFrame([], "customer_id int, amount int")}
    result = join(datasets, ctx, "left", BY_ID)
    assert sorted_rows(result) == [
        (None, "Nul", None, None),
        (1, "Ann", "Oslo", None),
        (2, "Zoë", "東京", None),
        (3, "Bob", None, None),
    ]


def test_an_empty_left_side_gives_no_rows_in_an_inner_join(spark, ctx, datasets):
    datasets = {**datasets, "customers": spark.createDataFrame([], "customer_id int, name string")}
    result = join(datasets, ctx, "inner", BY_ID)
    assert result.columns == ["customer_id", "name", "amount", "city"]
    assert rows(result) == []


def test_a_wide_left_row_keeps_all_its_columns(spark, ctx):
    datasets = {
        "wide": spark.createDataFrame([tuple(range(200))], wide_schema()),
        "names": spark.createDataFrame([(0, "zero")], "c0 int, label string"),
    }
    result = join(datasets, ctx, "inner", "wide.c0 = names.c0", left="wide", right="names")
    assert result.columns == [f"c{i}" for i in range(200)] + ["label"]
    assert rows(result) == [(*range(200), "zero")]


def test_a_missing_column_is_a_step_error_naming_column_and_dataset(datasets, ctx):
    with pytest.raises(StepError) as error:
        join(datasets, ctx, "inner", "customers.custmer_id = orders.customer_id")
    assert str(error.value) == (
        'join: column "custmer_id" not found in dataset "customers"; '
        "it has: customer_id, name, city"
    )


def test_a_condition_naming_another_dataset_is_a_step_error(datasets, ctx):
    with pytest.raises(StepError, match='names dataset "invoices", which is neither the left'):
        join(datasets, ctx, "inner", "customers.customer_id = invoices.customer_id")


def test_a_renamed_column_that_clashes_again_is_a_step_error(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1, "x", "y")], "id int, name string, b_name string"),
        "b": spark.createDataFrame([(1, "z")], "id int, name string"),
    }
    with pytest.raises(StepError, match='its renamed form "b_name"'):
        join(datasets, ctx, "inner", "a.id = b.id", left="a", right="b")


def test_a_comparison_spark_cannot_make_is_a_step_error(spark, ctx):
    datasets = {
        "a": spark.createDataFrame([(1,)], "x int"),
        "b": spark.createDataFrame([([1],)], "y array<int>"),
    }
    with pytest.raises(StepError) as error:
        join(datasets, ctx, "inner", "a.x = b.y", left="a", right="b")
    assert str(error.value).startswith("join: ")
    assert "DATATYPE_MISMATCH" in str(error.value)
    assert "\n" not in str(error.value)

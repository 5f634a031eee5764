import pytest

from spark_runner.definition.model import Lookup
from spark_runner.engine.registry import StepError
from spark_runner.engine.transformations.lookup import apply
from tests.engine.transformations.rows import rows, sorted_rows, wide_schema

pytestmark = pytest.mark.spark

SOURCE = [(1, "NO"), (2, "JP"), (3, "XX"), (4, None), (5, "NO")]
COUNTRIES = [
    ("NO", "Norge", "EU"),
    ("JP", "日本", "AS"),
    ("NO", "Norway (a second row for NO)", "EU2"),
    (None, "no key", "Z"),
]


@pytest.fixture
def datasets(spark, lookups):
    lookups["country_dim"] = spark.createDataFrame(
        COUNTRIES, "country_code string, country_name string, region string"
    )
    return {"customers": spark.createDataFrame(SOURCE, "id int, country_code string")}


def lookup(datasets, ctx, **step):
    return apply(Lookup(source="customers", reference="country_dim", **step), datasets, ctx)


def test_a_left_lookup_keys_on_the_first_column_and_keeps_unmatched_rows(datasets, ctx):
    result = lookup(datasets, ctx, output_fields=("country_name",))
    assert result.columns == ["id", "country_code", "country_name"]
    # NO appears twice in the reference: the first row wins and no source row is repeated
    assert sorted_rows(result) == [
        (1, "NO", "Norge"),
        (2, "JP", "日本"),
        (3, "XX", None),
        (4, None, None),
        (5, "NO", "Norge"),
    ]


def test_an_inner_lookup_drops_rows_without_a_match(datasets, ctx):
    result = lookup(datasets, ctx, output_fields=("country_name",), join_type="inner")
    assert sorted_rows(result) == [(1, "NO", "Norge"), (2, "JP", "日本"), (5, "NO", "Norge")]


def test_several_output_fields_are_appended_in_the_order_written(datasets, ctx):
    result = lookup(datasets, ctx, output_fields=("region", "country_name"))
    assert result.columns == ["id", "country_code", "region", "country_name"]
    assert sorted_rows(result) == [
        (1, "NO", "EU", "Norge"),
        (2, "JP", "AS", "日本"),
        (3, "XX", None, None),
        (4, None, None, None),
        (5, "NO", "EU", "Norge"),
    ]


def test_explicit_keys_may_be_several_columns(spark, ctx, lookups):
    lookups["rates"] = spark.createDataFrame(
        [("EUR", "2026-11-26", 1.0), ("USD", "2026-11-26", 1.1), ("USD", "2026-11-25", 1.2)],
        "currency string, day string, rate double",
    )
    datasets = {
        "customers": spark.createDataFrame(
            [(1, "USD", "2026-11-25"), (2, "USD", "2026-11-26"), (3, "EUR", "2026-11-25")],
            "id int, currency string, day string",
        )
    }
    step = Lookup(
        source="customers", reference="rates", keys=("currency", "day"), output_fields=("rate",)
    )
    result = apply(step, datasets, ctx)
    assert sorted_rows(result) == [
        (1, "USD", "2026-11-25", 1.2),
        (2, "USD", "2026-11-26", 1.1),
        (3, "EUR", "2026-11-25", None),
    ]


def test_an_empty_source_gives_an_empty_result_with_the_output_fields(spark, ctx, datasets):
    datasets = {"customers": spark.createDataFrame([], "id int, country_code string")}
    result = lookup(datasets, ctx, output_fields=("country_name",))
    assert result.columns == ["id", "country_code", "country_name"]
    assert rows(result) == []


def test_an_empty_reference_gives_null_fields(spark, ctx, datasets, lookups):
    lookups["country_dim"] = spark.createDataFrame([], "country_code string, country_name string")
    result = lookup(datasets, ctx, output_fields=("country_name",))
    assert sorted_rows(result) == [
        (1, "NO", None),
        (2, "JP", None),
        (3, "XX", None),
        (4, None, None),
        (5, "NO", None),
    ]


def test_a_wide_source_row_keeps_its_columns(spark, ctx, lookups):
    lookups["labels"] = spark.createDataFrame([(0, "zero"), (0, "nul")], "c0 int, label string")
    datasets = {"customers": spark.createDataFrame([tuple(range(200))], wide_schema())}
    step = Lookup(source="customers", reference="labels", output_fields=("label",))
    result = apply(step, datasets, ctx)
    assert result.columns == [f"c{i}" for i in range(200)] + ["label"]
    assert rows(result) == [(*range(200), "zero")]


def test_a_source_without_the_key_column_is_a_step_error(spark, ctx, datasets):
    datasets = {"customers": spark.createDataFrame([(1, "NO")], "id int, country string")}
    with pytest.raises(StepError) as error:
        lookup(datasets, ctx, output_fields=("country_name",))
    assert str(error.value) == (
        'lookup: column "country_code" not found in dataset "customers"; it has: id, country'
    )


def test_an_output_field_the_reference_lacks_is_a_step_error(datasets, ctx):
    with pytest.raises(StepError, match='column "population" not found in dataset "country_dim"'):
        lookup(datasets, ctx, output_fields=("population",))


def test_an_output_field_the_source_already_has_is_a_step_error(spark, ctx, datasets):
    datasets = {
        "customers": spark.createDataFrame(
            [(1, "NO", "x")], "id int, country_code string, region string"
        )
    }
    with pytest.raises(StepError, match='outputField "region" is already a column of dataset'):
        lookup(datasets, ctx, output_fields=("region",))

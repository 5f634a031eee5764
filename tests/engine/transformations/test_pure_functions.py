"""Each transformation is a plain function of DataFrames and its parameters: no step, no context."""

import pytest

from spark_runner.definition.model import ColumnRef, Comparison, Metric
from spark_runner.engine.masking.crypto import REDACTED
from spark_runner.engine.registry import StepError
from spark_runner.engine.transformations.aggregate import aggregate
from spark_runner.engine.transformations.deduplicate import deduplicate
from spark_runner.engine.transformations.join import join
from spark_runner.engine.transformations.lookup import lookup
from spark_runner.engine.transformations.mask import mask
from spark_runner.engine.transformations.merge import merge
from spark_runner.engine.transformations.sort import sort
from tests.engine.transformations.conftest import MASK_SECRET
from tests.engine.transformations.rows import rows, sorted_rows

pytestmark = pytest.mark.spark


@pytest.fixture
def people(spark):
    return spark.createDataFrame(
        [(1, "Ana", 30), (1, "Ana B", 31), (2, None, 25), (3, "Bo", None)],
        "id int, name string, age int",
    )


def test_deduplicate_keeps_the_latest_row_per_key(people):
    result = deduplicate(people, ["id"], keep="latest", order_by=["age"])
    assert sorted_rows(result) == [(1, "Ana B", 31), (2, None, 25), (3, "Bo", None)]


def test_an_unknown_column_names_the_dataset_the_caller_gave(people):
    with pytest.raises(StepError, match='column "nope" not found in dataset "people"'):
        deduplicate(people, ["nope"], name="people")
    with pytest.raises(StepError, match='not found in dataset "input"'):
        sort(people, ["nope"])


def test_sort_descending_puts_nulls_first_when_asked(people):
    result = sort(people, ["age"], direction="desc", nulls="first")
    assert [r[2] for r in rows(result)] == [None, 31, 30, 25]


def test_join_matches_on_the_terms_and_keeps_the_left_key_once(spark, people):
    cities = spark.createDataFrame([(1, "Lisbon"), (3, "Oslo")], "id int, city string")
    on = [Comparison(ColumnRef("p", "id"), "=", ColumnRef("c", "id"))]
    result = join(people, cities, on, "inner", names=("p", "c"))
    assert result.columns == ["id", "name", "age", "city"]
    assert sorted_rows(result) == [
        (1, "Ana", 30, "Lisbon"),
        (1, "Ana B", 31, "Lisbon"),
        (3, "Bo", None, "Oslo"),
    ]


def test_lookup_adds_the_fields_and_keeps_unmatched_rows(spark, people):
    teams = spark.createDataFrame([(1, "red"), (1, "blue"), (2, "green")], "id int, team string")
    result = lookup(people, teams, ["team"])
    assert sorted_rows(result.select("id", "team")) == [
        (1, "red"),
        (1, "red"),
        (2, "green"),
        (3, None),
    ]


def test_merge_upserts_by_key_with_the_later_frame_winning(spark):
    old = spark.createDataFrame([(1, "a"), (2, "b")], "id int, v string")
    new = spark.createDataFrame([(2, "B"), (3, "C")], "id int, v string")
    assert sorted_rows(merge([old, new], "upsert", keys=["id"])) == [(1, "a"), (2, "B"), (3, "C")]
    with pytest.raises(StepError, match="two or more"):
        merge([old])


def test_aggregate_counts_and_sums_per_group(people):
    metrics = [Metric("count", None, "n"), Metric("sum", "age", "total")]
    assert sorted_rows(aggregate(people, ["id"], metrics)) == [(1, 2, 61), (2, 1, 25), (3, 1, None)]


def test_mask_redacts_without_a_secret_and_hash_needs_one(people):
    assert sorted_rows(mask(people, ["name"], "redact").select("name")) == [
        (None,),
        (REDACTED,),
        (REDACTED,),
        (REDACTED,),
    ]
    with pytest.raises(StepError, match="hash needs a secret"):
        mask(people, ["name"], "hash")
    hashed = rows(mask(people, ["name"], "hash", MASK_SECRET.encode()).select("name"))
    assert hashed[0][0] != "Ana" and len(hashed[0][0]) == 64

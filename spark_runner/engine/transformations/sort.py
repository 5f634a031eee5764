"""``<sort source orderBy direction nulls/>``: a total sort of the dataset.

``direction`` applies to every ``orderBy`` column. Without ``nulls`` Spark's default holds: nulls
first when ascending, last when descending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyspark.sql import Column, DataFrame

from spark_runner.definition.model import Sort
from spark_runner.engine.registry import StepContext, StepError, transformation
from spark_runner.engine.transformations._columns import col, dataset, resolve

TAG = "sort"


@transformation(TAG)
def apply(step: Sort, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    df = dataset(TAG, datasets, step.source)
    return sort(df, step.order_by, step.direction, step.nulls, name=step.source)


def sort(
    df: DataFrame,
    order_by: Sequence[str],
    direction: str = "asc",
    nulls: str | None = None,
    *,
    name: str = "input",
) -> DataFrame:
    """``df`` in the order of ``order_by``; ``name`` names ``df`` in errors."""
    if not order_by:
        raise StepError(TAG, "orderBy names no column")
    columns = resolve(TAG, df, name, order_by)
    return df.orderBy(*[_ordering(col(c), direction, nulls) for c in columns])


def _ordering(column: Column, direction: str, nulls: str | None) -> Column:
    if direction == "desc":
        return column.desc_nulls_first() if nulls == "first" else column.desc_nulls_last()
    return column.asc_nulls_last() if nulls == "last" else column.asc_nulls_first()

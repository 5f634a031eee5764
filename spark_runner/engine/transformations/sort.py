"""``<sort source orderBy direction nulls/>``: a total sort of the dataset.

``direction`` applies to every ``orderBy`` column. Without ``nulls`` Spark's default holds: nulls
first when ascending, last when descending.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame

from spark_runner.definition.model import Sort
from spark_runner.engine.registry import StepContext, StepError, transformation
from spark_runner.engine.transformations._columns import col, dataset, resolve

TAG = "sort"


@transformation(TAG)
def apply(step: Sort, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    df = dataset(TAG, datasets, step.source)
    if not step.order_by:
        raise StepError(TAG, "orderBy names no column")
    columns = resolve(TAG, df, step.source, step.order_by)
    return df.orderBy(*[_ordering(col(c), step) for c in columns])


def _ordering(column: Column, step: Sort) -> Column:
    if step.direction == "desc":
        return column.desc_nulls_first() if step.nulls == "first" else column.desc_nulls_last()
    return column.asc_nulls_last() if step.nulls == "last" else column.asc_nulls_first()

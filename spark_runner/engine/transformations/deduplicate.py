"""``<deduplicate source keys keep orderBy/>``: one row per key.

- ``keep="first"`` / ``"last"``: the first / last row by ``orderBy`` (ascending); without
  ``orderBy``, by input order. Rows tied on ``orderBy`` are decided by input order too.
- ``keep="latest"``: the row with the greatest ``orderBy`` (default column ``updated_at``); ties go
  to the later row in input order.
- A null ``orderBy`` value never wins over a non-null one. Rows whose keys are null form one group,
  as in SQL ``GROUP BY``. The output has the input's columns, in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from spark_runner.definition.model import Deduplicate
from spark_runner.engine.registry import StepContext, transformation
from spark_runner.engine.transformations._columns import col, dataset, resolve

TAG = "deduplicate"
_ORDINAL = "__dedup_ordinal"
_RANK = "__dedup_rank"


@transformation(TAG)
def apply(step: Deduplicate, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    df = dataset(TAG, datasets, step.source)
    return deduplicate(df, step.keys, step.keep, step.order_by, name=step.source)


def deduplicate(
    df: DataFrame,
    keys: Sequence[str] = (),
    keep: str = "first",
    order_by: Sequence[str] = (),
    *,
    name: str = "input",
) -> DataFrame:
    """One row of ``df`` per ``keys`` (all columns when none); ``name`` names ``df`` in errors."""
    keys = resolve(TAG, df, name, keys) if keys else list(df.columns)
    order_by = order_by or (("updated_at",) if keep == "latest" else ())
    order_cols = resolve(TAG, df, name, order_by)

    # The ordinal is taken before any shuffle, so it follows the order rows were read in.
    numbered = df.withColumn(_ORDINAL, F.monotonically_increasing_id())
    ordinal = F.col(_ORDINAL)
    ordering: list[Column]
    if keep == "first":
        ordering = [col(c).asc_nulls_last() for c in order_cols] + [ordinal.asc()]
    else:
        ordering = [col(c).desc_nulls_last() for c in order_cols] + [ordinal.desc()]

    window = Window.partitionBy(*[col(k) for k in keys]).orderBy(*ordering)
    return (
        numbered.withColumn(_RANK, F.row_number().over(window))
        .where(F.col(_RANK) == 1)
        .select(*[col(c) for c in df.columns])
    )

"""``<merge sources mode keys orderBy output/>``: union several datasets by column name, or upsert.

``union``: rows of every source, in the order of ``sources``; columns are the first source's, then
each later source's new ones; a column a source lacks is null there. A column that two sources both
have must have the same type there (a column that is null-typed in one of them fits any type).

``upsert``: the same union, then one row per ``keys``: the one with the greatest ``orderBy`` (a null
never wins); ties, and every row when there is no ``orderBy``, go to the later source, then to the
later row within it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import reduce

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import NullType

from spark_runner.definition.model import Merge
from spark_runner.engine.registry import StepContext, StepError, transformation
from spark_runner.engine.transformations._columns import col, dataset, resolve

TAG = "merge"
_SOURCE, _ORDINAL, _RANK = "__merge_source", "__merge_ordinal", "__merge_rank"


@transformation(TAG)
def apply(step: Merge, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    frames = [dataset(TAG, datasets, name) for name in step.sources]
    return merge(frames, step.mode, step.keys, step.order_by, names=step.sources)


def merge(
    frames: Sequence[DataFrame],
    mode: str = "union",
    keys: Sequence[str] = (),
    order_by: Sequence[str] = (),
    *,
    names: Sequence[str] = (),
) -> DataFrame:
    """The union of ``frames`` by column name, in order, or its upsert by ``keys``; ``names``
    name the frames in errors (default ``input 1``, ``input 2``, ...)."""
    if len(frames) < 2:
        raise StepError(TAG, "sources must name two or more datasets")
    names = list(names) or [f"input {i}" for i in range(1, len(frames) + 1)]
    named = list(zip(names, frames, strict=True))
    _check_types(named)
    if mode == "union":
        return reduce(_union, [df for _, df in named])
    if mode != "upsert":
        raise StepError(TAG, f'mode "{mode}" is not one of union, upsert')
    if not keys:
        raise StepError(TAG, "upsert needs keys")
    for name, df in named:
        resolve(TAG, df, name, keys)
    numbered = [
        df.withColumn(_SOURCE, F.lit(index)).withColumn(_ORDINAL, F.monotonically_increasing_id())
        for index, (_, df) in enumerate(named)
    ]
    union = reduce(_union, numbered)
    first = named[0][0]
    keys = resolve(TAG, union, first, keys)
    order_by = resolve(TAG, union, first, order_by)
    newest_first = Window.partitionBy(*[col(k) for k in keys]).orderBy(
        *[col(c).desc_nulls_last() for c in order_by],
        F.col(_SOURCE).desc(),
        F.col(_ORDINAL).desc(),
    )
    return (
        union.withColumn(_RANK, F.row_number().over(newest_first))
        .where(F.col(_RANK) == 1)
        .drop(_SOURCE, _ORDINAL, _RANK)
    )


def _union(first: DataFrame, second: DataFrame) -> DataFrame:
    return first.unionByName(second, allowMissingColumns=True)


def _check_types(frames: list[tuple[str, DataFrame]]) -> None:
    seen: dict[str, tuple[str, object]] = {}
    for name, df in frames:
        for field in df.schema.fields:
            data_type = field.dataType
            earlier = seen.get(field.name.lower())
            if earlier is None or isinstance(earlier[1], NullType):
                seen[field.name.lower()] = (name, data_type)
            elif not isinstance(data_type, NullType) and earlier[1] != data_type:
                raise StepError(
                    TAG,
                    f'column "{field.name}" is {earlier[1].simpleString()} in dataset '  # type: ignore[attr-defined]
                    f'"{earlier[0]}" but {data_type.simpleString()} in dataset "{name}"',
                )

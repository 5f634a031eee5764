"""``<lookup source reference keys outputFields joinType/>``: enrich a dataset from a reference.

``ctx.load_lookup(reference)`` gives the reference's DataFrame (a ``common/lookups`` CSV or a Hive
table). ``keys`` default to its first column; the source must have the same key columns. The
output is the source's columns, then ``outputFields``. ``joinType="left"`` (default) keeps source
rows without a match (their fields null); ``"inner"`` drops them. Source rows with a null key never
match.

A lookup never multiplies rows: a reference with several rows for one key keeps the first of them
in the reference's order, and reference rows with a null key are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from spark_runner.definition.model import Lookup
from spark_runner.engine.registry import StepContext, StepError, transformation
from spark_runner.engine.transformations._columns import col, dataset, qualified, resolve

TAG = "lookup"
_SOURCE, _REFERENCE = "__lookup_source", "__lookup_reference"
_ORDINAL, _RANK = "__lookup_ordinal", "__lookup_rank"


@transformation(TAG)
def apply(step: Lookup, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    source, reference = dataset(TAG, datasets, step.source), ctx.load_lookup(step.reference)
    names = (step.source, step.reference)
    return lookup(source, reference, step.output_fields, step.keys, step.join_type, names=names)


def lookup(
    source: DataFrame,
    reference: DataFrame,
    output_fields: Sequence[str],
    keys: Sequence[str] = (),
    join_type: str = "left",
    *,
    names: tuple[str, str] = ("source", "reference"),
) -> DataFrame:
    """``source`` with the ``output_fields`` of ``reference`` matched on ``keys`` (default the
    reference's first column); ``names`` name the two in errors."""
    source_name, reference_name = names
    if join_type not in ("left", "inner"):
        raise StepError(TAG, f'joinType "{join_type}" is not one of left, inner')
    if not reference.columns:
        raise StepError(TAG, f'reference "{reference_name}" has no columns')
    ref_keys = resolve(TAG, reference, reference_name, keys or reference.columns[:1])
    source_keys = resolve(TAG, source, source_name, ref_keys)
    fields = resolve(TAG, reference, reference_name, output_fields)
    existing = {c.lower() for c in source.columns}
    clashing = [f for f in fields if f.lower() in existing]
    if clashing:
        raise StepError(
            TAG,
            f'outputField "{clashing[0]}" is already a column of dataset "{source_name}"; '
            "rename or drop it before the lookup",
        )

    # The ordinal follows the reference's read order: the first row of a duplicated key wins.
    one_per_key = Window.partitionBy(*[col(k) for k in ref_keys]).orderBy(F.col(_ORDINAL))
    unique_reference = (
        reference.where(_all_not_null(ref_keys))
        .withColumn(_ORDINAL, F.monotonically_increasing_id())
        .withColumn(_RANK, F.row_number().over(one_per_key))
        .where(F.col(_RANK) == 1)
        .select(*[col(c) for c in dict.fromkeys([*ref_keys, *fields])])
    )

    condition = None
    for source_key, ref_key in zip(source_keys, ref_keys, strict=True):
        term = qualified(_SOURCE, source_key) == qualified(_REFERENCE, ref_key)
        condition = term if condition is None else condition & term
    joined = source.alias(_SOURCE).join(
        unique_reference.alias(_REFERENCE),
        on=condition,
        how="left_outer" if join_type == "left" else "inner",
    )
    return joined.select(
        *[qualified(_SOURCE, c).alias(c) for c in source.columns],
        *[qualified(_REFERENCE, f).alias(f) for f in fields],
    )


def _all_not_null(names: list[str]) -> Column:
    condition = F.lit(True)
    for name in names:
        condition = condition & col(name).isNotNull()
    return condition

"""``<join left right type condition/>``: the six join types over the parsed ``condition``.

The condition arrives parsed (``step.terms``: ``ds.col OP ds.col``, AND-ed) and becomes column
expressions; it is never evaluated as SQL text. Comparisons follow SQL: a null never matches.

Output columns: all of the left's, then the right's that the left has not. A right column whose
name the left has (case-insensitively) is dropped when it is an ``=`` key of the same name on both
sides; for ``right`` and ``full`` joins the kept key is ``coalesce(left, right)`` so unmatched right
rows keep their key. Any other clashing right column is kept as ``<right>_<col>``. ``semi`` and
``anti`` give the left's columns only. Joining a dataset with itself reads each term's first side as
the left and its second as the right.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_runner.definition.model import ColumnRef, Comparison, Join
from spark_runner.engine.registry import StepContext, StepError, transformation
from spark_runner.engine.transformations._columns import dataset, qualified, resolve

TAG = "join"
_LEFT, _RIGHT = "__join_left", "__join_right"
_HOW = {
    "inner": "inner",
    "left": "left_outer",
    "right": "right_outer",
    "full": "full_outer",
    "semi": "left_semi",
    "anti": "left_anti",
}
_OPS: dict[str, Callable[[Column, Column], Column]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@transformation(TAG)
def apply(step: Join, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    left, right = dataset(TAG, datasets, step.left), dataset(TAG, datasets, step.right)
    return join(
        left, right, step.terms, step.type, names=(step.left, step.right), condition=step.condition
    )


def join(
    left: DataFrame,
    right: DataFrame,
    terms: Sequence[Comparison],
    how: str = "inner",
    *,
    names: tuple[str, str] = ("left", "right"),
    condition: str = "",
) -> DataFrame:
    """``left`` joined with ``right`` on the AND of ``terms``, whose column references name the
    datasets by ``names`` (left's, right's); ``condition`` is the terms as written, for errors."""
    if how not in _HOW:
        raise StepError(TAG, f'type "{how}" is not one of {", ".join(_HOW)}')
    if not terms:
        raise StepError(TAG, f'condition "{condition}" compares no columns')

    frames = {_LEFT: left, _RIGHT: right}
    on: Column | None = None
    same_name_keys: dict[str, str] = {}  # lower-case name -> the right's spelling
    for term in terms:
        left_side, left_column = _side(names, term.left, first=True, frames=frames)
        right_side, right_column = _side(names, term.right, first=False, frames=frames)
        comparison = _OPS[term.op](
            qualified(left_side, left_column), qualified(right_side, right_column)
        )
        on = comparison if on is None else on & comparison
        sides = {left_side: left_column, right_side: right_column}
        if term.op == "=" and len(sides) == 2 and left_column.lower() == right_column.lower():
            same_name_keys[left_column.lower()] = sides[_RIGHT]

    joined = left.alias(_LEFT).join(right.alias(_RIGHT), on=on, how=_HOW[how])
    return joined.select(*_output_columns(how, names[1], left, right, same_name_keys))


def _side(
    names: tuple[str, str], ref: ColumnRef, *, first: bool, frames: dict[str, DataFrame]
) -> tuple[str, str]:
    left_name, right_name = names
    if left_name == right_name and ref.dataset == left_name:
        side = _LEFT if first else _RIGHT
    elif ref.dataset == left_name:
        side = _LEFT
    elif ref.dataset == right_name:
        side = _RIGHT
    else:
        raise StepError(
            TAG,
            f'condition names dataset "{ref.dataset}", which is neither the left ("{left_name}") '
            f'nor the right ("{right_name}")',
        )
    (name,) = resolve(TAG, frames[side], ref.dataset, [ref.column])
    return side, name


def _output_columns(
    how: str, right_name: str, left: DataFrame, right: DataFrame, same_name_keys: dict[str, str]
) -> list[Column]:
    if how in ("semi", "anti"):
        return [qualified(_LEFT, c).alias(c) for c in left.columns]
    keep_right_key = how in ("right", "full")
    columns = []
    for name in left.columns:
        key = same_name_keys.get(name.lower())
        if key is not None and keep_right_key:
            columns.append(F.coalesce(qualified(_LEFT, name), qualified(_RIGHT, key)).alias(name))
        else:
            columns.append(qualified(_LEFT, name).alias(name))
    taken = {c.lower() for c in left.columns}
    for name in right.columns:
        output = name
        if name.lower() in taken:
            if name.lower() in same_name_keys:
                continue
            output = f"{right_name}_{name}"
            if output.lower() in taken:
                raise StepError(
                    TAG,
                    f'column "{name}" of "{right_name}" clashes with the left\'s, and so does '
                    f'its renamed form "{output}"; rename one of them first',
                )
        taken.add(output.lower())
        columns.append(qualified(_RIGHT, name).alias(output))
    return columns

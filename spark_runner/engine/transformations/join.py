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
from collections.abc import Callable, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_runner.definition.model import ColumnRef, Join
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
    left = dataset(TAG, datasets, step.left)
    right = dataset(TAG, datasets, step.right)
    if step.type not in _HOW:
        raise StepError(TAG, f'type "{step.type}" is not one of {", ".join(_HOW)}')
    if not step.terms:
        raise StepError(TAG, f'condition "{step.condition}" compares no columns')

    frames = {_LEFT: left, _RIGHT: right}
    condition: Column | None = None
    same_name_keys: dict[str, str] = {}  # lower-case name -> the right's spelling
    for term in step.terms:
        left_side, left_name = _side(step, term.left, first=True, frames=frames)
        right_side, right_name = _side(step, term.right, first=False, frames=frames)
        comparison = _OPS[term.op](
            qualified(left_side, left_name), qualified(right_side, right_name)
        )
        condition = comparison if condition is None else condition & comparison
        sides = {left_side: left_name, right_side: right_name}
        if term.op == "=" and len(sides) == 2 and left_name.lower() == right_name.lower():
            same_name_keys[left_name.lower()] = sides[_RIGHT]

    joined = left.alias(_LEFT).join(right.alias(_RIGHT), on=condition, how=_HOW[step.type])
    return joined.select(*_output_columns(step, left, right, same_name_keys))


def _side(
    step: Join, ref: ColumnRef, *, first: bool, frames: dict[str, DataFrame]
) -> tuple[str, str]:
    if step.left == step.right and ref.dataset == step.left:
        side = _LEFT if first else _RIGHT
    elif ref.dataset == step.left:
        side = _LEFT
    elif ref.dataset == step.right:
        side = _RIGHT
    else:
        raise StepError(
            TAG,
            f'condition names dataset "{ref.dataset}", which is neither the left ("{step.left}") '
            f'nor the right ("{step.right}")',
        )
    (name,) = resolve(TAG, frames[side], ref.dataset, [ref.column])
    return side, name


def _output_columns(
    step: Join, left: DataFrame, right: DataFrame, same_name_keys: dict[str, str]
) -> list[Column]:
    if step.type in ("semi", "anti"):
        return [qualified(_LEFT, c).alias(c) for c in left.columns]
    keep_right_key = step.type in ("right", "full")
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
            output = f"{step.right}_{name}"
            if output.lower() in taken:
                raise StepError(
                    TAG,
                    f'column "{name}" of "{step.right}" clashes with the left\'s, and so does '
                    f'its renamed form "{output}"; rename one of them first',
                )
        taken.add(output.lower())
        columns.append(qualified(_RIGHT, name).alias(output))
    return columns

"""Columns named in steps must exist where the schema is known; they are tracked through the flow.

A dataset's columns are known when its source has a schemaRef; join, lookup, aggregate and merge
change them as the language reference says. Unknown columns (no schema) turn checks off downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import model as m
from .rules import did_you_mean, step_result, target_label

Columns = list[str] | None
Report = Callable[[m.Location | None, str], None]


def last_dataset(pipeline: m.Pipeline) -> str | None:
    if pipeline.transformations:
        return step_result(pipeline.transformations[-1])
    return pipeline.sources[-1].id if pipeline.sources else None


def join_columns(step: m.Join, left: Sequence[str], right: Sequence[str]) -> list[str]:
    """All of the left's columns, then the right's (renamed ``<right>_<col>`` on a clash)."""
    if step.type in ("semi", "anti"):
        return list(left)
    same_name_keys = {
        t.left.column
        for t in step.terms
        if t.op == "=" and t.left.column == t.right.column and t.left.dataset != t.right.dataset
    }
    result = list(left)
    for column in right:
        if column not in left:
            result.append(column)
        elif column not in same_name_keys:
            result.append(f"{step.right}_{column}")
    return result


def check_columns(
    pipeline: m.Pipeline,
    source_columns: Callable[[m.Source], Columns],
    lookup_columns: Callable[[str], Columns],
    target_columns: Callable[[m.Target], Columns],
    report: Report,
) -> None:
    cols: dict[str, Columns] = {s.id: source_columns(s) for s in pipeline.sources}

    def need(step_tag: str, loc, dataset: str, names: Sequence[str], role: str = "") -> None:
        known = cols.get(dataset)
        if known is None:
            return
        for name in names:
            if name not in known:
                report(
                    loc,
                    f'{step_tag}: {role}column "{name}" is not in dataset "{dataset}"'
                    f"{did_you_mean(name, known)}",
                )

    for step in pipeline.transformations:
        tag, loc = step.tag, step.loc
        result: Columns
        if isinstance(step, m.Deduplicate):
            need(tag, loc, step.source, step.keys)
            if step.order_by:
                need(tag, loc, step.source, step.order_by)
            elif (
                step.keep == "latest"
                and cols.get(step.source) is not None
                and (
                    "updated_at" not in cols[step.source]  # type: ignore[operator]
                )
            ):
                report(
                    loc,
                    'deduplicate: keep="latest" orders by the column updated_at '
                    f'unless orderBy is given, and dataset "{step.source}" has no '
                    "updated_at; set orderBy",
                )
            result = cols.get(step.source)
        elif isinstance(step, (m.Sort, m.Mask)):
            need(tag, loc, step.source, step.order_by if isinstance(step, m.Sort) else step.columns)
            result = cols.get(step.source)
        elif isinstance(step, m.Join):
            for term in step.terms:
                for ref in (term.left, term.right):
                    need(tag, loc, ref.dataset, [ref.column], "condition ")
            left, right = cols.get(step.left), cols.get(step.right)
            if step.type in ("semi", "anti"):
                result = left
            else:
                result = None if left is None or right is None else join_columns(step, left, right)
        elif isinstance(step, m.Lookup):
            result = _lookup(step, cols, lookup_columns(step.reference), need, report)
        elif isinstance(step, m.Merge):
            for name in step.sources:
                need(tag, loc, name, step.keys, "key ")
            known = [cols.get(s) for s in step.sources]
            if any(k is None for k in known):
                result = None
            else:
                result = []
                for columns in known:
                    result += [c for c in columns if c not in result]  # type: ignore[union-attr]
                for name in step.order_by:
                    if name not in result:
                        report(
                            loc,
                            f'merge: orderBy column "{name}" is in none of the sources'
                            f"{did_you_mean(name, result)}",
                        )
        else:
            need(tag, loc, step.source, step.group_by)
            need(tag, loc, step.source, [mt.column for mt in step.metrics if mt.column])
            if step.time_column:
                need(tag, loc, step.source, [step.time_column], "timeColumn ")
            window = ["window_start"] if step.window else []
            result = [*step.group_by, *window, *(mt.alias for mt in step.metrics)]
        cols[step_result(step)] = result

    default = last_dataset(pipeline)
    for target in pipeline.targets:
        names = [*getattr(target, "partition_by", ()), *getattr(target, "keys", ())]
        if not names:
            continue
        known = target_columns(target)
        where = "its schemaRef"
        if known is None:
            dataset = target.source or default
            known, where = cols.get(dataset or ""), f'dataset "{dataset}"'
        if known is None:
            continue
        for name in names:
            if name not in known:
                report(
                    target.loc,
                    f'{target_label(target)}: column "{name}" is not in '
                    f"{where}{did_you_mean(name, known)}",
                )


def _lookup(step: m.Lookup, cols, header: Columns, need, report) -> Columns:
    keys = list(step.keys) or ([header[0]] if header else [])
    need("lookup", step.loc, step.source, keys, "key ")
    if header is not None:
        for name in [*step.keys, *step.output_fields]:
            if name not in header:
                report(
                    step.loc,
                    f'lookup: "{name}" is not a column of the lookup '
                    f'"{step.reference}"{did_you_mean(name, header)}',
                )
    source = cols.get(step.source)
    if source is None:
        return None
    return [*source, *(f for f in step.output_fields if f not in source)]

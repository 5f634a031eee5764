"""Columns named in steps must exist where the schema is known; they are tracked through the flow.

A dataset's columns (name -> type, None when the type is unknown) are known when its source has a
schemaRef; join, lookup, aggregate and merge change them as the language reference says. Where
they are unknown (no schema), checks are off downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import model as m
from .rules import did_you_mean, step_result, target_label

Columns = dict[str, str | None] | None
Report = Callable[[m.Location | None, str], None]

_NUMERIC = ("int", "long", "float", "double")


def type_family(type_: str | None) -> str | None:
    if type_ is None:
        return None
    if type_ in _NUMERIC or type_.startswith("decimal"):
        return "number"
    if type_ in ("date", "timestamp"):
        return "date/time"
    return type_


def last_dataset(pipeline: m.Pipeline) -> str | None:
    if pipeline.transformations:
        return step_result(pipeline.transformations[-1])
    return pipeline.sources[-1].id if pipeline.sources else None


def join_columns(step: m.Join, left: dict, right: dict) -> dict[str, str | None]:
    """All of the left's columns, then the right's (renamed ``<right>_<col>`` on a clash)."""
    if step.type in ("semi", "anti"):
        return dict(left)
    same_name_keys = {
        t.left.column
        for t in step.terms
        if t.op == "=" and t.left.column == t.right.column and t.left.dataset != t.right.dataset
    }
    result = dict(left)
    for column, type_ in right.items():
        if column not in left:
            result[column] = type_
        elif column not in same_name_keys:
            result[f"{step.right}_{column}"] = type_
    return result


def _metric_type(metric: m.Metric, source: dict) -> str | None:
    if metric.function == "count":
        return "long"
    if metric.function == "avg":
        return "double"
    return source.get(metric.column) if metric.function in ("min", "max") else None


def check_columns(
    pipeline: m.Pipeline,
    source_columns: Callable[[m.Source], Columns],
    lookup_columns: Callable[[str], Columns],
    target_columns: Callable[[m.Target], Columns],
    report: Report,
    seen: Callable[[int, dict[str, Columns]], None] | None = None,
) -> None:
    """``seen(i, datasets)``: the datasets as they stand before step ``i`` (and after the
    last, with ``i`` the number of steps): what the wizard's column pickers offer."""
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

    for position, step in enumerate(pipeline.transformations):
        if seen is not None:
            seen(position, dict(cols))
        tag, loc = step.tag, step.loc
        result: Columns
        if isinstance(step, m.Deduplicate):
            need(tag, loc, step.source, step.keys)
            known = cols.get(step.source)
            if step.order_by:
                need(tag, loc, step.source, step.order_by)
            elif step.keep == "latest" and known is not None and "updated_at" not in known:
                report(
                    loc,
                    'deduplicate: keep="latest" orders by the column updated_at unless orderBy '
                    f'is given, and dataset "{step.source}" has no updated_at; set orderBy',
                )
            result = known
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
            result = _merge(step, cols, need, report)
        else:
            result = _aggregate(step, cols, need, report)
        cols[step_result(step)] = result

    if seen is not None:
        seen(len(pipeline.transformations), dict(cols))
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
                    f'{target_label(target)}: column "{name}" is not in {where}'
                    f"{did_you_mean(name, known)}",
                )


def _lookup(step: m.Lookup, cols, header: Columns, need, report) -> Columns:
    keys = list(step.keys) or ([next(iter(header))] if header else [])
    need("lookup", step.loc, step.source, keys, "key ")
    if header is not None:
        for name in [*step.keys, *step.output_fields]:
            if name not in header:
                report(
                    step.loc,
                    f'lookup: "{name}" is not a column of the lookup "{step.reference}"'
                    f"{did_you_mean(name, header)}",
                )
    source = cols.get(step.source)
    if source is None:
        return None
    added = {f: (header or {}).get(f) for f in step.output_fields if f not in source}
    return {**source, **added}


def _merge(step: m.Merge, cols, need, report) -> Columns:
    for name in step.sources:
        need("merge", step.loc, name, step.keys, "key ")
    known = [(s, cols.get(s)) for s in step.sources]
    if any(columns is None for _, columns in known):
        return None
    result: dict[str, str | None] = {}
    first_seen: dict[str, str] = {}
    for source, columns in known:
        for column, type_ in columns.items():  # type: ignore[union-attr]
            if column not in result:
                result[column], first_seen[column] = type_, source
                continue
            before, after = type_family(result[column]), type_family(type_)
            if before and after and before != after:
                report(
                    step.loc,
                    f'merge: column "{column}" is {result[column]} in "{first_seen[column]}" '
                    f'but {type_} in "{source}"; the types must agree',
                )
    for name in step.order_by:
        if name not in result:
            report(
                step.loc,
                f'merge: orderBy column "{name}" is in none of the sources'
                f"{did_you_mean(name, result)}",
            )
    return result


def _aggregate(step: m.Aggregate, cols, need, report) -> Columns:
    need("aggregate", step.loc, step.source, step.group_by)
    need("aggregate", step.loc, step.source, [mt.column for mt in step.metrics if mt.column])
    if step.time_column:
        need("aggregate", step.loc, step.source, [step.time_column], "timeColumn ")
    source = cols.get(step.source) or {}
    for metric in step.metrics:
        type_ = source.get(metric.column) if metric.column else None
        if metric.function in ("sum", "avg") and type_ and type_family(type_) != "number":
            report(
                step.loc,
                f'aggregate: {metric.function} needs a number column, and "{metric.column}" '
                f"is {type_}",
            )
    if step.time_column and type_family(source.get(step.time_column)) not in (None, "date/time"):
        report(
            step.loc,
            f'aggregate: timeColumn "{step.time_column}" must be a date or timestamp, not '
            f"{source[step.time_column]}",
        )
    result: dict[str, str | None] = {c: source.get(c) for c in step.group_by}
    if step.window:
        result["window_start"] = "date"
    for metric in step.metrics:
        result[metric.alias] = _metric_type(metric, source)
    return result

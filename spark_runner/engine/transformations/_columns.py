"""Shared checks that turn Spark's analysis errors into located, readable step errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_runner.engine.registry import StepError

_SHOWN_COLUMNS = 20


def col(name: str) -> Column:
    """A column by its exact name, dots and spaces included (``F.col("a.b")`` means a struct)."""
    return F.col("`" + name.replace("`", "``") + "`")


def qualified(alias: str, name: str) -> Column:
    """A column of an aliased DataFrame, by its exact name."""
    return F.col(f"{alias}.`{name.replace('`', '``')}`")


def dataset(tag: str, datasets: Mapping[str, DataFrame], dataset_id: str) -> DataFrame:
    try:
        return datasets[dataset_id]
    except KeyError:
        known = ", ".join(sorted(datasets)) or "none"
        raise StepError(tag, f'dataset "{dataset_id}" is not defined; known: {known}') from None


def resolve(tag: str, df: DataFrame, dataset_id: str, names: Iterable[str]) -> list[str]:
    """The columns' names as the DataFrame spells them (Spark matches case-insensitively)."""
    by_lower: dict[str, str] = {}
    for existing in df.columns:
        by_lower.setdefault(existing.lower(), existing)
    resolved = []
    for name in names:
        if name in df.columns:
            resolved.append(name)
        elif name.lower() in by_lower:
            resolved.append(by_lower[name.lower()])
        else:
            raise StepError(tag, missing_column(name, dataset_id, df.columns))
    return resolved


def missing_column(name: str, dataset_id: str, columns: list[str]) -> str:
    shown = ", ".join(columns[:_SHOWN_COLUMNS])
    if len(columns) > _SHOWN_COLUMNS:
        shown += f", ... ({len(columns)} columns)"
    return f'column "{name}" not found in dataset "{dataset_id}"; it has: {shown or "no columns"}'

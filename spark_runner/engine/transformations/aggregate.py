"""``<aggregate source groupBy metrics window timeColumn/>``: grouped metrics, per window or not.

Metrics: ``count`` (rows when it names no column, else non-null values), ``sum`` and ``avg`` (of a
numeric column), ``min``, ``max``. Output columns: the ``groupBy`` columns, then ``window_start``
when there is a window, then the metrics by alias, in the order written.

``window="daily"`` groups by the date of ``timeColumn``; ``"weekly"`` by the Monday that starts its
week (ISO weeks). Dates are those of the session time zone. Rows whose ``timeColumn`` is null form
their own group with a null ``window_start``. Without ``groupBy`` and window, an empty input still
gives one row (count 0, other metrics null), as in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import NumericType

from spark_runner.definition.model import Aggregate, Metric
from spark_runner.engine.registry import StepContext, StepError, transformation
from spark_runner.engine.transformations._columns import col, dataset, resolve

TAG = "aggregate"
WINDOW_START = "window_start"
_FUNCTIONS = {"count": F.count, "sum": F.sum, "avg": F.avg, "min": F.min, "max": F.max}


@transformation(TAG)
def apply(step: Aggregate, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    df = dataset(TAG, datasets, step.source)
    return aggregate(
        df, step.group_by, step.metrics, step.window, step.time_column, name=step.source
    )


def aggregate(
    df: DataFrame,
    group_by: Sequence[str],
    metrics: Sequence[Metric],
    window: str | None = None,
    time_column: str | None = None,
    *,
    name: str = "input",
) -> DataFrame:
    """The ``metrics`` of ``df`` per ``group_by`` (and window); ``name`` names ``df`` in errors."""
    if not metrics:
        raise StepError(TAG, "metrics names no metric")
    group_by = resolve(TAG, df, name, group_by)
    grouping = [col(c) for c in group_by]
    names = [c.lower() for c in group_by]
    if window is not None:
        grouping.append(_window_start(df, window, time_column, name).alias(WINDOW_START))
        names.append(WINDOW_START)
    columns = []
    for metric in metrics:
        if metric.alias.lower() in names:
            raise StepError(TAG, f'metric alias "{metric.alias}" is used twice in the output')
        names.append(metric.alias.lower())
        columns.append(_metric(df, metric, name).alias(metric.alias))
    return df.groupBy(*grouping).agg(*columns)


def _window_start(df: DataFrame, window: str, time_column: str | None, name: str) -> Column:
    if window not in ("daily", "weekly"):
        raise StepError(TAG, f'window "{window}" is not one of daily, weekly')
    if not time_column:
        raise StepError(TAG, f'window "{window}" needs timeColumn')
    (time_column,) = resolve(TAG, df, name, [time_column])
    if window == "daily":
        return F.to_date(col(time_column))
    return F.to_date(F.date_trunc("week", col(time_column)))


def _metric(df: DataFrame, metric: Metric, name: str) -> Column:
    function = _FUNCTIONS.get(metric.function)
    if function is None:
        known = ", ".join(_FUNCTIONS)
        raise StepError(TAG, f'metric function "{metric.function}" is not one of {known}')
    if metric.column is None:
        if metric.function != "count":
            raise StepError(TAG, f'metric "{metric.function}" needs a column')
        return F.count(F.lit(1))
    (column,) = resolve(TAG, df, name, [metric.column])
    if metric.function in ("sum", "avg"):
        data_type = df.schema[column].dataType
        if not isinstance(data_type, NumericType):
            raise StepError(
                TAG,
                f'{metric.function} needs a numeric column; "{column}" of dataset '
                f'"{name}" is {data_type.simpleString()}',
            )
    return function(col(column))

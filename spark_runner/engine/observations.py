"""Row counts observed while the data is written (Spark ``Observation``s, no extra pass)."""

from __future__ import annotations

import contextlib

from pyspark.sql import Observation


def drain_listeners(spark, timeout_ms: int = 10_000) -> None:
    """Observed metrics arrive through Spark's listener bus, a moment after the write returns:
    wait for the bus to be empty so that the counts are there."""
    with contextlib.suppress(Exception):
        spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(timeout_ms)


def _observed(obs: Observation | None, key: str) -> int | None:
    if obs is None or obs._jo is None:
        return None
    try:
        if not obs._jo.future().isCompleted():
            return None
        return int(obs.get[key])
    except Exception:
        return None


def _count(value) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, Observation):
        return _observed(value, "rows")
    return None

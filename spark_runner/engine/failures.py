"""Operator cancellation (the run's Spark job group) and the category a failure is filed under."""

from __future__ import annotations

import logging
import threading

from spark_runner.definition.policy import PolicyViolation
from spark_runner.engine import registry
from spark_runner.engine.errors import EngineError

log = logging.getLogger("spark_runner.engine")


_cancel_lock = threading.Lock()
_cancelled: set[str] = set()


def cancel_run(spark, run_id: str) -> None:
    """Cancels the Spark jobs of run ``run_id`` (its job group); the run ends ``cancelled``."""
    with _cancel_lock:
        _cancelled.add(str(run_id))
    try:
        spark.sparkContext.cancelJobGroup(str(run_id))
    except Exception:
        log.warning("cancel_run %s: no live session", run_id)


class Cancelled(Exception):
    pass


_PATTERNS = (
    ("cancelled", ("cancelled", "canceled", "Cancelled by an operator")),
    (
        "connection",
        (
            "Connection refused",
            "connection attempt failed",
            "UnknownHostException",
            "password authentication failed",
            "Communications link failure",
            "could not connect",
        ),
    ),
    (
        "permission",
        (
            "Permission denied",
            "AccessDenied",
            "Read-only file system",
            "Not a directory",
            "ParentNotDirectoryException",
            "Mkdirs failed",
        ),
    ),
    ("source_missing", ("PATH_NOT_FOUND", "FileNotFoundException", "does not exist")),
    ("schema_mismatch", ("does not match the schema", "CSV header does not conform")),
)


def classify(exc: BaseException, message: str, phase: str) -> str:
    if isinstance(exc, Cancelled):
        return "cancelled"
    if isinstance(exc, PolicyViolation):
        return "policy"
    if isinstance(exc, EngineError):
        return exc.category
    if isinstance(exc, registry.StepError | registry.UnknownTransformation):
        return "step"
    text = f"{message} {exc}"
    for category, needles in _PATTERNS:
        if category == "cancelled" and phase not in ("step", "target", "source", "commit"):
            continue
        if any(n in text for n in needles):
            if category == "cancelled" and "cancel" not in text.lower():
                continue
            if category == "source_missing" and phase != "source":
                continue
            return category
    if isinstance(exc, LookupError) and phase in ("source", "target"):
        return "connection"  # a secret that is not there
    return {"source": "source", "step": "step", "target": "target", "commit": "target"}.get(
        phase, "internal"
    )

"""Located run errors: what failed, where, in one readable line; the Java trace kept apart."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

CATEGORIES = (
    "source_missing",
    "schema_mismatch",
    "invalid_rows",
    "connection",
    "step",
    "target",
    "permission",
    "policy",
    "cancelled",
    "definition",
    "internal",
)


@dataclass(frozen=True)
class RunError:
    """``where`` names the place (``source customer_csv``, ``step 3 (join)``,
    ``target hive staging.customer_snapshot``); ``message`` is one line, secrets redacted."""

    category: str
    where: str
    message: str
    java_trace: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.where}: {self.category}: {self.message}"


class EngineError(Exception):
    """Raised inside the engine with a category; the template adds ``where`` and returns a
    ``RunError`` instead of letting the exception escape."""

    def __init__(self, category: str, message: str, where: str = "", java_trace: str = ""):
        super().__init__(message)
        self.category = category
        self.message = message
        self.where = where
        self.java_trace = java_trace


_PASSWORD_IN_URL = re.compile(r"(?i)(password=)[^&;\s'\"]*")
_USERINFO_IN_URL = re.compile(r"(//[^/:@\s]+:)[^@/\s]+@")


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """Removes known secret values and passwords in URLs from ``text``."""
    for value in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(value, "***")
    text = _PASSWORD_IN_URL.sub(r"\1***", text)
    return _USERINFO_IN_URL.sub(r"\1***@", text)


_NOISE = re.compile(
    r"^(?:py4j\.protocol\.Py4JJavaError: )?An error occurred while calling [^.]+\.\s*"
    r"|^(?:\[[A-Z0-9_.]+\]\s*)"
)


def condense(exc: BaseException) -> tuple[str, str]:
    """Returns (one readable line, java trace) for any exception, Py4J or PySpark included."""
    java_trace = ""
    message = ""
    # PySpark's captured exceptions (AnalysisException, ...) keep the JVM trace apart.
    getter = getattr(exc, "getMessage", None)
    if callable(getter):
        try:
            message = getter() or ""
        except Exception:
            message = ""
        java_trace = str(getattr(exc, "_stackTrace", "") or "")
    java_exc = getattr(exc, "java_exception", None)
    if java_exc is not None:
        try:
            message = message or str(java_exc.toString())
            java_trace = java_trace or str(exc)
            cause = java_exc
            root = None
            for _ in range(20):
                nxt = cause.getCause()
                if nxt is None:
                    break
                root = nxt
                cause = nxt
            if root is not None:
                message = str(root.toString())
        except Exception:
            message = message or str(exc)
    if not message:
        message = str(exc) or type(exc).__name__
    if not java_trace and "\tat " in message:
        java_trace = message
    return one_line(message), java_trace


def one_line(message: str) -> str:
    lines = [ln.strip() for ln in str(message).splitlines() if ln.strip()]
    kept = []
    for ln in lines:
        if ln.startswith(("at ", "\tat ", "JVM stacktrace", "== ", "+-", ":-")):
            break
        kept.append(ln)
    text = " ".join(kept) if kept else (lines[0] if lines else "")
    text = re.sub(r"^[a-zA-Z0-9_.$]+(?:Exception|Error): ", "", text)
    text = _NOISE.sub("", text)
    text = re.sub(r"\s*SQLSTATE: \w+", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > 400:
        text = text[:397] + "..."
    return text

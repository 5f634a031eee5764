"""Storage kinds by model type: one module per kind reads, stages and commits it.

Each kind lives in its own module here (``csv``, ``hive``, ``jdbc``) as a ``StorageKind`` subclass
registered with ``@storage_kind(source=<model class>, target=<model class>)``, the classes of
``spark_runner/definition/model.py`` its XSD elements parse into. The engine looks a source or
target up with ``kind_of(element)``, never by ``isinstance``. Adding a kind (Parquet files, an
object store) is adding a module here and its element in the XSD; modules whose names start with
``_`` are helpers. Everything an output shares (the stage/commit/abort contract, run tags) is in
``outputs.py``; the clean-up of what killed attempts left, in ``staging.py``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spark_runner.engine.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Observation

    from spark_runner.engine.context import RunContext
    from spark_runner.engine.outputs import Output
    from spark_runner.engine.run_state import RunState


@dataclass
class SourceRead:
    """A source as read: the DataFrame the steps see and, for a kind that finds bad rows (CSV),
    their count (observed when the data is first read) and the rejects (the raw bad lines)."""

    df: DataFrame
    bad_rows: Observation | None = None
    rejects: DataFrame | None = None

    def invalid_rows_message(self, source: Any, bad: int) -> str:
        return f"{bad} row(s) of source {source.id} are invalid"


class StorageKind:
    """What the engine asks of a storage kind. ``name`` is the word of the metrics and messages
    (``csv``, ``hive``, ``database``)."""

    name = ""

    def read(self, source: Any, run: RunState, fields: list | None) -> SourceRead:
        """Reads ``source``; ``fields`` is its ``schemaRef`` schema (None without one)."""
        raise EngineError("definition", f"{self.name} storage cannot be read as a source")

    def output(self, target: Any, df: DataFrame, run: RunState) -> Output:
        """The output that stages ``df`` for ``target`` and commits it (``check_target`` first)."""
        raise EngineError("definition", f"{self.name} storage cannot be written as a target")

    def check_target(self, target: Any, run: RunState) -> None:
        """The data policy checks of ``target`` made as its output is made: by ``output`` and
        by the preview, which shows a target without making its output."""

    def target_where(self, target: Any) -> str:
        """Where a target is, in run errors: ``target <kind> <what it names>``."""
        return f"target {self.name}"

    def confine_source(self, source: Any, ctx: RunContext) -> None:
        """Data policy checks made before the run reads anything (the files a pattern matches);
        the others are made as the source is read."""

    def confine_target(self, target: Any, ctx: RunContext) -> None:
        """Data policy checks made before the run reads anything (the folder an export lands
        in); the others are made as the target is staged."""


@dataclass(frozen=True)
class _Registered:
    kind: StorageKind
    role: str  # "source" or "target"


_registry: dict[type, _Registered] = {}
_loaded = False


def storage_kind(
    *, source: type | None = None, target: type | None = None
) -> Callable[[type[StorageKind]], type[StorageKind]]:
    """Registers a ``StorageKind`` subclass for its source and target model classes."""

    def register(cls: type[StorageKind]) -> type[StorageKind]:
        kind = cls()
        for model, role in ((source, "source"), (target, "target")):
            if model is None:
                continue
            existing = _registry.get(model)
            if existing is not None and type(existing.kind).__module__ != cls.__module__:
                raise ValueError(f"{model.__name__} has two storage kinds ({existing.kind.name})")
            _registry[model] = _Registered(kind, role)
        return cls

    return register


def kind_of(element: Any) -> StorageKind:
    """The storage kind of a source or target model."""
    return _registered(element).kind


def where(element: Any) -> str:
    """``source <id>`` or the target's ``target <kind> <name>``, as run errors name them."""
    registered = _registered(element)
    if registered.role == "source":
        return f"source {element.id}"
    return registered.kind.target_where(element)


def confine(element: Any, ctx: RunContext) -> None:
    """The kind's data policy checks of a source or target, made before the run starts."""
    registered = _registered(element)
    if registered.role == "source":
        registered.kind.confine_source(element, ctx)
    else:
        registered.kind.confine_target(element, ctx)


def is_storage(element: Any) -> bool:
    _load_builtins()
    return type(element) in _registry


def _registered(element: Any) -> _Registered:
    _load_builtins()
    try:
        return _registry[type(element)]
    except KeyError:
        known = ", ".join(sorted(m.__name__ for m in _registry))
        raise EngineError(
            "internal", f"no storage kind reads or writes {type(element).__name__}; known: {known}"
        ) from None


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True

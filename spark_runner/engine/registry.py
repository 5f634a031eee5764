"""Transformations by XML tag: a decorator fills one registry; an unknown tag lists the known ones.

Each transformation lives in its own module under ``spark_runner/engine/transformations/`` and is
registered with ``@transformation("<tag>")``; importing that package registers them all. Adding a
transformation is adding a module there (and its element in the XSD): nothing else changes.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyspark.errors import AnalysisException

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from spark_runner.engine.masking.vault import TokenVault
    from spark_runner.engine.secrets import SecretResolver

Apply = Callable[[Any, "Mapping[str, DataFrame]", "StepContext"], "DataFrame"]

_registry: dict[str, Apply] = {}


class StepError(Exception):
    """A readable error located by step: ``join: column "custmer_id" not found in ...``."""

    def __init__(self, step_tag: str, message: str):
        super().__init__(f"{step_tag}: {message}")
        self.step_tag = step_tag
        self.message = message


class UnknownTransformation(LookupError):
    def __init__(self, tag: str, known: tuple[str, ...]):
        super().__init__(f'unknown transformation "{tag}"; known: {", ".join(known)}')
        self.tag = tag
        self.known = known


@dataclass(frozen=True)
class StepContext:
    """What a step may use besides its DataFrames. ``load_lookup(reference)`` returns the lookup's
    DataFrame; ``vault`` collects tokenize results (None where no vault is configured)."""

    secrets: SecretResolver
    load_lookup: Callable[[str], DataFrame]
    vault: TokenVault | None = None
    run_id: str = ""


def transformation(tag: str) -> Callable[[Apply], Apply]:
    """Registers ``apply`` under ``tag``; Spark analysis errors it meets become ``StepError``s."""

    def register(apply: Apply) -> Apply:
        existing = _registry.get(tag)
        if existing is not None and existing.__module__ != apply.__module__:
            raise ValueError(f'transformation "{tag}" is registered twice ({existing.__module__})')

        @functools.wraps(apply)
        def located(step: Any, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
            try:
                return apply(step, datasets, ctx)
            except AnalysisException as exc:
                raise StepError(tag, _first_line(exc)) from exc

        _registry[tag] = located
        return located

    return register


def get(tag: str) -> Apply:
    _load_builtins()
    try:
        return _registry[tag]
    except KeyError:
        raise UnknownTransformation(tag, known_tags()) from None


def known_tags() -> tuple[str, ...]:
    _load_builtins()
    return tuple(sorted(_registry))


def _first_line(exc: AnalysisException) -> str:
    # Spark's message continues with the plan; the first line names the problem.
    text = (exc.getMessage() if hasattr(exc, "getMessage") else str(exc)) or type(exc).__name__
    line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return line if len(line) <= 300 else line[:297] + "..."


def _load_builtins() -> None:
    importlib.import_module("spark_runner.engine.transformations")

"""Validation of definitions in a repository, with the rules that read other files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from . import model as m
from .errors import Problem
from .files import FileSource


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    definitions: dict[str, m.Definition] = field(default_factory=dict)


def validate(files: FileSource, paths: Iterable[str] | None = None) -> Report:
    raise NotImplementedError

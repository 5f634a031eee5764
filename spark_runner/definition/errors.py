"""Problems found in a definition, each located in its file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: error: {self.message}"


def position(problem: Problem) -> tuple[str, int, int]:
    """Sort key: where a problem is (a stable sort keeps the order of problems at one place)."""
    return problem.file, problem.line, problem.column


class DefinitionInvalid(Exception):
    """A definition could not be accepted; ``problems`` lists every reason, located."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=position))
        super().__init__("\n".join(str(p) for p in self.problems))

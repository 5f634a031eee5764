"""Plain-English differences between two versions of a definition, for reviewers."""

from __future__ import annotations

from . import model as m


def semantic_diff(old: m.Definition | None, new: m.Definition | None) -> list[str]:
    raise NotImplementedError

"""Canonical XML for a definition."""

from __future__ import annotations

from . import model as m


def render(definition: m.Definition) -> bytes:
    raise NotImplementedError

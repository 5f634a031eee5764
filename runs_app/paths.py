"""Paths on run pages, relative to the application's data folder: an operator reads
``staging/out/customers``, not the mount point of the data lake on the worker."""

from __future__ import annotations

import re

from django.conf import settings


def application_root(application: str) -> str:
    """``$HUB_DATA_ROOT/applications/<application>/``, as the engine joins it."""
    return f"{str(settings.HUB_DATA_ROOT).rstrip('/')}/applications/{application}/"


def relative_to_application(text: str, application: str) -> str:
    """``text`` with the application's data folder taken off every path in it (also in the
    ``file:`` URI forms Spark reports); the folder itself reads ``.``; other paths, including
    those of another application whose name starts the same, are left as they are."""
    if not text:
        return text
    root = re.escape(application_root(application).rstrip("/"))
    inside = re.compile(rf"(?:file:(?://)?)?{root}/")
    itself = re.compile(rf"(?:file:(?://)?)?{root}(?![\w.-])")
    return itself.sub(".", inside.sub("", text))

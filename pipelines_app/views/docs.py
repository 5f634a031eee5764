"""The project's own documentation (docs/), rendered: the XML editor links its language reference
here, so an author reads the version that matches the portal they use."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import markdown
from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe

from pipelines_app.views.common import page

IMAGES = {".png": "image/png"}


def docs_root() -> Path:
    return (Path(settings.BASE_DIR) / "docs").resolve()


def _doc_file(name: str) -> Path:
    """The file under docs/ that ``name`` names; 404 for anything else (no way out of docs/)."""
    root = docs_root()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404("No such page in the documentation.")
    if path.suffix != ".md" and path.suffix not in IMAGES:
        raise Http404("No such page in the documentation.")
    return path


@lru_cache(maxsize=32)
def _rendered(path: Path, mtime: float) -> tuple[str, str]:
    """(title, html) of a Markdown page; the docs are the project's own, so their HTML is kept."""
    text = path.read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "toc"])
    title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), path.stem)
    return title, html


@page
def doc_page(request, name: str):
    path = _doc_file(name)
    if path.suffix in IMAGES:
        return FileResponse(path.open("rb"), content_type=IMAGES[path.suffix])
    title, html = _rendered(path, path.stat().st_mtime)
    body = mark_safe(html)  # noqa: S308 - the project's own docs, rendered from Markdown
    return render(request, "pipelines_app/doc_page.html", {"title": title, "body": body})

"""Where definitions, schemas and lookups are read from, and how references resolve to paths."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol, runtime_checkable

from .model import LAYERS

_LOOKUP_FILE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_LOOKUP_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
_DEFINITION_PATH = re.compile(
    r"applications/(?P<app>[^/]+)/(?P<layer>[^/]+)/(?P<folder>pipelines|jobs)/(?P<name>[^/]+)\.xml"
)


@runtime_checkable
class FileSource(Protocol):
    """Read access to a config repository (a folder, or a git revision)."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""

    def list(self, prefix: str) -> list[str]:
        """Repo-relative POSIX paths of the files under ``prefix``, recursively."""


class DirectoryFileSource:
    """A FileSource over a folder on disk; nothing outside the folder can be read."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()

    def _confined(self, path: str) -> Path | None:
        if not path or path.startswith(("/", "\\")) or ".." in path.split("/"):
            return None
        full = (self.root / path).resolve()
        if full != self.root and self.root not in full.parents:
            return None
        return full

    def read(self, path: str) -> bytes | None:
        full = self._confined(path)
        if full is None or not full.is_file():
            return None
        return full.read_bytes()

    def size(self, path: str) -> int | None:
        """The file's size in bytes without reading it (None when there is no such file)."""
        full = self._confined(path)
        return full.stat().st_size if full is not None and full.is_file() else None

    def list(self, prefix: str) -> list[str]:
        base = self._confined(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if base is None or not base.is_dir():
            return []
        found = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            for name in filenames:
                found.append((Path(dirpath) / name).relative_to(self.root).as_posix())
        return sorted(found)

    def __repr__(self) -> str:
        return f"DirectoryFileSource({str(self.root)!r})"


def check_relative_ref(ref: str, what: str) -> str | None:
    """Why ``ref`` is not an acceptable repository-relative reference, or None."""
    if not ref.strip():
        return f"{what} is empty"
    if ref.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", ref) or "://" in ref:
        return f'{what} "{ref}" must be a relative path, not an absolute path or URL'
    if ".." in re.split(r"[\\/]", ref):
        return f'{what} "{ref}" must not contain ".."'
    if "\\" in ref:
        return f'{what} "{ref}" must use "/" between folders'
    return None


def schema_path_candidates(application: str, layer: str, ref: str) -> tuple[str, ...]:
    """Where a schemaRef may live, in the order they are tried."""
    problem = check_relative_ref(ref, "schemaRef")
    if problem:
        raise ValueError(problem)
    rest = ref[len("schemas/") :] if ref.startswith("schemas/") else ref
    return (
        f"applications/{application}/{layer}/schemas/{rest}",
        f"common/schemas/{rest}",
    )


def resolve_schema_path(
    application: str, layer: str, ref: str, files: FileSource | None = None
) -> str:
    """Repo-relative path of a schemaRef: the layer's ``schemas/``, then ``common/schemas/``.

    Without ``files`` the layer path is returned; with ``files`` the first that exists (or the
    layer path when neither does). Raises ValueError for ``..`` or absolute references.
    """
    candidates = schema_path_candidates(application, layer, ref)
    if files is not None:
        for candidate in candidates:
            if files.read(candidate) is not None:
                return candidate
    return candidates[0]


def lookup_path(reference: str) -> str | None:
    """``country_dim`` -> ``common/lookups/country_dim.csv``; ``db.table`` (a Hive table) -> None.

    Raises ValueError when the reference is neither.
    """
    if _LOOKUP_FILE.fullmatch(reference):
        return f"common/lookups/{reference}.csv"
    if _LOOKUP_TABLE.fullmatch(reference):
        return None
    raise ValueError(
        f'lookup reference "{reference}" must be a lookup name (common/lookups/<name>.csv) '
        "or a Hive table written database.table"
    )


def parse_definition_path(path: str) -> dict[str, str] | None:
    """``applications/<app>/<layer>/<pipelines|jobs>/<name>.xml`` -> its parts, else None."""
    match = _DEFINITION_PATH.fullmatch(path)
    return match.groupdict() if match else None


def is_definition_path(path: str) -> bool:
    parts = parse_definition_path(path)
    return parts is not None and parts["layer"] in LAYERS

"""Folder layout of the config repository (high-level design §5) and the rules for names and paths.

::

    README.md
    common/schemas/            shared Avro / JSON schemas
    common/lookups/            shared lookup tables (<reference>.csv)
    applications/<app>/<layer>/pipelines/<id>.xml
    applications/<app>/<layer>/jobs/<id>.xml
    applications/<app>/<layer>/schemas/
    applications/<app>/<layer>/resources/

``<layer>`` is one of ``staging``, ``standardization``, ``service``. A definition's file name is its
id. Everything here is pure string work: no git, no file system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from config_repo.errors import InvalidPath

LAYERS: tuple[str, ...] = ("staging", "standardization", "service")
KINDS: tuple[str, ...] = ("pipeline", "job")
Kind = Literal["pipeline", "job"]
KIND_FOLDERS: dict[str, str] = {"pipeline": "pipelines", "job": "jobs"}
LAYER_FOLDERS: tuple[str, ...] = ("pipelines", "jobs", "schemas", "resources")
COMMON_FOLDERS: tuple[str, ...] = ("common/schemas", "common/lookups")
APPLICATIONS = "applications"
DEFINITION_SUFFIX = ".xml"

APPLICATION_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,127}")

MAX_PATH_LENGTH = 1024
MAX_SEGMENT_LENGTH = 255
# Names git (or a checkout of the repository) gives a meaning to; refused in any folder.
_RESERVED_SEGMENTS = frozenset({".git", ".gitmodules", ".gitattributes"})


@dataclass(frozen=True)
class DefinitionPath:
    """Where a pipeline or job definition lives: ``applications/<app>/<layer>/<kind>s/<id>.xml``."""

    application: str
    layer: str
    kind: Kind
    id: str
    path: str


def validate_name(value: object, what: str = "id") -> str:
    """Check one name and return it; raise :class:`InvalidPath` saying what is wrong.

    ``what`` picks the rule: ``"application"`` -> ``[a-z0-9][a-z0-9_-]{0,62}``;
    ``"layer"`` -> one of :data:`LAYERS`; ``"kind"`` -> one of :data:`KINDS`; anything else
    (``"id"``, ``"pipeline id"``, ``"job id"``...) -> ``[A-Za-z][A-Za-z0-9_-]{0,127}``.
    """
    if not isinstance(value, str):
        raise InvalidPath(f"{what} must be a string, got {type(value).__name__}")
    if what == "layer":
        if value not in LAYERS:
            raise InvalidPath(f"layer {value!r} is not one of {', '.join(LAYERS)}")
        return value
    if what == "kind":
        if value not in KINDS:
            raise InvalidPath(f"kind {value!r} is not one of {', '.join(KINDS)}")
        return value
    if what == "application":
        if not APPLICATION_RE.fullmatch(value):
            raise InvalidPath(
                f"application name {value!r} is not valid: use 1-63 characters, "
                "lower-case letters, digits, '_' or '-', starting with a letter or digit"
            )
        return value
    if not ID_RE.fullmatch(value):
        raise InvalidPath(
            f"{what} {value!r} is not valid: use 1-128 characters, letters, digits, '_' or '-', "
            "starting with a letter"
        )
    return value


def validate_repo_path(path: object) -> str:
    """Check that ``path`` is a clean repository-relative POSIX path and return it unchanged.

    Refused: non-strings, empty paths, absolute paths, ``..`` and ``.`` segments, empty segments
    (``a//b``, trailing ``/``), backslashes, NUL and other control characters, ``.git`` (any case),
    ``.gitmodules``, ``.gitattributes``, over-long paths.
    """
    if not isinstance(path, str):
        raise InvalidPath(f"path must be a string, got {type(path).__name__}")
    if not path:
        raise InvalidPath("path is empty")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidPath(f"path is too long ({len(path)} characters, at most {MAX_PATH_LENGTH})")
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise InvalidPath(f"path {path!r} contains a control character")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidPath(f"path {path!r} is not valid UTF-8 text") from None
    if "\\" in path:
        raise InvalidPath(f"path {path!r} contains a backslash; use '/' between folders")
    if path.startswith("/"):
        raise InvalidPath(f"path {path!r} is absolute; give a path relative to the repository")
    if path.endswith("/"):
        raise InvalidPath(f"path {path!r} ends with '/'; name a file")
    for segment in path.split("/"):
        if segment == "":
            raise InvalidPath(f"path {path!r} contains an empty folder name ('//')")
        if segment == "..":
            raise InvalidPath(f"path {path!r} leaves its folder ('..' is not allowed)")
        if segment == ".":
            raise InvalidPath(f"path {path!r} contains a '.' folder; write the path without it")
        if segment.lower().rstrip(". ") in _RESERVED_SEGMENTS:
            raise InvalidPath(f"path {path!r} names {segment!r}, which git reserves")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_LENGTH:
            raise InvalidPath(f"path {path!r} has a name longer than {MAX_SEGMENT_LENGTH} bytes")
    return path


def application_root(application: str) -> str:
    return f"{APPLICATIONS}/{validate_name(application, 'application')}"


def layer_root(application: str, layer: str) -> str:
    return f"{application_root(application)}/{validate_name(layer, 'layer')}"


def definition_path(application: str, layer: str, kind: str, id: str) -> str:
    """``applications/<app>/<layer>/pipelines/<id>.xml`` (or ``jobs/``), every part validated."""
    folder = KIND_FOLDERS[validate_name(kind, "kind")]
    name = validate_name(id, f"{kind} id")
    return f"{layer_root(application, layer)}/{folder}/{name}{DEFINITION_SUFFIX}"


def parse_definition_path(path: str) -> DefinitionPath | None:
    """The :class:`DefinitionPath` that ``path`` is, or None when it is not a definition file."""
    if not isinstance(path, str):
        return None
    parts = path.split("/")
    if len(parts) != 5 or parts[0] != APPLICATIONS:
        return None
    _, application, layer, folder, file_name = parts
    if not file_name.endswith(DEFINITION_SUFFIX):
        return None
    kind = next((k for k, f in KIND_FOLDERS.items() if f == folder), None)
    id_ = file_name[: -len(DEFINITION_SUFFIX)]
    if (
        kind is None
        or layer not in LAYERS
        or not APPLICATION_RE.fullmatch(application)
        or not ID_RE.fullmatch(id_)
    ):
        return None
    return DefinitionPath(application=application, layer=layer, kind=kind, id=id_, path=path)  # type: ignore[arg-type]


def application_skeleton(application: str) -> dict[str, bytes]:
    """The ``.gitkeep`` files that give a new application its §5 folders (for a first commit)."""
    root = application_root(application)
    return {
        f"{root}/{layer}/{folder}/.gitkeep": b"" for layer in LAYERS for folder in LAYER_FOLDERS
    }


README = b"""# Data Hub Portal configuration repository

This repository is written by the Data Hub Portal: every change arrives as a reviewed change
request merged into `main`. Do not push to `main` by hand.

    common/schemas/                               shared Avro (.avsc) and JSON schemas
    common/lookups/                               shared lookup tables (<reference>.csv)
    applications/<app>/<layer>/pipelines/<id>.xml pipeline definitions
    applications/<app>/<layer>/jobs/<id>.xml      job pipeline definitions
    applications/<app>/<layer>/schemas/           schemas of that layer
    applications/<app>/<layer>/resources/         source-specific configuration

Layers: staging, standardization, service.
"""


def repository_skeleton() -> dict[str, bytes]:
    """Files of the initial commit: the README and ``.gitkeep`` files for the shared folders."""
    files = {"README.md": README, f"{APPLICATIONS}/.gitkeep": b""}
    files.update({f"{folder}/.gitkeep": b"" for folder in COMMON_FOLDERS})
    return files


_BRANCH_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")


def validate_branch_name(name: object) -> str:
    """Check a branch name (e.g. ``cr/42-add-customer-load``) without asking git; return it.

    Refused: anything but letters, digits, ``. _ / -``; a leading ``-``; ``..``; ``@{``; ``//``;
    a folder starting with ``.``; a ``.lock`` suffix; ``HEAD``. The repository also asks
    ``git check-ref-format`` before it uses a name.
    """
    if not isinstance(name, str):
        raise InvalidPath(f"branch name must be a string, got {type(name).__name__}")
    if not _BRANCH_RE.fullmatch(name):
        raise InvalidPath(
            f"branch name {name!r} is not valid: use up to 200 letters, digits, '.', '_', '/' or "
            "'-', starting with a letter or digit"
        )
    if ".." in name or "@{" in name or "//" in name:
        raise InvalidPath(
            f"branch name {name!r} is not valid: '..', '@{{' and '//' are not allowed"
        )
    if name.endswith(("/", ".")) or name == "HEAD":
        raise InvalidPath(f"branch name {name!r} is not valid")
    for segment in name.split("/"):
        if segment.startswith(".") or segment.endswith(".lock"):
            raise InvalidPath(
                f"branch name {name!r} is not valid: no folder may start with '.' or end in '.lock'"
            )
    return name

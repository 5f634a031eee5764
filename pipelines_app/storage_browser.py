"""What an author may see of an application's storage while writing a source: the folders and
files under its data folder and the local roots its data policy allows, how many files a path
or wildcard matches now, and a file's first bytes.

Everything goes through the application's ``DataPolicy`` (spark_runner/definition/policy.py),
the same rules the engine applies at run time: no ``..``, nothing outside the roots once
symbolic links are followed, nothing protected (the secrets file, the config repository), and
never another application's folder even when a root would contain it.
"""

from __future__ import annotations

import bz2
import gzip
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from spark_runner.definition.policy import (
    DataPolicy,
    has_parent_step,
    local_matches,
    local_realpath,
    place,
)
from spark_runner.definition.sampling import SAMPLE_BYTES

MAX_ENTRIES = 500
MAX_MATCHES = 10_000
SHOWN_MATCHES = 5


class Refused(Exception):
    """The author may not see this place; the message says why."""


@dataclass(frozen=True)
class Root:
    index: int
    label: str
    path: str  # the local folder
    own: bool
    read_only: bool


@dataclass(frozen=True)
class Entry:
    name: str
    folder: str  # for a folder: where it is, relative to its root
    is_dir: bool
    size: int | None
    modified: datetime
    fill: str  # for a file: what the source's path becomes when it is picked


@dataclass(frozen=True)
class Matches:
    count: int
    first: tuple[str, ...]  # the first few, as the author would write them
    problem: str | None = None
    counted: bool = True  # False: not local storage, the portal cannot look


def local_roots(policy: DataPolicy) -> list[Root]:
    """The roots on this machine's file system: the application's own folder first."""
    found = []
    for root, where in policy.roots():
        if where.scheme != "file":
            continue
        own = not found
        label = "Data folder" if own else str(where)
        found.append(Root(len(found), label, str(where), own, root.read_only))
    return found


def _root(policy: DataPolicy, index: int) -> Root:
    roots = local_roots(policy)
    if not 0 <= index < len(roots):
        raise Refused("there is no such storage root for this application")
    return roots[index]


def _check_relative(folder: str) -> str:
    folder = (folder or "").strip().strip("/")
    if folder.startswith("~") or "\\" in folder or ":" in folder:
        raise Refused(f'"{folder}" is not a folder of this root')
    if has_parent_step(folder):
        raise Refused('a folder may not contain ".."')
    return folder


def _visible(policy: DataPolicy, location: str) -> bool:
    """``location`` (absolute), symbolic links followed, lies in one of the application's
    roots, reaches nothing protected and no other application's folder."""
    if policy.resolved_problem(location, [location], False, local_realpath) is not None:
        return False
    real = place(local_realpath(location))
    applications = place(local_realpath(f"{policy.data_root.rstrip('/')}/applications"))
    own = place(local_realpath(policy.app_root))
    if real is None or applications is None or own is None:
        return False
    return not real.below(applications) or real.inside(own)


def listing(policy: DataPolicy, root_index: int, folder: str) -> tuple[Root, str, list[Entry]]:
    """The folders and files of ``folder`` (relative to root ``root_index``), folders first."""
    root = _root(policy, root_index)
    folder = _check_relative(folder)
    location = os.path.join(root.path, folder) if folder else root.path
    if root.own and not folder and not os.path.exists(location):
        return root, folder, []  # nothing has landed for this application yet
    if not _visible(policy, location) or not os.path.isdir(location):
        raise Refused(f'there is no folder "{folder or "/"}" here')
    entries = []
    with os.scandir(location) as found:
        for item in sorted(found, key=lambda e: e.name)[:MAX_ENTRIES]:
            if item.name.startswith("."):
                continue  # the engine's staging folders and hidden files
            path = os.path.join(location, item.name)
            if not _visible(policy, path):
                continue
            try:
                info = os.stat(path)
                is_dir = os.path.isdir(path)
            except OSError:
                continue
            relative = f"{folder}/{item.name}" if folder else item.name
            entries.append(
                Entry(
                    name=item.name,
                    folder=relative,
                    is_dir=is_dir,
                    size=None if is_dir else info.st_size,
                    modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
                    fill=relative if root.own else f"{root.path.rstrip('/')}/{relative}",
                )
            )
    entries.sort(key=lambda e: (not e.is_dir, e.name))
    return root, folder, entries


def matches(policy: DataPolicy, path: str) -> Matches:
    """How many files ``path`` (as the source would say it) reads now."""
    path = (path or "").strip()
    problem = policy.storage_problem(path, write=False)
    if problem is not None:
        return Matches(0, (), problem)
    resolved = policy.resolve(path)
    where = place(resolved)
    if where is None or where.scheme != "file":
        return Matches(0, (), counted=False)
    found = local_matches(str(where), write=False, limit=MAX_MATCHES) or []
    escaped = policy.resolved_problem(path, found, False, local_realpath)
    if escaped is not None:
        return Matches(0, (), escaped)
    files = sorted(f for f in found if os.path.isfile(f) and _visible(policy, f))
    own = policy.resolve("")
    shown = tuple(f[len(own) :] if f.startswith(own) else f for f in files[:SHOWN_MATCHES])
    return Matches(len(files), shown)


def first_bytes(policy: DataPolicy, path: str, limit: int = SAMPLE_BYTES) -> tuple[bytes, bool]:
    """(the first ``limit`` bytes of the first file ``path`` matches, decompressed; whether
    that is the whole file)."""
    found = matches(policy, path)
    if found.problem:
        raise Refused(found.problem)
    if not found.counted:
        raise Refused("the portal can sample only files on its own file system")
    if not found.count:
        raise Refused(f"no file matches {path} now")
    resolved = policy.resolve(path)
    location = str(place(resolved))
    files = local_matches(location, write=False, limit=MAX_MATCHES) or []
    first = sorted(f for f in files if os.path.isfile(f) and _visible(policy, f))[0]
    real = local_realpath(first)
    opener = gzip.open if real.endswith(".gz") else bz2.open if real.endswith(".bz2") else open
    try:
        with opener(real, "rb") as handle:
            data = handle.read(limit + 1)
    except (OSError, EOFError) as error:
        raise Refused(f"the file could not be read: {error.__class__.__name__}") from None
    return data[:limit], len(data) <= limit

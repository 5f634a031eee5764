"""The values the config repository hands out: actors, commits, file changes, merge results."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

ZERO_SHA = "0" * 40
HEX40 = re.compile(r"[0-9a-f]{40}")
FILE_MODES = (b"100644", b"100755")
MAX_FILE_BYTES = 16 * 1024 * 1024
STALE_LOCK_SECONDS = 5.0
SYSTEM_ACTOR_NAME = "Data Hub Portal"
SYSTEM_ACTOR_EMAIL = "portal@datahub.invalid"


@dataclass(frozen=True)
class Actor:
    """Who writes a commit (author) or merges a branch (committer)."""

    name: str
    email: str


@dataclass(frozen=True)
class Commit:
    sha: str
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    date: datetime  # author date
    message: str
    committed_date: datetime | None = None
    parents: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class FileChange:
    """One file of a diff. ``old_path`` is the path before the change (None when added)."""

    path: str
    old_path: str | None
    status: str  # "added" | "modified" | "deleted" | "renamed"
    old: bytes | None
    new: bytes | None
    patch: str


@dataclass(frozen=True)
class MergeResult:
    """``sha``: the new head of ``into``; ``previous``: where ``into`` was before the merge
    (equal to ``sha`` when already merged). ``pushed`` is None when no remote is configured."""

    sha: str
    fast_forward: bool
    already_merged: bool = False
    pushed: bool | None = None
    push_error: str | None = None
    previous: str | None = None


@dataclass(frozen=True)
class FileVersion:
    path: str
    commit: Commit
    content: bytes | None


@dataclass
class Tree:
    """A commit's files: path -> (mode, blob sha)."""

    commit: str
    files: dict[str, str] = field(default_factory=dict)
    sorted_paths: list[str] = field(default_factory=list)

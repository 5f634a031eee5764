"""The one family of errors the config repository raises.

Every git failure is turned into a :class:`ConfigRepoError` (or a subclass) with a message a person
can act on; callers never see a raw ``GitCommandError`` or ``CalledProcessError``.
"""

from __future__ import annotations

import re

_CREDENTIALS_IN_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def redact(text: str) -> str:
    """Hide credentials a remote URL may carry (``https://user:token@host`` -> ``https://***@host``)."""
    return _CREDENTIALS_IN_URL.sub(r"\g<scheme>***@", text)


class ConfigRepoError(Exception):
    """Base class: something went wrong in the git-backed config repository."""

    def __init__(self, message: str):
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        return str(self)


class InvalidPath(ConfigRepoError, ValueError):
    """A path, name, branch name or revision that is not allowed (traversal, ref injection, ...)."""


class BranchMissing(ConfigRepoError):
    """The branch (or revision) does not exist, e.g. it was deleted behind the portal's back."""

    def __init__(self, branch: str, message: str | None = None):
        self.branch = branch
        super().__init__(message or f"branch {branch!r} does not exist in the config repository")


class BranchExists(ConfigRepoError):
    """``create_branch`` was asked for a branch that already exists."""

    def __init__(self, branch: str):
        self.branch = branch
        super().__init__(f"branch {branch!r} already exists in the config repository")


class StaleHead(ConfigRepoError):
    """The branch moved since the caller read it (compare-and-swap on the ref failed)."""

    def __init__(self, branch: str, expected: str | None, actual: str | None):
        self.branch = branch
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"branch {branch!r} moved: expected head {_short(expected)}, found {_short(actual)}; "
            "reload the change and try again"
        )


class MergeConflict(ConfigRepoError):
    """Merging would conflict; nothing was changed. ``files`` names the conflicting paths."""

    def __init__(self, branch: str, into: str, files: list[str]):
        self.branch = branch
        self.into = into
        self.files = list(files)
        listed = ", ".join(self.files) if self.files else "(unknown files)"
        super().__init__(
            f"merging {branch!r} into {into!r} conflicts in: {listed}; "
            f"update the branch on top of {into!r} and try again"
        )


class LockTimeout(ConfigRepoError):
    """Another writer held the repository's writer lock for longer than the timeout."""


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "(none)"

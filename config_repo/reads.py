"""Reads at any revision: heads, files, applications, definitions, branches and diffs."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from config_repo.errors import ConfigRepoError
from config_repo.gitcmd import stderr_text
from config_repo.layout import (
    APPLICATION_RE,
    APPLICATIONS,
    DefinitionPath,
    parse_definition_path,
    validate_name,
    validate_repo_path,
)
from config_repo.model import ZERO_SHA, FileChange, FileVersion
from config_repo.objects import GitFileSource


class Reads:
    """Part of :class:`~config_repo.repository.ConfigRepository`: what is in the repository."""

    def head(self, ref: str = "main") -> str:
        """The commit sha ``ref`` (a branch name, sha or revision such as ``main~1``) points at."""
        return self._resolve(ref)

    def files(self, rev: str = "main") -> GitFileSource:
        """The files at ``rev`` as a ``FileSource`` (``read(path)``, ``list(prefix)``)."""
        return GitFileSource(self, self._tree(self._resolve(rev)))

    def read(self, path: str, rev: str = "main") -> bytes | None:
        """The bytes of ``path`` at ``rev``; None when the file does not exist there."""
        validate_repo_path(path)
        return self.files(rev).read(path)

    def show(self, path: str, rev: str = "main") -> FileVersion:
        """``path`` as it is at ``rev``, with that commit's details (content None if absent)."""
        validate_repo_path(path)
        sha = self._resolve(rev)
        commit = self._log(sha, None, 1)[0]
        return FileVersion(path=path, commit=commit, content=self.files(sha).read(path))

    def applications(self, rev: str = "main") -> list[str]:
        """Names of the applications (folders under ``applications/``) at ``rev``, sorted."""
        names = set()
        for path in self._tree(self._resolve(rev)).sorted_paths:
            parts = path.split("/", 2)
            if len(parts) == 3 and parts[0] == APPLICATIONS and APPLICATION_RE.fullmatch(parts[1]):
                names.add(parts[1])
        return sorted(names)

    def definitions(
        self,
        rev: str = "main",
        application: str | None = None,
        layer: str | None = None,
        kind: str | None = None,
    ) -> list[DefinitionPath]:
        """Pipeline and job definition files at ``rev``, optionally filtered; sorted by path."""
        if application is not None:
            validate_name(application, "application")
        if layer is not None:
            validate_name(layer, "layer")
        if kind is not None:
            validate_name(kind, "kind")
        prefix = f"{APPLICATIONS}/{application}/" if application else f"{APPLICATIONS}/"
        found = []
        for path in self._tree(self._resolve(rev)).sorted_paths:
            if not path.startswith(prefix):
                continue
            d = parse_definition_path(path)
            if d and (layer is None or d.layer == layer) and (kind is None or d.kind == kind):
                found.append(d)
        return found

    def branch_exists(self, name: str) -> bool:
        return self._ref_sha(f"refs/heads/{self._branch(name)}") is not None

    def branches(self, prefix: str = "") -> list[str]:
        """Branch names (optionally under ``prefix``, e.g. ``"cr/"``), sorted."""
        out = self._git.out(["for-each-ref", "--format=%(refname:strip=2)", "refs/heads/"])
        return sorted(b for b in out.splitlines() if b.startswith(prefix))

    def is_ancestor(self, ancestor: str, rev: str) -> bool:
        """True when ``ancestor`` is ``rev`` or one of its ancestors."""
        a, b = self._resolve(ancestor), self._resolve(rev)
        result = self._git.run(["merge-base", "--is-ancestor", a, b], check=False)
        if result.returncode > 1:
            raise ConfigRepoError(f"cannot compare {ancestor!r} and {rev!r}: {stderr_text(result)}")
        return result.returncode == 0

    def diff(self, base: str, head: str, *, merge_base: bool = False) -> list[FileChange]:
        """Files that differ from ``base`` to ``head`` (renames detected), sorted by path.

        ``merge_base=True`` compares ``head`` with the common ancestor of both (what a branch
        changed since it left ``base``, like ``git diff base...head``).
        """
        a, b = self._resolve(base), self._resolve(head)
        if merge_base:
            a = self._git.out(["merge-base", a, b], what="finding the common ancestor")
        raw = self._git.run(
            ["diff-tree", "-r", "-z", "-M", "--no-commit-id", a, b], what="git diff"
        ).stdout
        return sorted(self._parse_raw_diff(raw), key=lambda c: c.path)

    def _parse_raw_diff(self, raw: bytes) -> Iterator[FileChange]:
        fields = raw.split(b"\0")
        i = 0
        while i < len(fields):
            header = fields[i]
            if not header.startswith(b":"):
                i += 1
                continue
            _, _, old_sha, new_sha, status = header[1:].decode("ascii").split(" ")
            letter = status[0]
            if letter in "RC":
                old_path, path = fields[i + 1].decode(), fields[i + 2].decode()
                i += 3
            else:
                old_path = path = fields[i + 1].decode()
                i += 2
            old = None if old_sha == ZERO_SHA else self._blob(old_sha)
            new = None if new_sha == ZERO_SHA else self._blob(new_sha)
            if letter == "A":
                kind, old_path = "added", None
            elif letter == "D":
                kind = "deleted"
            elif letter == "R":
                kind = "renamed"
            elif letter == "C":
                kind, old_path, old = "added", None, None
            else:
                kind = "modified"
            yield FileChange(
                path=path,
                old_path=old_path,
                status=kind,
                old=old,
                new=new,
                patch=_patch(old_path or path, path, old, new),
            )


def _patch(old_path: str, new_path: str, old: bytes | None, new: bytes | None) -> str:
    """A unified diff of one file (``Binary files ... differ`` for non-UTF-8 content)."""
    try:
        old_text = old.decode("utf-8") if old is not None else ""
        new_text = new.decode("utf-8") if new is not None else ""
    except UnicodeDecodeError:
        return f"Binary files a/{old_path} and b/{new_path} differ\n"
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"a/{old_path}" if old is not None else "/dev/null",
        tofile=f"b/{new_path}" if new is not None else "/dev/null",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)

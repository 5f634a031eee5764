"""History: ``git log`` of a path or branch, and the newest commit of every file in one walk."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from datetime import datetime

from config_repo.errors import ConfigRepoError, redact
from config_repo.layout import validate_repo_path
from config_repo.model import HEX40, Commit
from config_repo.objects import GitFileSource


class History:
    """Part of :class:`~config_repo.repository.ConfigRepository`: commits and who touched what."""

    _LOG_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B"

    def log(
        self,
        path: str | None = None,
        rev: str = "main",
        limit: int | None = None,
        *,
        follow: bool = False,
        first_parent: bool = False,
    ) -> list[Commit]:
        """Commits reachable from ``rev`` (touching ``path`` when given), newest first.

        ``follow=True`` follows a single file across renames. ``first_parent=True`` walks only
        ``main``'s own line: the merges (with their committer, the approver) and fast-forwarded
        commits, not the commits inside merged branches.
        """
        if path is not None:
            validate_repo_path(path)
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ConfigRepoError(f"limit must be a positive integer, got {limit!r}")
        return self._log(self._resolve(rev), path, limit, follow=follow, first_parent=first_parent)

    def last_commits(
        self,
        rev: str = "main",
        paths_prefix: str = "",
        *,
        paths: Iterable[str] | None = None,
    ) -> dict[str, Commit]:
        """The newest commit that touched each file under the folder ``paths_prefix`` at ``rev``
        (``""``: every file), as ``log(path, rev, limit=1, follow=True)[0]`` gives it for each,
        in one walk.

        One ``git log --name-only`` over the history of ``paths_prefix`` that stops as soon as
        every file has been seen (so a catalog of recently touched files reads only recent
        history). ``paths``: only these files (those that exist at ``rev`` under the prefix);
        the walk then stops when they are seen. Merge commits are never named: a file is
        credited to the commit that changed it (with its author), as ``--follow`` does. The
        answer is cached per (commit, prefix, paths): commits never change.
        """
        sha = self._resolve(rev)
        prefix = (paths_prefix or "").strip("/")
        if prefix:
            validate_repo_path(prefix)
        tree = self._tree(sha)
        under = GitFileSource(self, tree).list(prefix)
        if paths is None:
            wanted, key = set(under), (sha, prefix, None)
        else:
            asked = {p for p in paths if isinstance(p, str)}
            wanted = asked & set(under)
            key = (sha, prefix, frozenset(wanted))
        cached = self._last_commits.get(key)
        if cached is not None:
            return dict(cached)  # type: ignore[call-overload]
        found = self._walk_last_commits(sha, prefix, wanted) if wanted else {}
        self._last_commits.put(key, found, weight=1)
        return dict(found)

    def _walk_last_commits(self, sha: str, prefix: str, wanted: set[str]) -> dict[str, Commit]:
        args = [
            "git",
            "log",
            f"--format=%x1e{self._LOG_FORMAT[4:]}%x1d",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-merges=off",
            "--no-color",
            "--end-of-options",
            sha,
        ]
        if prefix:
            args += ["--", prefix]
        found: dict[str, Commit] = {}
        with tempfile.TemporaryFile() as errors:
            try:
                proc = subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    env=self._git.env,
                    cwd=self._git.cwd,
                )
            except OSError as exc:
                raise ConfigRepoError(f"cannot run git: {exc}") from exc
            assert proc.stdout is not None
            buffer, done = b"", False
            try:
                while not done:
                    chunk = proc.stdout.read1(1 << 16)
                    buffer += chunk
                    records = buffer.split(b"\x1e")
                    buffer = records.pop() if chunk else b""
                    for record in records:
                        if record and self._take_record(record, wanted, found):
                            done = True
                            break
                    if not chunk:
                        break
            finally:
                if done:
                    proc.kill()
                proc.stdout.close()
                returncode = proc.wait()
            if not done and returncode != 0:
                errors.seek(0)
                text = errors.read().decode("utf-8", "replace").strip()
                raise ConfigRepoError(f"git log failed: {redact(text) or returncode}")
        return found

    def _take_record(self, record: bytes, wanted: set[str], found: dict[str, Commit]) -> bool:
        """Note the files of one ``git log`` record; True once every wanted file is found."""
        header, _, names = record.partition(b"\x1d")
        commit = commit_from_fields(header.decode("utf-8", "replace"))
        if commit is None:
            return False
        for raw in names.split(b"\0"):
            name = raw.strip(b"\n")
            if not name:
                continue
            try:
                path = name.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if path in wanted and path not in found:
                found[path] = commit
        return len(found) == len(wanted)

    def _log(
        self,
        sha: str,
        path: str | None,
        limit: int | None,
        *,
        follow: bool = False,
        first_parent: bool = False,
    ) -> list[Commit]:
        args = ["log", f"--format={self._LOG_FORMAT}", "--no-color"]
        if first_parent:
            args.append("--first-parent")
        if limit is not None:
            args.append(f"--max-count={limit}")
        if follow and path is not None:
            args.append("--follow")
        args += ["--end-of-options", sha]
        if path is not None:
            args += ["--", path]
        out = self._git.run(args, what="git log").stdout.decode("utf-8", "replace")
        commits = []
        for record in out.split("\x1e")[1:]:
            commit = commit_from_fields(record)
            if commit is not None:
                commits.append(commit)
        return commits


def commit_from_fields(record: str) -> Commit | None:
    """A ``Commit`` from one record of ``ConfigRepository._LOG_FORMAT`` (without its leading
    separator); None when the record is malformed."""
    parts = record.split("\x1f", 8)
    if len(parts) != 9 or not HEX40.fullmatch(parts[0]):
        return None
    sha, parents, an, ae, ad, cn, ce, cd, body = parts
    try:
        date, committed = datetime.fromisoformat(ad), datetime.fromisoformat(cd)
    except ValueError:
        return None
    return Commit(
        sha=sha,
        author_name=an,
        author_email=ae,
        committer_name=cn,
        committer_email=ce,
        date=date,
        message=body.rstrip("\n"),
        committed_date=committed,
        parents=tuple(parents.split()),
    )

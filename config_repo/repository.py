"""The git-backed config repository: reads at any revision, writes without a checkout.

Reads go straight to git's object store (a persistent ``git cat-file --batch``); a commit's file
listing is cached by commit sha (commits never change). Writes build commits in a temporary index
(``GIT_INDEX_FILE``) and move branches with ``git update-ref <ref> <new> <old>`` (compare-and-swap),
so the work tree is never checked out and several branches can be written without fighting. One
writer at a time per repository (threads and processes): see :mod:`config_repo.locking`.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from config_repo.errors import (
    BranchExists,
    BranchMissing,
    ConfigRepoError,
    InvalidPath,
    MergeConflict,
    StaleHead,
    redact,
)
from config_repo.gitcmd import LRU, CatFile, Git, stderr_text
from config_repo.layout import (
    APPLICATION_RE,
    APPLICATIONS,
    DefinitionPath,
    parse_definition_path,
    repository_skeleton,
    validate_branch_name,
    validate_name,
    validate_repo_path,
)
from config_repo.locking import writer_lock_for

log = logging.getLogger(__name__)

ZERO_SHA = "0" * 40
_HEX40 = re.compile(r"[0-9a-f]{40}")
_FILE_MODES = (b"100644", b"100755")
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
class _Tree:
    """A commit's files: path -> (mode, blob sha)."""

    commit: str
    files: dict[str, str] = field(default_factory=dict)
    sorted_paths: list[str] = field(default_factory=list)


class GitFileSource:
    """The files of one commit, read from git objects (the ``FileSource`` protocol).

    ``read(path)`` returns the bytes, or None when the file does not exist at this commit (an
    invalid path such as ``../x`` cannot exist, so it also gives None). ``list(prefix)`` gives
    every file under the folder ``prefix`` (recursive, sorted; ``""`` for all).
    """

    def __init__(self, repository: ConfigRepository, tree: _Tree):
        self._repository = repository
        self._tree = tree
        self.commit = tree.commit

    def read(self, path: str) -> bytes | None:
        sha = self._tree.files.get(path) if isinstance(path, str) else None
        return None if sha is None else self._repository._blob(sha)

    def exists(self, path: str) -> bool:
        return isinstance(path, str) and path in self._tree.files

    def list(self, prefix: str = "") -> list[str]:
        prefix = (prefix or "").strip("/")
        if not prefix:
            return list(self._tree.sorted_paths)
        start = prefix + "/"
        return [p for p in self._tree.sorted_paths if p.startswith(start)]

    def __repr__(self) -> str:
        return f"GitFileSource({str(self._repository.path)!r}, commit={self.commit[:12]})"


class ConfigRepository:
    """A git repository holding the pipeline definitions (layout: :mod:`config_repo.layout`).

    ``remote``: a git remote (name, URL or path) that ``main`` is pushed to after each merge.
    ``lock_timeout``: seconds a write waits for the writer lock before :class:`LockTimeout`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        remote: str | None = None,
        *,
        lock_timeout: float | None = 120.0,
        system_actor: Actor | None = None,
    ):
        self.path = Path(path).absolute()
        self.git_dir = self.path / ".git"
        self.remote = remote or None
        if self.remote is not None and (self.remote.startswith("-") or "\n" in self.remote):
            raise InvalidPath(f"remote {redact(self.remote)!r} is not a valid git remote")
        self.lock_timeout = lock_timeout
        self.system_actor = system_actor or Actor(SYSTEM_ACTOR_NAME, SYSTEM_ACTOR_EMAIL)
        self.recovered_locks: list[str] = []
        self._git = Git(self.git_dir, self.path)
        self._cat = CatFile(self._git)
        self._trees = LRU(64)
        self._commit_trees = LRU(4096)
        self._blobs = LRU(4096, max_weight=64 * 1024 * 1024)
        self._valid_branches = LRU(1024)
        self._last_commits = LRU(64)
        self._ensure_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ConfigRepository({str(self.path)!r})"

    def close(self) -> None:
        """Stop the background ``git cat-file`` process (it is restarted on the next read)."""
        self._cat.close()

    # ------------------------------------------------------------------ set-up

    def exists(self) -> bool:
        return (self.git_dir / "HEAD").is_file()

    def ensure(self) -> ConfigRepository:
        """Create the repository when missing (branch ``main``, initial commit with the §5
        skeleton) and recover lock files a crashed writer left behind. Idempotent; returns self."""
        with self._ensure_lock:
            if not self.exists():
                self._init()
            with self.writer_lock():
                self._recover_stale_locks()
                if self._ref_sha("refs/heads/main") is None:
                    if (
                        self._git.run(
                            ["rev-parse", "--verify", "--quiet", "HEAD"], check=False
                        ).returncode
                        == 0
                        or self._has_branches()
                    ):
                        raise ConfigRepoError(
                            f"{self.path} is a git repository without a 'main' branch; "
                            "point HUB_CONFIG_REPO at a config repository or an empty folder"
                        )
                    tree, _ = self._write_tree(None, dict(repository_skeleton()))
                    sha = self._commit_tree(
                        tree, [], "Create the config repository layout", self.system_actor
                    )
                    self._update_ref("refs/heads/main", sha, ZERO_SHA, branch="main")
                    self._git.run(["symbolic-ref", "HEAD", "refs/heads/main"])
        return self

    def _init(self) -> None:
        """``git init`` in a scratch folder, then rename its ``.git`` into place: another process
        creating the same repository at the same moment never sees half a repository."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=".config-repo-init-", dir=self.path))
        except OSError as exc:
            raise ConfigRepoError(
                f"cannot create the config repository at {self.path}: {exc}"
            ) from exc
        try:
            self._git.run(
                ["init", "--quiet", "--initial-branch=main", str(scratch)],
                env={"GIT_DIR": str(scratch / ".git")},
                what="creating the config repository",
            )
            try:
                os.rename(scratch / ".git", self.git_dir)
            except OSError:
                if not self.exists():
                    raise
        except OSError as exc:
            raise ConfigRepoError(
                f"cannot create the config repository at {self.path}: {exc}"
            ) from exc
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _has_branches(self) -> bool:
        out = self._git.out(["for-each-ref", "--count=1", "--format=%(refname)", "refs/heads/"])
        return bool(out)

    def _recover_stale_locks(self) -> None:
        """Remove lock files left by a crashed git process. Called with the writer lock held: every
        writer of this repository holds that lock, so a lock file seen now belongs to nobody."""
        candidates = [self.git_dir / n for n in ("index.lock", "HEAD.lock", "packed-refs.lock")]
        refs = self.git_dir / "refs"
        if refs.is_dir():
            candidates.extend(refs.rglob("*.lock"))
        for lock_file in candidates:
            try:
                lock_file.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ConfigRepoError(f"cannot remove stale lock file {lock_file}: {exc}") from exc
            rel = str(lock_file.relative_to(self.path))
            self.recovered_locks.append(rel)
            log.warning("config repository: removed stale lock file %s", rel)

    @contextmanager
    def writer_lock(self, timeout: float | None = -1.0) -> Iterator[None]:
        """Hold the repository's one-writer lock (re-entrant; threads and processes)."""
        self._require_repository()
        lock = writer_lock_for(self.git_dir)
        try:
            lock.acquire(timeout=self.lock_timeout if timeout == -1.0 else timeout)
        except OSError as exc:
            raise ConfigRepoError(f"cannot take the config repository lock: {exc}") from exc
        try:
            yield
        except OSError as exc:  # disk full, permissions...: still one domain error
            raise ConfigRepoError(f"the config repository could not be written: {exc}") from exc
        finally:
            lock.release()

    def _require_repository(self) -> None:
        if not self.exists():
            raise ConfigRepoError(
                f"there is no config repository at {self.path}; create it with ensure()"
            )

    # ------------------------------------------------------------------ reads

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
        commit = _commit_from_fields(header.decode("utf-8", "replace"))
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

    # ------------------------------------------------------------------ writes

    def create_branch(self, name: str, base: str = "main") -> str:
        """Create branch ``name`` at ``base``; return its sha. :class:`BranchExists` if taken."""
        name = self._branch(name)
        with self.writer_lock():
            sha = self._resolve(base)
            if self._ref_sha(f"refs/heads/{name}") is not None:
                raise BranchExists(name)
            self._update_ref(f"refs/heads/{name}", sha, ZERO_SHA, branch=name)
            return sha

    def delete_branch(self, name: str) -> None:
        """Delete branch ``name`` (not ``main``). :class:`BranchMissing` when it does not exist."""
        name = self._branch(name)
        if name == "main":
            raise InvalidPath("the 'main' branch cannot be deleted")
        with self.writer_lock():
            old = self._ref_sha(f"refs/heads/{name}")
            if old is None:
                raise BranchMissing(name)
            self._update_ref(f"refs/heads/{name}", None, old, branch=name)

    def commit(
        self,
        branch: str,
        changes: Mapping[str, bytes | None],
        message: str,
        author: Actor,
        expected_head: str | None = None,
    ) -> str:
        """Commit ``changes`` (path -> new bytes, or None to delete) on ``branch``; return the sha.

        A rename is a delete plus an add. ``expected_head``: the sha the caller last saw; when the
        branch has moved since, :class:`StaleHead` and nothing is written. A commit that would
        change nothing returns the current head without writing.
        """
        branch = self._branch(branch)
        message = _check_message(message)
        author = _check_actor(author, "author")
        if not isinstance(changes, Mapping) or not changes:
            raise ConfigRepoError("a commit needs at least one changed file")
        for path, content in changes.items():
            validate_repo_path(path)
            if content is not None and not isinstance(content, bytes | bytearray | memoryview):
                raise ConfigRepoError(f"content of {path!r} must be bytes or None")
            if content is not None and len(content) > MAX_FILE_BYTES:
                raise ConfigRepoError(
                    f"{path!r} is {len(content)} bytes; files may be at most {MAX_FILE_BYTES}"
                )
        if expected_head is not None and not _HEX40.fullmatch(expected_head):
            raise InvalidPath(f"expected_head {expected_head!r} is not a full commit sha")
        with self.writer_lock():
            old = self._ref_sha(f"refs/heads/{branch}")
            if old is None:
                raise BranchMissing(branch)
            if expected_head is not None and old != expected_head:
                raise StaleHead(branch, expected_head, old)
            parent_tree = self._commit_tree_sha(old)
            tree, files = self._write_tree(old, dict(changes))
            if tree == parent_tree:
                return old
            sha = self._commit_tree(tree, [old], message, author)
            self._commit_trees.put(sha, tree)
            self._trees.put(sha, _Tree(commit=sha, files=files, sorted_paths=sorted(files)))
            self._update_ref(f"refs/heads/{branch}", sha, old, branch=branch)
            return sha

    def merge(
        self,
        branch: str,
        into: str = "main",
        committer: Actor | None = None,
        message: str | None = None,
    ) -> MergeResult:
        """Merge ``branch`` into ``into``: fast-forward when ``into`` is an ancestor of ``branch``,
        else a merge commit (``git merge-tree --write-tree``) by ``committer``.

        :class:`MergeConflict` (naming the files) when the branches conflict: nothing changes.
        With a remote, ``into`` is pushed afterwards; a failed push is reported in the result
        (``pushed=False``, ``push_error``) and never undoes the merge.
        """
        branch, into = self._branch(branch), self._branch(into)
        if branch == into:
            raise ConfigRepoError(f"cannot merge {branch!r} into itself")
        committer = _check_actor(committer or self.system_actor, "committer")
        message = _check_message(message or f"Merge branch '{branch}' into {into}")
        with self.writer_lock():
            head = self._ref_sha(f"refs/heads/{branch}")
            if head is None:
                raise BranchMissing(branch)
            target = self._ref_sha(f"refs/heads/{into}")
            if target is None:
                raise BranchMissing(into)
            common = self._merge_base(target, head, branch, into)
            if common == head:
                # nothing to merge; with a remote, push anyway (an earlier push may have failed)
                result = MergeResult(
                    sha=target, fast_forward=False, already_merged=True, previous=target
                )
            elif common == target:
                self._update_ref(f"refs/heads/{into}", head, target, branch=into)
                result = MergeResult(sha=head, fast_forward=True, previous=target)
            else:
                tree = self._merge_tree(target, head, branch, into)
                sha = self._commit_tree(tree, [target, head], message, committer)
                self._update_ref(f"refs/heads/{into}", sha, target, branch=into)
                result = MergeResult(sha=sha, fast_forward=False, previous=target)
            if self.remote is None:
                return result
            error = self._try_push(into)
            return dataclasses.replace(result, pushed=error is None, push_error=error)

    def reset_branch(self, name: str, to: str, expected: str) -> str:
        """Move branch ``name`` (``main`` too) to ``to``, only if it is still at ``expected``.

        Compare-and-swap under the writer lock: when the branch is not at ``expected`` (another
        writer moved it), :class:`StaleHead` is raised and nothing changes. Used to take back a
        merge whose database side failed. Never touches a remote: a push that already happened
        stays on the remote. Returns the sha the branch now points at.
        """
        name = self._branch(name)
        if not isinstance(expected, str) or not _HEX40.fullmatch(expected):
            raise InvalidPath(f"expected {expected!r} is not a full commit sha")
        with self.writer_lock():
            sha = self._resolve(to)
            actual = self._ref_sha(f"refs/heads/{name}")
            if actual is None:
                raise BranchMissing(name)
            if actual != expected:
                raise StaleHead(name, expected, actual)
            if sha != actual:
                self._update_ref(f"refs/heads/{name}", sha, expected, branch=name)
                log.warning(
                    "config repository: branch %s reset from %s to %s", name, actual[:12], sha[:12]
                )
            return sha

    def push(self, branch: str = "main") -> None:
        """Push ``branch`` to the remote; :class:`PushFailed` with git's reason when it fails."""
        branch = self._branch(branch)
        if self.remote is None:
            raise ConfigRepoError("no remote is configured for the config repository")
        with self.writer_lock():
            error = self._try_push(branch)
        if error is not None:
            raise PushFailed(error)

    def gc(self) -> None:
        """Pack loose objects (``git gc``) under the writer lock; run it now and then."""
        with self.writer_lock():
            self._git.run(["gc", "--quiet"], timeout=1800, what="git gc")

    # ------------------------------------------------------------------ internals: reads

    def _resolve(self, rev: str) -> str:
        """Commit sha of ``rev``; :class:`BranchMissing` when there is no such revision."""
        self._require_repository()
        if not isinstance(rev, str) or not rev:
            raise InvalidPath(f"revision must be a non-empty string, got {rev!r}")
        if (
            rev.startswith("-")
            or len(rev) > 256
            or any(ord(c) <= 32 or ord(c) == 127 for c in rev)
            or ":" in rev
            or "@{" in rev
        ):
            raise InvalidPath(f"revision {rev!r} is not valid")
        if _HEX40.fullmatch(rev):
            obj = self._object(rev)
            if obj is not None and obj[0] == "commit":
                return rev
        elif "~" not in rev and "^" not in rev:
            try:
                validate_branch_name(rev)
            except InvalidPath:
                pass
            else:
                sha = self._ref_sha(f"refs/heads/{rev}")
                if sha is not None:
                    return sha
        result = self._git.run(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
            check=False,
        )
        if result.returncode != 0:
            raise BranchMissing(rev, f"revision {rev!r} does not exist in the config repository")
        return result.stdout.decode("ascii").strip()

    def _ref_sha(self, ref: str) -> str | None:
        """The sha ``ref`` (full name, e.g. ``refs/heads/x``) points at, or None."""
        self._require_repository()
        loose = self.git_dir / ref
        try:
            text = loose.read_text("ascii").strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            text = ""
        except OSError as exc:
            raise ConfigRepoError(f"cannot read {ref}: {exc}") from exc
        if _HEX40.fullmatch(text):
            return text
        result = self._git.run(["rev-parse", "--verify", "--quiet", ref], check=False)
        out = result.stdout.decode("ascii", "replace").strip()
        return out if result.returncode == 0 and _HEX40.fullmatch(out) else None

    def _object(self, sha: str) -> tuple[str, bytes] | None:
        return self._cat.read(sha)

    def _blob(self, sha: str) -> bytes:
        cached = self._blobs.get(sha)
        if cached is not None:
            return cached  # type: ignore[return-value]
        obj = self._object(sha)
        if obj is None or obj[0] != "blob":
            raise ConfigRepoError(f"git object {sha} is missing from the config repository")
        self._blobs.put(sha, obj[1], weight=len(obj[1]) + 100)
        return obj[1]

    def _commit_tree_sha(self, commit: str) -> str:
        cached = self._commit_trees.get(commit)
        if cached is not None:
            return cached  # type: ignore[return-value]
        tree = self._read_commit_tree(commit)
        self._commit_trees.put(commit, tree)
        return tree

    def _read_commit_tree(self, commit: str) -> str:
        obj = self._object(commit)
        if obj is None or obj[0] != "commit":
            raise ConfigRepoError(f"commit {commit} is missing from the config repository")
        first = obj[1].split(b"\n", 1)[0]
        if not first.startswith(b"tree "):
            raise ConfigRepoError(f"commit {commit} is malformed")
        return first[5:].decode("ascii")

    def _tree(self, commit: str) -> _Tree:
        cached = self._trees.get(commit)
        if cached is not None:
            return cached  # type: ignore[return-value]
        tree = _Tree(commit=commit)
        self._walk(self._commit_tree_sha(commit), "", tree.files)
        tree.sorted_paths = sorted(tree.files)
        self._trees.put(commit, tree)
        return tree

    def _walk(self, tree_sha: str, prefix: str, into: dict[str, str]) -> None:
        obj = self._object(tree_sha)
        if obj is None or obj[0] != "tree":
            raise ConfigRepoError(f"tree {tree_sha} is missing from the config repository")
        data, i, n = obj[1], 0, len(obj[1])
        subtrees = []
        while i < n:
            space = data.index(b" ", i)
            nul = data.index(b"\0", space)
            mode, raw_name = data[i:space], data[space + 1 : nul]
            sha = data[nul + 1 : nul + 21].hex()
            i = nul + 21
            try:
                name = raw_name.decode("utf-8")
            except UnicodeDecodeError:
                continue  # cannot be addressed by a str path; not written by the portal
            if mode == b"40000":
                subtrees.append((sha, f"{prefix}{name}/"))
            elif mode in _FILE_MODES:
                into[prefix + name] = sha
            # symlinks (120000) and submodules (160000) are not files of the repository
        for sha, sub in subtrees:
            self._walk(sha, sub, into)

    _LOG_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cn%x1f%ce%x1f%cI%x1f%B"

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
            commit = _commit_from_fields(record)
            if commit is not None:
                commits.append(commit)
        return commits

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

    def _merge_base(self, a: str, b: str, branch: str, into: str) -> str | None:
        """The best common ancestor of two commits (None when they share no history)."""
        if a == b:
            return a
        result = self._git.run(["merge-base", a, b], check=False)
        if result.returncode == 1 and not result.stdout.strip():
            raise ConfigRepoError(
                f"{branch!r} and {into!r} share no history; they cannot be merged"
            )
        if result.returncode != 0:
            raise ConfigRepoError(f"cannot merge {branch!r} into {into!r}: {stderr_text(result)}")
        return result.stdout.decode("ascii").strip()

    # ------------------------------------------------------------------ internals: writes

    def _branch(self, name: str) -> str:
        """Validate a branch name (own rules, then ``git check-ref-format``)."""
        validate_branch_name(name)
        if self._valid_branches.get(name) is None:
            result = self._git.run(["check-ref-format", f"refs/heads/{name}"], check=False)
            if result.returncode != 0:
                raise InvalidPath(f"branch name {name!r} is not a valid git branch name")
            self._valid_branches.put(name, True)
        return name

    def _write_tree(
        self, parent: str | None, changes: dict[str, bytes | None]
    ) -> tuple[str, dict[str, str]]:
        """Tree sha of ``parent``'s files with ``changes`` applied, built in a temporary index,
        and the new ``path -> blob`` map (cached for the commit made from it)."""
        existing = self._tree(parent).files if parent else {}
        for path, content in changes.items():
            if content is None and path not in existing:
                raise ConfigRepoError(f"cannot delete {path!r}: it does not exist on the branch")
        final = {p for p in existing if changes.get(p, b"") is not None} | {
            p for p, c in changes.items() if c is not None
        }
        folders = {p.rsplit("/", 1)[0] for p in final if "/" in p}
        folders |= {f.rsplit("/", i)[0] for f in list(folders) for i in range(1, f.count("/") + 1)}
        for path in final & folders:
            raise InvalidPath(f"{path!r} cannot be both a file and a folder")
        with tempfile.TemporaryDirectory(prefix="config-repo-", dir=self.git_dir) as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            if parent:
                self._git.run(["read-tree", parent], env=env, what="reading the branch")
            else:
                self._git.run(["read-tree", "--empty"], env=env, what="starting a tree")
            added = [(p, c) for p, c in changes.items() if c is not None]
            shas = self._hash_objects(tmp, [bytes(c) for _, c in added]) if added else []
            lines = [
                b"100644 %s\t%s\0" % (s.encode(), p.encode())
                for (p, _), s in zip(added, shas, strict=True)
            ]
            lines += [
                b"0 %s\t%s\0" % (ZERO_SHA.encode(), p.encode())
                for p, c in changes.items()
                if c is None
            ]
            self._git.run(
                ["update-index", "-z", "--index-info"],
                input=b"".join(lines),
                env=env,
                what="staging the changes",
            )
            tree = self._git.out(["write-tree"], env=env, what="writing the tree")
        files = {p: b for p, b in existing.items() if p not in changes}
        files.update(dict(zip((p for p, _ in added), shas, strict=True)))
        return tree, files

    def _hash_objects(self, tmp: str, contents: list[bytes]) -> list[str]:
        """Write blobs; one ``git hash-object -w --stdin-paths`` for all of them."""
        paths = []
        for n, content in enumerate(contents):
            p = os.path.join(tmp, f"blob-{n}")
            with open(p, "wb") as f:
                f.write(content)
            paths.append(p)
        out = self._git.out(
            ["hash-object", "-w", "--no-filters", "--stdin-paths"],
            input="\n".join(paths).encode() + b"\n",
            what="storing the files",
        )
        shas = out.split()
        if len(shas) != len(contents):
            raise ConfigRepoError("storing the files failed: git returned an unexpected answer")
        return shas

    def _commit_tree(self, tree: str, parents: list[str], message: str, actor: Actor) -> str:
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        env = {
            "GIT_AUTHOR_NAME": actor.name,
            "GIT_AUTHOR_EMAIL": actor.email,
            "GIT_COMMITTER_NAME": actor.name,
            "GIT_COMMITTER_EMAIL": actor.email,
        }
        return self._git.out(
            args, input=message.encode("utf-8"), env=env, what="writing the commit"
        )

    def _update_ref(self, ref: str, new: str | None, old: str, *, branch: str) -> None:
        """Compare-and-swap ``ref`` from ``old`` (ZERO_SHA: must not exist) to ``new``.

        ``new`` None deletes the ref."""
        args = ["update-ref", "-m", "config-repo", ref] if new else ["update-ref", "-d", ref]
        args += [new, old] if new else [old]
        for attempt in (1, 2):
            result = self._git.run(args, check=False)
            if result.returncode == 0:
                return
            text = stderr_text(result)
            if attempt == 1 and ".lock': File exists" in text:
                self._wait_for_ref_lock(ref)
                continue
            actual = self._ref_sha(ref)
            if old == ZERO_SHA and actual is not None:
                raise BranchExists(branch)
            if actual != old:
                if actual is None:
                    raise BranchMissing(branch)
                raise StaleHead(branch, old, actual)
            raise ConfigRepoError(f"cannot move branch {branch!r}: {text}")

    def _wait_for_ref_lock(self, ref: str) -> None:
        """``ref``'s ``.lock`` file is in the way. Every writer of this repository holds the writer
        lock (which we hold), so the file comes from a crash or from a git command run by hand
        (``git gc``): wait up to ``STALE_LOCK_SECONDS`` for it to go, then remove it."""
        lock_file = self.git_dir / f"{ref}.lock"
        deadline = time.monotonic() + STALE_LOCK_SECONDS
        while lock_file.exists():
            try:
                age = time.time() - lock_file.stat().st_mtime
            except FileNotFoundError:
                return
            if age >= STALE_LOCK_SECONDS or time.monotonic() >= deadline:
                try:
                    lock_file.unlink()
                except FileNotFoundError:
                    return
                rel = str(lock_file.relative_to(self.path))
                self.recovered_locks.append(rel)
                log.warning("config repository: removed stale lock file %s", rel)
                return
            time.sleep(0.05)

    def _merge_tree(self, target: str, head: str, branch: str, into: str) -> str:
        result = self._git.run(
            ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", target, head],
            check=False,
            what="git merge-tree",
        )
        parts = [p.decode("utf-8", "replace") for p in result.stdout.split(b"\0")]
        if result.returncode == 0 and parts and _HEX40.fullmatch(parts[0]):
            return parts[0]
        if result.returncode == 1 and parts and _HEX40.fullmatch(parts[0]):
            files = sorted({p for p in parts[1:] if p})
            raise MergeConflict(branch, into, files)
        raise ConfigRepoError(f"cannot merge {branch!r} into {into!r}: {stderr_text(result)}")

    def _try_push(self, branch: str) -> str | None:
        """Push ``branch`` to the remote; None on success, else a readable reason (logged)."""
        assert self.remote is not None
        refspec = f"refs/heads/{branch}:refs/heads/{branch}"
        try:
            result = self._git.run(
                ["push", "--porcelain", self.remote, refspec],
                check=False,
                timeout=120,
                what="git push",
            )
            error = None if result.returncode == 0 else stderr_text(result)
        except ConfigRepoError as exc:  # timed out, git missing
            error = str(exc)
        if error is None:
            return None
        reason = (
            f"the merge is on {branch!r} locally, but pushing it to {redact(self.remote)!r} "
            f"failed: {error}"
        )
        log.error("config repository: %s", reason)
        return reason


class PushFailed(ConfigRepoError):
    """Pushing to the remote failed; the local repository is unchanged by the failure."""


def _commit_from_fields(record: str) -> Commit | None:
    """A ``Commit`` from one record of ``ConfigRepository._LOG_FORMAT`` (without its leading
    separator); None when the record is malformed."""
    parts = record.split("\x1f", 8)
    if len(parts) != 9 or not _HEX40.fullmatch(parts[0]):
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


def _check_actor(actor: object, what: str) -> Actor:
    """The actor with what git cannot record removed (``<``, ``>``, control characters, and
    surrounding blanks); an empty name or email after that is an error."""
    if not isinstance(actor, Actor):
        raise ConfigRepoError(f"{what} must be an Actor(name, email)")
    clean = []
    for label, value in (("name", actor.name), ("email", actor.email)):
        if not isinstance(value, str):
            raise ConfigRepoError(f"{what} {label} must be a string")
        value = value.encode("utf-8", "ignore").decode("utf-8")
        value = "".join(c for c in value if ord(c) >= 32 and ord(c) != 127 and c not in "<>")
        value = " ".join(value.split())[:256]
        if not value:
            raise ConfigRepoError(f"{what} {label} is empty")
        clean.append(value)
    return Actor(*clean)


def _check_message(message: object) -> str:
    if not isinstance(message, str) or not message.strip():
        raise ConfigRepoError("a commit message is required")
    if "\0" in message or len(message) > 65536:
        raise ConfigRepoError("the commit message contains a NUL character or is too long")
    message = message.replace("\r\n", "\n").encode("utf-8", "replace").decode("utf-8")
    return "".join(c for c in message if c in "\n\t" or ord(c) >= 32).strip() + "\n"


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

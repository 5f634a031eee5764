"""The git-backed config repository: reads at any revision, writes without a checkout.

Reads go straight to git's object store (a persistent ``git cat-file --batch``); a commit's file
listing is cached by commit sha (commits never change). Writes build commits in a temporary index
(``GIT_INDEX_FILE``) and move branches with ``git update-ref <ref> <new> <old>`` (compare-and-swap),
so the work tree is never checked out and several branches can be written without fighting. One
writer at a time per repository (threads and processes): see :mod:`config_repo.locking`.

The work is split by job: :mod:`config_repo.objects` (git objects), :mod:`config_repo.reads`,
:mod:`config_repo.history`, :mod:`config_repo.writes`, :mod:`config_repo.merging` and
:mod:`config_repo.remote`; :class:`ConfigRepository` puts them together with the set-up.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from config_repo.errors import ConfigRepoError, InvalidPath, redact
from config_repo.gitcmd import LRU, CatFile, Git
from config_repo.history import History
from config_repo.layout import repository_skeleton
from config_repo.locking import writer_lock_for
from config_repo.merging import Merging
from config_repo.model import (
    MAX_FILE_BYTES,
    STALE_LOCK_SECONDS,
    SYSTEM_ACTOR_EMAIL,
    SYSTEM_ACTOR_NAME,
    ZERO_SHA,
    Actor,
    Commit,
    FileChange,
    FileVersion,
    MergeResult,
)
from config_repo.objects import GitFileSource, ObjectStore
from config_repo.reads import Reads
from config_repo.remote import PushFailed, Remote
from config_repo.writes import Writes

log = logging.getLogger(__name__)

__all__ = [
    "MAX_FILE_BYTES",
    "STALE_LOCK_SECONDS",
    "SYSTEM_ACTOR_EMAIL",
    "SYSTEM_ACTOR_NAME",
    "ZERO_SHA",
    "Actor",
    "Commit",
    "ConfigRepository",
    "FileChange",
    "FileVersion",
    "GitFileSource",
    "MergeResult",
    "PushFailed",
]


class ConfigRepository(Reads, History, Writes, Merging, Remote, ObjectStore):
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
            self._note_recovered_lock(lock_file)

    def _note_recovered_lock(self, lock_file: Path) -> None:
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

    def gc(self) -> None:
        """Pack loose objects (``git gc``) under the writer lock; run it now and then."""
        with self.writer_lock():
            self._git.run(["gc", "--quiet"], timeout=1800, what="git gc")

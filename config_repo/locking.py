"""One writer at a time per repository, across threads and processes.

A :class:`WriterLock` combines a ``threading.RLock`` (threads of one process; shared by every
``ConfigRepository`` object on the same repository) with an ``fcntl.flock`` on
``.git/config-repo-writer.lock`` (other processes). It is re-entrant within a thread, so a
caller may hold it around several operations (``with repo.writer_lock(): ...``).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from config_repo.errors import LockTimeout

LOCK_FILE_NAME = "config-repo-writer.lock"

_registry: dict[str, WriterLock] = {}
_registry_guard = threading.Lock()


def writer_lock_for(git_dir: Path) -> WriterLock:
    """The process-wide lock object for the repository whose ``.git`` folder is ``git_dir``."""
    key = os.path.realpath(git_dir)
    with _registry_guard:
        lock = _registry.get(key)
        if lock is None or lock.pid != os.getpid():
            lock = WriterLock(Path(key) / LOCK_FILE_NAME)
            _registry[key] = lock
        return lock


class WriterLock:
    def __init__(self, path: Path):
        self.path = path
        self.pid = os.getpid()
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def acquire(self, timeout: float | None = None, *, blocking: bool = True) -> bool:
        """Take the lock; False when ``blocking`` is False and someone else holds it.

        Raises :class:`LockTimeout` after ``timeout`` seconds (None: wait as long as it takes).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if not blocking:
            got = self._thread_lock.acquire(blocking=False)
        elif timeout is None:
            got = self._thread_lock.acquire()
        else:
            got = self._thread_lock.acquire(timeout=max(timeout, 0.0))
        if not got:
            if not blocking:
                return False
            raise self._timeout(timeout)
        if self._depth > 0:
            self._depth += 1
            return True
        try:
            if not self._flock(deadline, blocking, timeout):
                self._thread_lock.release()
                return False
        except BaseException:
            self._thread_lock.release()
            raise
        self._depth = 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        self._thread_lock.release()

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _flock(self, deadline: float | None, blocking: bool, timeout: float | None) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            if deadline is None and blocking:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                pause = 0.001
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if not blocking:
                            os.close(fd)
                            return False
                        if deadline is not None and time.monotonic() >= deadline:
                            raise self._timeout(timeout) from None
                        time.sleep(pause)
                        pause = min(pause * 2, 0.05)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def _timeout(self, timeout: float | None) -> LockTimeout:
        waited = f" after {timeout:g} s" if timeout is not None else ""
        return LockTimeout(
            f"another writer holds the config repository lock ({self.path}); gave up{waited}"
        )

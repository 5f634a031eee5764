"""Running git: one-shot commands and a persistent ``git cat-file --batch`` reader.

Every command runs with ``GIT_DIR`` set to the repository, a clean ``GIT_*`` environment (so a
caller's ``GIT_INDEX_FILE`` or ``GIT_WORK_TREE`` can never leak in), no terminal prompts and the C
locale. Failures become :class:`~config_repo.errors.ConfigRepoError`.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

from config_repo.errors import ConfigRepoError, redact

# GIT_* variables that are safe (and sometimes needed) to pass through: ssh/askpass for pushes.
_PASS_THROUGH = frozenset({"GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_SSL_CAINFO"})


def base_env(git_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _PASS_THROUGH}
    env.update(
        GIT_DIR=str(git_dir),
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        LC_ALL="C",
        LANGUAGE="C",
    )
    return env


class Git:
    """Runs git commands against one repository.

    Local plumbing runs without a timeout: ``subprocess`` waits for a process with a timeout by
    polling with sleeps, which costs milliseconds per command. Network commands (push) pass one.
    """

    def __init__(self, git_dir: Path, cwd: Path):
        self.git_dir = git_dir
        self.cwd = cwd
        self.env = base_env(git_dir)

    def run(
        self,
        args: Sequence[str],
        *,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float | None = None,
        what: str | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        full_env = self.env if not env else {**self.env, **env}
        try:
            result = subprocess.run(
                ["git", *args],
                input=input,
                capture_output=True,
                env=full_env,
                cwd=self.cwd,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ConfigRepoError(
                f"{what or 'git ' + args[0]} did not finish within {timeout:g} s"
            ) from exc
        except OSError as exc:
            raise ConfigRepoError(f"cannot run git: {exc}") from exc
        if check and result.returncode != 0:
            raise ConfigRepoError(f"{what or 'git ' + args[0]} failed: {stderr_text(result)}")
        return result

    def out(self, args: Sequence[str], **kwargs: object) -> str:
        """stdout of a successful command, decoded and stripped."""
        return self.run(args, **kwargs).stdout.decode("utf-8", "replace").strip()  # type: ignore[arg-type]


def stderr_text(result: subprocess.CompletedProcess[bytes]) -> str:
    text = (result.stderr or result.stdout or b"").decode("utf-8", "replace").strip()
    lines = [line.removeprefix("fatal: ").removeprefix("error: ") for line in text.splitlines()]
    return redact("; ".join(line for line in lines if line) or f"exit status {result.returncode}")


class CatFile:
    """A persistent ``git cat-file --batch`` process: reads objects without touching the work tree.

    Thread-safe (one request at a time); restarted after a fork or when the process died.
    """

    def __init__(self, git: Git):
        self._git = git
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    def read(self, sha: str) -> tuple[str, bytes] | None:
        """``(type, data)`` of an object, or None when the object does not exist."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    return self._read(sha)
                except (OSError, ValueError) as exc:
                    self._kill()
                    if attempt == 2:
                        raise ConfigRepoError(f"cannot read git object {sha}: {exc}") from exc
        return None  # pragma: no cover

    def _read(self, sha: str) -> tuple[str, bytes] | None:
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(sha.encode("ascii") + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline()
        if not header:
            raise OSError("git cat-file stopped")
        parts = header.split()
        if len(parts) == 2 and parts[1] in (b"missing", b"ambiguous"):
            return None
        if len(parts) != 3:
            raise ValueError(f"unexpected cat-file answer {header!r}")
        size = int(parts[2])
        data = proc.stdout.read(size)
        if len(data) != size or proc.stdout.read(1) != b"\n":
            raise OSError("short read from git cat-file")
        return parts[1].decode("ascii"), data

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._pid != os.getpid() or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self._git.env,
                cwd=self._git.cwd,
            )
            self._pid = os.getpid()
        return self._proc

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and self._pid == os.getpid():
            try:
                proc.kill()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None and self._pid == os.getpid():
                try:
                    if proc.stdin:
                        proc.stdin.close()
                    proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    proc.kill()
                if proc.stdout:
                    proc.stdout.close()


class LRU:
    """A small thread-safe least-recently-used cache with a size budget."""

    def __init__(self, max_items: int, max_weight: int | None = None):
        self._data: OrderedDict[object, tuple[object, int]] = OrderedDict()
        self._max_items = max_items
        self._max_weight = max_weight
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            self._data.move_to_end(key)
            return item[0]

    def put(self, key: object, value: object, weight: int = 1) -> None:
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._data[key] = (value, weight)
            self._weight += weight
            while len(self._data) > self._max_items or (
                self._max_weight is not None and self._weight > self._max_weight and self._data
            ):
                _, (_, w) = self._data.popitem(last=False)
                self._weight -= w

"""Writes without a checkout: branches and commits built in a temporary index, refs moved by
compare-and-swap (``git update-ref <ref> <new> <old>``), all under the one-writer lock."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Mapping

from config_repo.errors import (
    BranchExists,
    BranchMissing,
    ConfigRepoError,
    InvalidPath,
    StaleHead,
)
from config_repo.gitcmd import stderr_text
from config_repo.layout import validate_branch_name, validate_repo_path
from config_repo.model import HEX40, MAX_FILE_BYTES, STALE_LOCK_SECONDS, ZERO_SHA, Actor, Tree

log = logging.getLogger("config_repo.repository")


class Writes:
    """Part of :class:`~config_repo.repository.ConfigRepository`: branches and commits."""

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
        message = check_message(message)
        author = check_actor(author, "author")
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
        if expected_head is not None and not HEX40.fullmatch(expected_head):
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
            self._trees.put(sha, Tree(commit=sha, files=files, sorted_paths=sorted(files)))
            self._update_ref(f"refs/heads/{branch}", sha, old, branch=branch)
            return sha

    def reset_branch(self, name: str, to: str, expected: str) -> str:
        """Move branch ``name`` (``main`` too) to ``to``, only if it is still at ``expected``.

        Compare-and-swap under the writer lock: when the branch is not at ``expected`` (another
        writer moved it), :class:`StaleHead` is raised and nothing changes. Used to take back a
        merge whose database side failed. Never touches a remote: a push that already happened
        stays on the remote. Returns the sha the branch now points at.
        """
        name = self._branch(name)
        if not isinstance(expected, str) or not HEX40.fullmatch(expected):
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
                self._note_recovered_lock(lock_file)
                return
            time.sleep(0.05)


def check_actor(actor: object, what: str) -> Actor:
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


def check_message(message: object) -> str:
    if not isinstance(message, str) or not message.strip():
        raise ConfigRepoError("a commit message is required")
    if "\0" in message or len(message) > 65536:
        raise ConfigRepoError("the commit message contains a NUL character or is too long")
    message = message.replace("\r\n", "\n").encode("utf-8", "replace").decode("utf-8")
    return "".join(c for c in message if c in "\n\t" or ord(c) >= 32).strip() + "\n"

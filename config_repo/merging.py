"""Merging a branch: fast-forward, or a merge commit from ``git merge-tree --write-tree``."""

from __future__ import annotations

import dataclasses

from config_repo.errors import BranchMissing, ConfigRepoError, MergeConflict
from config_repo.gitcmd import stderr_text
from config_repo.model import HEX40, Actor, MergeResult
from config_repo.writes import check_actor, check_message


class Merging:
    """Part of :class:`~config_repo.repository.ConfigRepository`: merging branches."""

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
        committer = check_actor(committer or self.system_actor, "committer")
        message = check_message(message or f"Merge branch '{branch}' into {into}")
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

    def _merge_tree(self, target: str, head: str, branch: str, into: str) -> str:
        result = self._git.run(
            ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", target, head],
            check=False,
            what="git merge-tree",
        )
        parts = [p.decode("utf-8", "replace") for p in result.stdout.split(b"\0")]
        if result.returncode == 0 and parts and HEX40.fullmatch(parts[0]):
            return parts[0]
        if result.returncode == 1 and parts and HEX40.fullmatch(parts[0]):
            files = sorted({p for p in parts[1:] if p})
            raise MergeConflict(branch, into, files)
        raise ConfigRepoError(f"cannot merge {branch!r} into {into!r}: {stderr_text(result)}")

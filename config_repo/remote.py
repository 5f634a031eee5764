"""Pushing to the configured remote (after each merge, or on demand)."""

from __future__ import annotations

import logging

from config_repo.errors import ConfigRepoError, redact
from config_repo.gitcmd import stderr_text

log = logging.getLogger("config_repo.repository")


class PushFailed(ConfigRepoError):
    """Pushing to the remote failed; the local repository is unchanged by the failure."""


class Remote:
    """Part of :class:`~config_repo.repository.ConfigRepository`: the remote ``main`` goes to."""

    def push(self, branch: str = "main") -> None:
        """Push ``branch`` to the remote; :class:`PushFailed` with git's reason when it fails."""
        branch = self._branch(branch)
        if self.remote is None:
            raise ConfigRepoError("no remote is configured for the config repository")
        with self.writer_lock():
            error = self._try_push(branch)
        if error is not None:
            raise PushFailed(error)

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

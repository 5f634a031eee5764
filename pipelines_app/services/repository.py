"""The config repository the portal works on, as settings name it (one per process and folder)."""

from __future__ import annotations

import os
import threading

from django.conf import settings

from config_repo import ConfigRepository

_repositories: dict[tuple[str, str], tuple[ConfigRepository, tuple[int, int] | None]] = {}
_repositories_lock = threading.Lock()
_MAX_REPOSITORIES = 32


def config_repository() -> ConfigRepository:
    """The config repository named by settings, read at every call.

    One ``ConfigRepository`` per (``HUB_CONFIG_REPO``, ``HUB_CONFIG_REMOTE``) per process, so a
    change of settings (tests give each test its own folder) gives that folder's repository, never
    the one a previous caller used. It is ``ensure()``d when first asked for, and again when the
    repository on disk is not the one it was made for (its ``.git`` folder was removed, or
    replaced by another at the same path): a cached object never points at a repository that is
    gone. Repositories dropped from the cache are closed (their ``git cat-file`` stops).
    """
    configured = settings.HUB_CONFIG_REPO
    path = os.path.realpath(os.fspath(configured))
    key = (path, settings.HUB_CONFIG_REMOTE or "")
    with _repositories_lock:
        cached = _repositories.get(key)
        if cached is not None and cached[1] is not None and _identity(path) == cached[1]:
            return cached[0]
        if cached is not None:
            cached[0].close()
        repository = ConfigRepository(configured, remote=key[1] or None)
        repository.ensure()
        _repositories.pop(key, None)
        while len(_repositories) >= _MAX_REPOSITORIES:
            _repositories.pop(next(iter(_repositories)))[0].close()
        _repositories[key] = (repository, _identity(path))
        return repository


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the repository's ``.git`` folder; None when there is none."""
    try:
        found = os.stat(os.path.join(path, ".git"))
    except OSError:
        return None
    return (found.st_dev, found.st_ino)

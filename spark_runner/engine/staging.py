"""Staging left by killed runs: its age limit, the tidy-up before a CSV target is staged, and the
recovery of an overwrite killed between its two renames."""

from __future__ import annotations

import contextlib
import os
import time

from spark_runner.engine.fs import FS, glob_escape, name, parent


def staging_max_age() -> float:
    """Seconds after which a staging folder nobody touched is taken as left by a dead run."""
    try:
        return float(os.environ.get("HUB_STAGING_MAX_AGE_SECONDS", "3600"))
    except ValueError:
        return 3600.0


def tidy(fs: FS, path: str, run_tag: str, key_tag: str, now: float | None = None) -> None:
    """Before a CSV target is staged, with one listing of what sits beside it:

    * recover: a run killed between the two renames of an overwrite left the old folder aside
      (``.<name>.hub-old-<run>``) and no destination: put it back;
    * stale staging: ``.<name>.hub-tmp-<run>`` folders of killed attempts are deleted when
      nothing in them changed for ``HUB_STAGING_MAX_AGE_SECONDS`` (default an hour), or when
      they belong to an earlier attempt with this run's output key (that attempt is over: its
      retry is running). A concurrent live run's staging is younger and is left alone.
    """
    prefix = f".{name(path)}.hub-"
    found = fs.glob_status(f"{glob_escape(parent(path))}/{glob_escape(prefix)}*")
    if not found:
        return
    now = time.time() if now is None else now
    limit = staging_max_age()
    exists = None
    for candidate, modified, _ in found:
        rest = name(candidate)[len(prefix) :]
        if rest.startswith("old-"):
            if exists is None:
                exists = fs.exists(path)
            if not exists:
                fs.rename(candidate, path)
                exists = True
            elif now - modified > limit:
                fs.delete(candidate)  # a finished swap whose last delete did not happen
        elif rest.startswith("tmp-"):
            tag = rest[len("tmp-") :]
            if tag == run_tag:
                continue  # ours (deleted before staging anyway)
            if (tag == key_tag and key_tag != run_tag) or now - _newest(fs, candidate) > limit:
                with contextlib.suppress(Exception):
                    fs.delete(candidate)


def recover(fs: FS, path: str) -> None:
    """Puts back the old folder of an overwrite killed between its two renames."""
    if fs.exists(path):
        return
    prefix = f".{name(path)}.hub-old-"
    for candidate, _, _ in fs.glob_status(f"{glob_escape(parent(path))}/{glob_escape(prefix)}*"):
        fs.rename(candidate, path)
        return


def _newest(fs: FS, folder: str) -> float:
    """The latest modification time of ``folder`` or anything in it (a long write of a live run
    keeps changing files deep inside ``_temporary``)."""
    return fs.newest_modification(folder)

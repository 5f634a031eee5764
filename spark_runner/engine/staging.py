"""Staging: named by output key and attempt; what killed attempts left (deleted at once when it is
an earlier attempt of the same output key, else after an age limit); the tidy-up before a CSV
target is staged; and the recovery of an overwrite killed between its two renames."""

from __future__ import annotations

import contextlib
import time

from spark_runner.engine.fs import FS, glob_escape, name, parent
from spark_runner.engine.settings import EngineSettings

# The session carries EngineSettings.staging_max_age_seconds in its Spark configuration
# (session.spark_conf), where the outputs, which hold the session and no run context, find it.
MAX_AGE_CONF = "spark.hub.staging.maxAgeSeconds"


def staging_max_age(spark) -> float:
    """Seconds after which a staging folder nobody touched is taken as left by a dead run."""
    return float(spark.conf.get(MAX_AGE_CONF, str(EngineSettings.staging_max_age_seconds)))


def staging_tag(key_tag: str, run_tag: str) -> str:
    """Names an attempt's staging by output key and attempt: ``<key>`` for a first attempt (its
    run id is the key), ``<key>.<run>`` for a retry. Tags never hold a dot (``outputs._tag``)."""
    return key_tag if key_tag == run_tag else f"{key_tag}.{run_tag}"


def key_and_attempt(tag: str) -> tuple[str, str]:
    """The output key and the attempt a staging tag names (the inverse of ``staging_tag``)."""
    key, _, run = tag.partition(".")
    return key, run or key


def tidy(
    fs: FS, path: str, run_tag: str, key_tag: str, max_age: float, now: float | None = None
) -> None:
    """Before a CSV target is staged, with one listing of what sits beside it:

    * recover: a run killed between the two renames of an overwrite left the old folder aside
      (``.<name>.hub-old-<run>``) and no destination: put it back;
    * stale staging: ``.<name>.hub-tmp-<key>[.<run>]`` folders of killed attempts are deleted
      at once when they belong to an earlier attempt of this run's output key (that attempt is
      over: its retry is running), otherwise when nothing in them changed for ``max_age``
      seconds (``staging_max_age``). A concurrent live run's staging is younger and is left
      alone.
    """
    prefix = f".{name(path)}.hub-"
    found = fs.glob_status(f"{glob_escape(parent(path))}/{glob_escape(prefix)}*")
    if not found:
        return
    now = time.time() if now is None else now
    exists = None
    for candidate, modified, _ in found:
        rest = name(candidate)[len(prefix) :]
        if rest.startswith("old-"):
            if exists is None:
                exists = fs.exists(path)
            if not exists:
                fs.rename(candidate, path)
                exists = True
            elif now - modified > max_age:
                fs.delete(candidate)  # a finished swap whose last delete did not happen
        elif rest.startswith("tmp-"):
            key, attempt = key_and_attempt(rest[len("tmp-") :])
            if (key, attempt) == (key_tag, run_tag):
                continue  # ours (deleted before staging anyway)
            if key == key_tag or now - _newest(fs, candidate) > max_age:
                with contextlib.suppress(Exception):
                    fs.delete(candidate)


def drop_earlier_attempts(fs: FS, path: str, run_tag: str, key_tag: str) -> None:
    """After a successful commit: deletes every other attempt's staging of this output key
    beside ``path`` (a reaped attempt whose worker still wrote after this one began)."""
    prefix = f".{name(path)}.hub-tmp-"
    pattern = f"{glob_escape(parent(path))}/{glob_escape(prefix + key_tag)}*"
    for candidate, _, _ in fs.glob_status(pattern):
        key, attempt = key_and_attempt(name(candidate)[len(prefix) :])
        if key == key_tag and attempt != run_tag:
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

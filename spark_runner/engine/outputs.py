"""What every output shares: the stage/commit/abort contract, run tags, row counts and the
staging write options (each storage kind in storage/ states its own commit protocol)."""

from __future__ import annotations

import re
import uuid

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F


def _tag(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", run_id)[:40] or uuid.uuid4().hex[:8]


def _observed(df: DataFrame) -> tuple[DataFrame, Observation]:
    obs = Observation()
    return df.observe(obs, F.count(F.lit(1)).alias("rows")), obs


def _rows(obs: Observation | None) -> int | None:
    if obs is None or obs._jo is None:
        return None
    try:
        if not obs._jo.future().isCompleted():
            return None
        return int(obs.get["rows"])
    except Exception:
        return None


class Output:
    kind = ""
    name = ""
    rows_written: int | None = None

    def stage(self) -> None:  # the expensive part; touches nothing visible
        raise NotImplementedError

    def commit(self) -> None:  # quick swap into place
        raise NotImplementedError

    def abort(self) -> None:  # drop what stage left
        pass

    def drop_earlier_attempts(self) -> None:
        """After every target committed: delete the staging any other attempt of this run's
        output key left (a killed retry's; a reaped attempt that wrote on). Best effort."""


# Staging writes land in a folder only the engine reads; the engine's own rename at commit is
# what makes them visible. So the file committer may move each task's files into the staging
# folder at task commit (algorithm 2: no second, job-level rename pass). A task that fails after
# its commit was authorised fails the job (Spark's output commit coordinator), and a failed job
# deletes the whole staging folder: nothing partial is ever renamed in.
STAGING_WRITE = {"mapreduce.fileoutputcommitter.algorithm.version": "2"}
# No _SUCCESS file where nobody looks for one (append part files, Hive staging).
NO_SUCCESS_MARKER = {"mapreduce.fileoutputcommitter.marksuccessfuljobs": "false"}

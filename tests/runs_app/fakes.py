"""A runner that needs no Spark, steered by the pipeline's ``<description>``:

- ``ok`` (or empty): succeeds; ``fail``: fails; ``fail-until:N``: fails before attempt N;
- ``explode``: raises, with a password in the message;
- ``sleep:S``: sleeps S seconds first (cancel stops it); combinable: ``sleep:2 fail``.
It writes ``<data_root>/out/<pipeline>.txt`` (one line) atomically on success, and appends the run
id to ``<data_root>/out/<pipeline>.starts`` when it starts.
"""

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from spark_runner.engine.errors import RunError
from spark_runner.engine.result import PipelineResult, StepMetrics, TargetMetrics


class FakeRunner:
    def __init__(self):
        self.cancelled: set[str] = set()
        self._lock = threading.Lock()

    def run(self, run, published, files):
        words = (published.definition.metadata.description or "ok").split()
        out = Path(settings.HUB_DATA_ROOT) / "out"
        out.mkdir(parents=True, exist_ok=True)
        with open(out / f"{run.pipeline_id}.starts", "a") as f:
            f.write(f"{run.id}\n")
        started = datetime.now(UTC)
        fail = False
        for word in words:
            name, _, value = word.partition(":")
            if name == "sleep":
                end = time.monotonic() + float(value)
                while time.monotonic() < end:
                    if str(run.id) in self.cancelled:
                        return _result(
                            "cancelled", started, RunError("cancelled", "run", "cancelled")
                        )
                    time.sleep(0.05)
            elif name == "fail":
                fail = True
            elif name == "explode":
                raise RuntimeError("cannot reach postgres://etl:hunter2@db/x?password=hunter2")
            elif name == "fail-until":
                fail = run.attempt < int(value)
        if fail:
            error = RunError("step", "step 1 (sort)", f"deliberate failure of {run.pipeline_id}")
            return _result("failed", started, error)
        tmp = out / f".{run.pipeline_id}.{os.getpid()}"
        tmp.write_text(f"{run.params.get('runDate')}\n")
        tmp.replace(out / f"{run.pipeline_id}.txt")
        return _result("succeeded", started)

    def cancel(self, run):
        self.cancelled.add(str(run.id))


def _result(status, started, error=None):
    return PipelineResult(
        status=status,
        steps=[StepMetrics(1, "sort", "customers", rows_in=3, rows_out=3, seconds=0.01)],
        targets=[
            TargetMetrics("csv", "out/customers", rows_written=3 if status == "succeeded" else None)
        ],
        error=error,
        started_at=started,
        finished_at=datetime.now(UTC),
    )

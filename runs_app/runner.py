"""What runs a pipeline: the Spark engine by default; tests and benchmarks inject a fake one
(``HUB_RUNNER = "dotted.path.to.factory"``) with the same two methods.

``spark_runner.engine`` is imported inside the methods: it loads pyspark, which the web
processes, beat and the control worker never need."""

from __future__ import annotations

import threading
from datetime import date

from django.conf import settings
from django.utils.module_loading import import_string

from pipelines_app.data_policy import run_policy
from pipelines_app.engine_settings import engine_settings
from runs_app.selectors import first_attempt

_lock = threading.Lock()
_runner = None


class SparkRunner:
    """Keeps one SparkSession per worker process (``get_session``), warm between runs."""

    def __init__(self):
        self._spark = None
        self._secrets = None

    def secret_values(self) -> tuple[str, ...]:
        """Secret values handed out during the last run: removed from any error we record."""
        return self._secrets.resolved_values() if self._secrets else ()

    def session(self):
        from spark_runner.engine import get_session
        from spark_runner.engine.warmup import wait_warm

        wait_warm()  # a warm-up under way (worker start, a JVM that died) finishes first
        self._spark = get_session(engine_settings())  # recreated if its JVM died
        return self._spark

    def warm_up(self) -> float | None:
        """Creates the session (again, after a JVM death) and runs a tiny pipeline on it, so
        that the next run finds a warm JVM. None when it was warm already."""
        from spark_runner.engine.warmup import ensure_warm

        return ensure_warm(engine_settings())

    def run(self, run, published, files):
        from spark_runner.engine import RunContext, run_pipeline
        from spark_runner.engine.secrets import SecretResolver

        spark = self.session()
        self._secrets = SecretResolver(getattr(settings, "HUB_SECRETS_FILE", "") or None)
        ctx = RunContext(
            spark=spark,
            application=run.application,
            layer=run.layer,
            run_id=str(run.id),
            run_date=date.fromisoformat(run.params["runDate"]),
            params=dict(run.params),
            files=files,
            data_root=str(settings.HUB_DATA_ROOT),
            secrets=self._secrets,
            output_key=_first_attempt_id(run),
            policy=run_policy(run.application),
            parallel_targets=settings.HUB_PARALLEL_TARGETS,
        )
        return run_pipeline(published.definition, ctx)

    def cancel(self, run) -> None:
        from spark_runner.engine import cancel_run

        if self._spark is not None:
            cancel_run(self._spark, str(run.id))


def _first_attempt_id(run) -> str:
    """The engine names what a run appends by this key: a retry (of a lost or failed attempt of
    the same pipeline) repeats its first attempt's key, so it replaces, never doubles, what that
    attempt may have committed. An operator's rerun is a new run with its own key."""
    return str(first_attempt(run).id)


def get_runner():
    """The process's runner, built once (a Spark runner keeps its session between runs)."""
    global _runner
    path = settings.HUB_RUNNER
    with _lock:
        if _runner is None or getattr(_runner, "_path", None) != path:
            _runner = import_string(path)() if path else SparkRunner()
            _runner._path = path
        return _runner

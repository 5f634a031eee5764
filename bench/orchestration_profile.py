"""Where the time of one tiny pipeline run goes, in one process (no Celery): orchestration
(claim, definition, record, DAG hop) against the Spark engine, and the Spark jobs per run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/datahub_prof \\
    .venv/bin/python -m bench.orchestration_profile [--runs 20] [--profile]

Runs a chain of trivial pipelines (csv -> csv, two rows) through ``execution.execute_one``
with the Spark runner, after a warm-up. Prints per-run medians of each phase, the Spark jobs each
run started (by the run's job group), and with ``--profile`` the top functions (cProfile).
The database named by DATABASE_URL is created and migrated when missing; use a scratch one.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.orchestration import _chain, _ensure_database, _pipeline

ROOT = Path(__file__).resolve().parents[1]
APP = "bench"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20, help="chain nodes measured (after warm-up)")
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datahub_prof")
    base = Path(tempfile.mkdtemp(prefix="bench-prof-"))
    os.environ.update(
        DATABASE_URL=url,
        HUB_CONFIG_REPO=str(base / "repo"),
        HUB_DATA_ROOT=str(base / "data"),
        HUB_VAR_DIR=str(base / "var"),
        HUB_RUNNER="",
        LOG_LEVEL="WARNING",
    )
    _ensure_database(url)
    sys.path.insert(0, str(ROOT))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _profile(args)


def _profile(args) -> None:
    from django.conf import settings

    from config_repo import Actor, ConfigRepository
    from runs_app import creation, execution, messages, runner
    from runs_app.models import PipelineRun
    from runs_app.services import run_trigger

    queue: list[str] = []
    creation.enqueue = lambda run, countdown=0: queue.append(str(run.id))
    messages.send = lambda task, args, countdown=None: None  # notifications: not measured here

    nodes = [f"p{i:02d}" for i in range(max(args.runs, 2) + 2)]
    files = {f"applications/{APP}/staging/pipelines/{p}.xml": _pipeline(p) for p in nodes}
    files[f"applications/{APP}/service/jobs/chain.xml"] = _chain("chain", nodes)
    repo = ConfigRepository(str(settings.HUB_CONFIG_REPO)).ensure()
    repo.commit("main", files, "profile definitions", Actor("Bench", "bench@example.com"))
    inputs = Path(settings.HUB_DATA_ROOT) / "applications" / APP / "in"
    inputs.mkdir(parents=True, exist_ok=True)
    for p in nodes:
        (inputs / f"{p}.csv").write_text("id,name\n1,a\n2,b\n", encoding="utf-8")

    spark_runner = runner.get_runner()
    engine_seconds: dict[str, float] = {}
    real_run = spark_runner.run

    def timed_run(run, published, files):
        t0 = time.perf_counter()
        try:
            return real_run(run, published, files)
        finally:
            engine_seconds[str(run.id)] = time.perf_counter() - t0

    spark_runner.run = timed_run

    t0 = time.perf_counter()
    run_trigger(application=APP, job_id="chain", params={})
    trigger_seconds = time.perf_counter() - t0
    phases = defaultdict(list)
    profiler = cProfile.Profile() if args.profile else None
    done = 0
    while queue:
        run_id = queue.pop(0)
        t0 = time.perf_counter()
        if profiler and done >= 2:
            profiler.enable()
        run = execution.execute_one(run_id)  # one node at a time (no hand-off)
        if profiler:
            profiler.disable()
        total = time.perf_counter() - t0
        if run is None or run.status != "succeeded":
            raise SystemExit(f"run {run_id} did not succeed: {run and run.error_message}")
        done += 1
        if done <= 2:
            continue  # warm-up: the session starts, the first plans compile
        engine = engine_seconds[run_id]
        phases["execute (claim .. next node queued)"].append(total)
        phases["  engine: run_pipeline"].append(engine)
        phases["  orchestration: the rest"].append(total - engine)
        tracker = spark_runner._spark.sparkContext.statusTracker()
        phases["  Spark jobs started by the run"].append(len(tracker.getJobIdsForGroup(run_id)))
        stored = PipelineRun.objects.get(id=run_id)
        phases["  engine: sum of its step seconds"].append(sum(s["seconds"] for s in stored.steps))
        phases["  engine: sum of its target seconds"].append(
            sum(t.get("seconds") or 0 for t in stored.targets)
        )

    print(f"\none tiny pipeline run in-process, Spark runner, {done - 2} runs (median)\n")
    print(f"job trigger (all nodes' definitions checked): {trigger_seconds:.3f} s")
    for name, values in phases.items():
        print(f"{name:<45} {statistics.median(values):>8.3f}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())


if __name__ == "__main__":
    main()

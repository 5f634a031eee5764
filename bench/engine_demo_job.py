"""(h) The demo job through a real Celery worker, for ``bench.engine``.

The job ``retail_daily`` of the demo application (three pipelines, five Hive targets, four CSV
exports) triggered as an operator does (``run_trigger``) and run by one warm Celery worker (solo
pool, the Spark runner, its session warmed at start as a deployed worker's): end to end, from
the trigger to the job run's end, p50 over N jobs after one warm-up job. The time is split into
the pipeline runs themselves (claim to end) and what lies between them (trigger to the first
run's start, one run's end to the next one's start, the last run's end to the job's end).

Needs PostgreSQL (``DATABASE_URL``, a scratch database: created and migrated when missing) and
Redis (``CELERY_BROKER_URL``). The worker keeps its Hive metastore in Derby under a temporary
folder, or, with ``metastore`` (``jdbc:postgresql://.../name``), in the PostgreSQL database
``<name>_celery`` (dropped first: a scratch one).

Alone: ``.venv/bin/python -m bench.engine_demo_job [--jobs 3] [--metastore jdbc:...]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/datahub_bench"
DEFAULT_BROKER = "redis://127.0.0.1:6379/15"
RUN_DATE = "2024-03-05"


def _worker_metastore(metastore: str) -> str:
    """``jdbc:postgresql://host/name?..`` -> the same server, database ``name_celery``
    (emptied first), so that the worker's tables never mix with the bench session's."""
    if not metastore:
        return ""
    import psycopg

    from spark_runner.engine.session import postgres_conninfo

    head, _, query = metastore.partition("?")
    base, _, name = head.rpartition("/")
    url = f"{base}/{name}_celery" + (f"?{query}" if query else "")
    info = postgres_conninfo(url)
    admin = dict(info, dbname="postgres")
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{info["dbname"]}" WITH (FORCE)')
    return url


def celery_demo(root: Path, jobs: int, metastore: str = "") -> dict:
    """Starts a worker, runs one warm-up job and ``jobs`` timed ones; returns the figures."""
    from bench.orchestration import set_up_portal, start_worker

    root.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL", DEFAULT_DB)
    if not url.startswith("postgres"):
        url = DEFAULT_DB
    queue = f"bench-demo-{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", DEFAULT_BROKER),
        "HUB_CONFIG_REPO": str(root / "repo"),
        "HUB_DATA_ROOT": str(root / "data"),
        "HUB_VAR_DIR": str(root / "var"),
        "HUB_SPARK_WAREHOUSE": str(root / "warehouse"),
        "HUB_METASTORE_URL": _worker_metastore(metastore),
        "HUB_SECRETS_FILE": str(root / "secrets.json"),
        "HUB_TASK_QUEUE": queue,
        "HUB_CONTROL_QUEUE": f"{queue}-control",  # notifications: no consumer here
        "HUB_RUNNER": "",
        "SPARK_MASTER": os.environ.get("SPARK_MASTER", "local[*]"),
        "LOG_LEVEL": "WARNING",
    }
    set_up_portal(env)
    from portal.management.commands.load_demo import load_demo_portal

    load_demo_portal()
    log = open(root / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = start_worker(queue, stdout=log, stderr=log)
    try:
        started = time.perf_counter()
        warm = _job(timeout=900)
        first = time.perf_counter() - started
        timed = [_job() for _ in range(jobs)]
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        log.close()
    med = statistics.median
    return {
        "first": first,
        "warmup_job": warm["total"],
        "total": med([t["total"] for t in timed]),
        "runs": med([t["runs"] for t in timed]),
        "between": med([t["between"] for t in timed]),
        "per_run": [med(t["per_run"][i] for t in timed) for i in range(len(timed[0]["per_run"]))],
        "all": [t["total"] for t in timed],
    }


def _job(timeout: float = 600) -> dict:
    from runs_app.models import JobRun, PipelineRun
    from runs_app.services import run_trigger

    t0 = time.time()
    job = run_trigger(application="retail", job_id="retail_daily", params={"runDate": RUN_DATE})
    end = time.monotonic() + timeout
    while True:
        row = JobRun.objects.filter(id=job.id).values("status").first()
        if row["status"] not in ("queued", "running"):
            break
        if time.monotonic() > end:
            raise SystemExit(f"demo job {job.id} did not finish in {timeout:.0f} s")
        time.sleep(0.01)
    job = JobRun.objects.get(id=job.id)
    runs = list(PipelineRun.objects.filter(job_run=job).order_by("started_at"))
    if job.status != "succeeded":
        failed = [f"{r.pipeline_id}: {r.error_where}: {r.error_message}" for r in runs]
        raise SystemExit(f"demo job {job.status}: {'; '.join(failed)}")
    total = job.finished_at.timestamp() - t0
    per_run = [(r.finished_at - r.started_at).total_seconds() for r in runs]
    ran = sum(per_run)
    return {"total": total, "runs": ran, "between": total - ran, "per_run": per_run}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--metastore", default="", help="jdbc:postgresql://... (a scratch one)")
    parser.add_argument("--baseline", type=int, default=3, help="plain-script runs (0: none)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-demo-job-"))
    try:
        hand = []
        if args.baseline:
            from bench import engine_small
            from spark_runner.engine import get_session
            from spark_runner.engine.session import stop_session

            spark = get_session(engine_small.bench_settings(root / "hand", args.metastore))
            if args.metastore:
                engine_small.drop_bench_databases(spark)
            engine_small.demo_hand(spark, root / "hand")
            for _ in range(args.baseline):
                hand.append(engine_small.timed(engine_small.demo_hand, spark, root / "hand"))
            stop_session()  # the worker's JVM runs alone
        figures = celery_demo(root / "celery", args.jobs, args.metastore)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print_figures(figures, statistics.median(hand) if hand else None)


def print_figures(h: dict, hand: float | None) -> None:
    ratio = f"{h['total'] / hand:>7.2f}" if hand else f"{'':>7}"
    base = f"{hand:>10.3f}" if hand else f"{'':>10}"
    print(f"{'(h) demo job via a Celery worker, p50 s':<46} {h['total']:>10.3f} {base} {ratio} "
          f"{'<=5s':>8}")  # fmt: skip
    runs = ", ".join(f"{s:.2f}" for s in h["per_run"])
    print(
        f"    (h) pipeline runs {h['runs']:.2f} s ({runs}), between them {h['between']:.2f} s; "
        f"worker start to first job's end {h['first']:.1f} s; all: "
        + ", ".join(f"{s:.2f}" for s in h["all"])
    )


if __name__ == "__main__":
    main()

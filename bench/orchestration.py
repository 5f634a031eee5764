"""Orchestration latency and throughput on one warm Celery worker (Redis + PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/datahub_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/15 .venv/bin/python -m bench.orchestration --runs 200

(a) trigger -> run start on a warm worker, p50/p95 (baseline: a bare Celery task's enqueue -> start)
(b) hop from one job node's end to the next one's start, p95
(c) a 40-node chain of trivial pipelines, end to end
(d) runs per minute per worker for N small pipelines (default 1,000)

``--runner instant`` (default) measures the orchestration alone; ``--runner spark`` runs the
pipelines through the Spark engine (needs ``spark_runner.engine.run_pipeline``).
The database named by DATABASE_URL is created and migrated when missing; use a scratch one.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = "bench"


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'create database "{name}"')


def set_up_portal(env: dict) -> None:
    """This process as the portal on ``env`` (its database created and migrated)."""
    os.environ.update(env)
    _ensure_database(env["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def start_worker(queue: str, **popen) -> subprocess.Popen:
    """A solo Celery worker on ``queue`` with this process's environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "solo", "-Q", queue,
         "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, **popen,
    )  # fmt: skip


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _pipeline(id: str) -> bytes:
    return (
        f'<pipeline id="{id}" version="1.0" layer="staging"><sources>'
        f'<csv id="s" path="in/{id}.csv"/></sources><targets><csv path="out/{id}"/></targets>'
        f"</pipeline>"
    ).encode()


def _chain(id: str, nodes: list[str]) -> bytes:
    refs = "".join(
        f'<pipelineRef id="{n}"' + (f' dependsOn="{nodes[i - 1]}"' if i else "") + "/>"
        for i, n in enumerate(nodes)
    )
    return (
        f'<jobPipeline id="{id}" version="1.0"><pipelines>{refs}</pipelines></jobPipeline>'.encode()
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000, help="runs for the throughput test (d)")
    parser.add_argument("--samples", type=int, default=30, help="samples for (a) and (b)")
    parser.add_argument("--runner", choices=["instant", "spark"], default="instant")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datahub_bench")
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    base = Path(tempfile.mkdtemp(prefix="bench-orch-"))
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker,
        "HUB_CONFIG_REPO": str(base / "repo"),
        "HUB_DATA_ROOT": str(base / "data"),
        "HUB_VAR_DIR": str(base / "var"),
        "HUB_TASK_QUEUE": queue,
        "HUB_CONTROL_QUEUE": f"{queue}-control",  # (no control consumer: no beat here)
        "HUB_RUNNER": "" if args.runner == "spark" else "bench.orchestration_runner.InstantRunner",
        "LOG_LEVEL": "WARNING",
    }
    set_up_portal(env)
    worker = start_worker(queue)
    try:
        _bench(args, base)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _bench(args, base: Path) -> None:
    import redis
    from django.conf import settings

    from config_repo import Actor, ConfigRepository
    from runs_app import messages
    from runs_app.models import JobRun, PipelineRun
    from runs_app.services import run_trigger

    repo = ConfigRepository(str(settings.HUB_CONFIG_REPO)).ensure()
    chain = [f"c{i:02d}" for i in range(40)]
    files = {f"applications/{APP}/staging/pipelines/{p}.xml": _pipeline(p) for p in ["one", *chain]}
    files[f"applications/{APP}/service/jobs/chain10.xml"] = _chain("chain10", chain[:10])
    files[f"applications/{APP}/service/jobs/chain40.xml"] = _chain("chain40", chain)
    repo.commit("main", files, "bench definitions", Actor("Bench", "bench@example.com"))
    inputs = Path(settings.HUB_DATA_ROOT) / "applications" / APP / "in"
    inputs.mkdir(parents=True, exist_ok=True)
    for p in ["one", *chain]:
        (inputs / f"{p}.csv").write_text("id,name\n1,a\n2,b\n", encoding="utf-8")

    def wait(model, id, timeout=1800):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            row = model.objects.filter(id=id).values("status").first()
            if row and row["status"] not in ("queued", "running"):
                return model.objects.get(id=id)
            time.sleep(0.005)
        raise TimeoutError(f"{model.__name__} {id} did not finish")

    # warm-up: the worker imports, connects, (spark: starts its session)
    warm = wait(PipelineRun, run_trigger(application=APP, pipeline_id="one", params={}).id)
    if warm.status != "succeeded":
        raise SystemExit(f"warm-up run {warm.status}: {warm.error_message}")

    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    key = f"bench:noop:{uuid.uuid4().hex}"
    baseline = []
    for _ in range(args.samples):
        t0 = time.time()
        messages.send("runs_app.tasks.noop", [key])
        _, started = r.blpop(key, timeout=30)
        baseline.append(float(started) - t0)
    r.delete(key)

    trigger = []
    for _ in range(args.samples):
        t0 = time.time()
        run = wait(PipelineRun, run_trigger(application=APP, pipeline_id="one", params={}).id)
        trigger.append(run.started_at.timestamp() - t0)

    hops = []
    for _ in range(max(1, args.samples // 10)):
        job = wait(JobRun, run_trigger(application=APP, job_id="chain10", params={}).id)
        runs = list(PipelineRun.objects.filter(job_run=job).order_by("started_at"))
        hops += [
            (b.started_at - a.finished_at).total_seconds() for a, b in itertools.pairwise(runs)
        ]

    t0 = time.time()
    job = wait(JobRun, run_trigger(application=APP, job_id="chain40", params={}).id)
    chain_seconds = job.finished_at.timestamp() - t0
    chain_ok = job.status

    t0 = time.time()
    ids = [run_trigger(application=APP, pipeline_id="one", params={}).id for _ in range(args.runs)]
    enqueue_seconds = time.time() - t0
    last = max((wait(PipelineRun, i) for i in ids), key=lambda run: run.finished_at)
    first_start = min(PipelineRun.objects.filter(id__in=ids).values_list("started_at", flat=True))
    span = (last.finished_at - first_start).total_seconds()
    per_minute = args.runs / span * 60

    b50, b95 = _pct(baseline, 0.5), _pct(baseline, 0.95)
    t50, t95 = _pct(trigger, 0.5), _pct(trigger, 0.95)
    rows = [
        ("baseline: bare Celery task enqueue -> start p50", b50, ""),
        ("baseline: bare Celery task enqueue -> start p95", b95, ""),
        ("(a) trigger -> run start p50 (goal <= 0.3 s)", t50, f"{t50 / b50:.1f}x baseline"),
        ("(a) trigger -> run start p95 (goal <= 1 s)", t95, f"{t95 / b95:.1f}x baseline"),
        ("(b) node end -> next node start p95 (goal <= 0.5 s)", _pct(hops, 0.95),
         f"p50 {statistics.median(hops):.3f} s, {len(hops)} hops"),
        ("(c) 40-node chain end to end (goal <= 20 s)", chain_seconds,
         f"job {chain_ok}, {chain_seconds / 40:.3f} s per node"),
        (f"(d) {args.runs} runs: runs per minute per worker", per_minute,
         f"{span:.1f} s; enqueue took {enqueue_seconds:.1f} s"),
    ]  # fmt: skip
    print(f"\norchestration bench, runner={args.runner}, 1 solo worker, {os.cpu_count()} cores\n")
    print(f"{'measure':<55} {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name:<55} {value:>10.3f}  {note}")


if __name__ == "__main__":
    main()

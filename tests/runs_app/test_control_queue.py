"""Control work never waits behind runs: real beat, a control worker and two Spark workers busy
on long runs (Celery, Redis, PostgreSQL, Spark). One Spark worker is killed with its JVM
(``kill -9`` of its process group); beat's reaper on the control worker ends its run
``worker_lost`` within two heartbeat intervals and queues the retry at once, while schedule ticks
and SLA checks that fell due meanwhile ran on time, none discarded as expired.

``HUB_FAULT_KILLS=N`` kills N times (each kill a fresh worker that took the retry, so every
worker stays busy); the reap times are printed (``-s``) for docs/operators/orchestration.md.
"""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.utils import timezone

from pipelines_app import data_policy
from pipelines_app.models import Application
from runs_app.models import Alert, PipelineRun
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP, ROOT, Published, Worker, json_lines, wait_for

engine = pytest.importorskip("spark_runner.engine")

pytestmark = [pytest.mark.spark, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

HEARTBEAT = 6  # the reaper runs every 0.25 interval (1.5 s)
TICK = 3  # schedule tick period
SLA_CHECK = 3  # SLA check period
SLA_SECONDS = 40
KILLS = int(os.environ.get("HUB_FAULT_KILLS", "1"))
# The long runs wait in PostgreSQL (no CPU): a worker stays busy for as long as the test needs.
SLEEPER = "jdbc:postgresql://127.0.0.1:5432/postgres"
SLEEPER_LOGIN = "retail.sleeper"  # a secret "user:password" (trust auth: no password)
MARK = "hub_control_queue_test"


def _long(id):
    return (
        f'<pipeline id="{id}" version="1.0" layer="staging">'
        f"<metadata><sla>PT{SLA_SECONDS}S</sla></metadata>"
        f'<sources><database id="slow" jdbcUrl="{SLEEPER}" userSecretRef="{SLEEPER_LOGIN}">'
        f"<sql>SELECT 1 AS id, '{MARK}' AS mark FROM pg_sleep(900)</sql></database></sources>"
        f'<targets><csv path="out/{id}" mode="overwrite"/></targets></pipeline>'
    ).encode()


def _scheduled(id):
    return (
        f'<pipeline id="{id}" version="1.0" layer="staging">'
        f"<metadata><schedule>* * * * *</schedule></metadata>"
        f'<sources><csv id="customers" path="in/customers.csv"/></sources>'
        f'<targets><csv path="out/{id}" mode="overwrite"/></targets></pipeline>'
    ).encode()


def _terminate_sleepers():
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query LIKE %s AND pid <> pg_backend_pid()",
            (f"%{MARK}%",),
        )


def _sleepers() -> set[int]:
    """The backends of long runs waiting inside PostgreSQL (their Spark job is reading). A killed
    JVM's backend sleeps on: PostgreSQL notices the dead client only when it answers."""
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        found = c.execute(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE %s "
            "AND query NOT LIKE '%%WHERE 1=0%%' AND pid <> pg_backend_pid()",
            (f"%{MARK}%",),
        ).fetchall()
    return {pid for (pid,) in found}


@pytest.fixture
def topology(worker_env, settings, transactional_db, tmp_path):
    """Beat, a control worker on the control queue, and Spark workers on the run queue."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://...")
    base = Path(worker_env["env"]["HUB_DATA_ROOT"])
    queue = worker_env["queue"] + "-busy"
    settings.HUB_CONFIG_REPO = Path(worker_env["env"]["HUB_CONFIG_REPO"])
    settings.HUB_DATA_ROOT = base
    settings.HUB_TASK_QUEUE = queue
    settings.HUB_CONTROL_QUEUE = queue + "-control"
    settings.HUB_RUNNER = ""
    settings.HUB_HEARTBEAT_SECONDS = HEARTBEAT
    settings.HUB_LOST_RUN_RETRIES = KILLS
    (base / "applications" / APP / "in").mkdir(parents=True, exist_ok=True)
    (base / "applications" / APP / "in" / "customers.csv").write_text("id\n1\n")
    # The long runs read pg_sleep through JDBC: the application's data policy must allow it.
    Application.objects.get_or_create(name=APP)
    data_policy.allow(
        actor=None,
        application=APP,
        kind="connection",
        value=SLEEPER,
        credential_secret=SLEEPER_LOGIN,
    )
    env = {
        **worker_env["env"],
        "HUB_RUNNER": "",
        "HUB_TASK_QUEUE": queue,
        "HUB_CONTROL_QUEUE": settings.HUB_CONTROL_QUEUE,
        "HUB_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "HUB_SCHEDULE_TICK_SECONDS": str(TICK),
        "HUB_SLA_CHECK_SECONDS": str(SLA_CHECK),
        "HUB_LOST_RUN_RETRIES": str(KILLS),
        "LOG_LEVEL": "INFO",
        "HUB_SECRET_RETAIL_SLEEPER": "postgres:",
    }
    processes = []

    class Topology:
        logs = tmp_path

        def spark_worker(self):
            n = len([p for p in processes if isinstance(p, Worker) and p.log.name[:5] == "spark"])
            worker = Worker(
                {**env, "HUB_VAR_DIR": str(tmp_path / f"var-{n}")},
                queue,
                log=tmp_path / f"spark-{n}.log",
            )
            processes.append(worker)
            return worker

        def control_worker(self):
            worker = Worker(
                env,
                settings.HUB_CONTROL_QUEUE,
                pool="threads",
                concurrency=4,
                log=tmp_path / "control.log",
                loglevel="INFO",
            )
            processes.append(worker)
            return worker

        def beat(self):
            argv = [sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel", "INFO"]
            argv += ["--schedule", str(tmp_path / "beat-schedule")]
            with open(tmp_path / "beat.log", "ab") as out:
                process = subprocess.Popen(
                    argv, env=env, cwd=ROOT, start_new_session=True, stdout=out, stderr=out
                )
            processes.append(process)
            self.beat_process = process
            return tmp_path / "beat.log"

        def stop_beat(self):
            os.killpg(self.beat_process.pid, 15)
            self.beat_process.wait(timeout=30)

    yield Topology()
    for process in reversed(processes):
        worker = process if isinstance(process, Worker) else None
        if worker is not None:
            worker.kill()
        elif process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait(timeout=30)
    _terminate_sleepers()


def _run(id):
    return PipelineRun.objects.get(id=id)


@pytest.mark.timeout(600 + 300 * KILLS)  # Spark workers start under load
def test_the_reaper_ticks_and_sla_checks_keep_time_while_every_worker_is_busy(topology, settings):
    # given beat, a control worker, and two Spark workers each busy with a long run
    published = Published(settings.HUB_CONFIG_REPO)
    published.commit(
        {
            f"applications/{APP}/staging/pipelines/{id}.xml": xml
            for id, xml in (
                ("busy_a", _long("busy_a")),
                ("busy_b", _long("busy_b")),
                ("every_minute", _scheduled("every_minute")),
            )
        }
    )
    beat_log = topology.beat()
    control = topology.control_worker()
    workers = [topology.spark_worker(), topology.spark_worker()]
    runs = [run_trigger(application=APP, pipeline_id=id, params={}) for id in ("busy_a", "busy_b")]
    wait_for(lambda: len(_sleepers()) >= 2, timeout=420, every=1)
    a, b = (_run(r.id) for r in runs)
    assert (a.status, b.status) == ("running", "running")
    first = next(w for w in workers if a.worker.endswith(f":{w.process.pid}"))

    # when the worker of the first run is killed with its JVM, KILLS times (each time a fresh
    # worker took the retry, so every worker stays busy)
    victim, run, reaped = first, a, []
    for kill in range(1, KILLS + 1):
        time.sleep(HEARTBEAT / 2)  # a moment into the run
        victim.kill()
        killed_at = timezone.now()

        # then beat's reaper, on the control worker, ends it within two heartbeat intervals of
        # its last beat, and queues its retry at once
        wait_for(lambda run=run: _run(run.id).status != "running", timeout=10 * HEARTBEAT)
        lost = _run(run.id)
        assert (lost.status, lost.error_category) == ("failed", "worker_lost")
        silent = (lost.finished_at - lost.heartbeat_at).total_seconds()
        reaped.append((silent, (lost.finished_at - killed_at).total_seconds()))
        assert silent <= 2 * HEARTBEAT, reaped
        retry = PipelineRun.objects.get(rerun_of=lost)
        assert (retry.trigger, retry.attempt) == ("retry", kill + 1)
        assert retry.queued_at - lost.finished_at < timedelta(seconds=1)
        if kill < KILLS:
            before = _sleepers()
            victim = topology.spark_worker()
            wait_for(lambda before=before: _sleepers() - before, timeout=420, every=1)
            run = _run(retry.id)
            assert run.status == "running" and run.worker.endswith(f":{victim.process.pid}")
    print(
        "reaped after (s since last heartbeat, s since kill): "
        + ", ".join(f"({s:.1f}, {k:.1f})" for s, k in reaped)
    )

    # ... a schedule slot that fell due meanwhile was queued within one tick of its time
    slot_run = wait_for(
        lambda: PipelineRun.objects.filter(pipeline_id="every_minute", trigger="schedule").first(),
        timeout=150,
        every=1,
    )
    late = (slot_run.queued_at - slot_run.scheduled_for).total_seconds()
    print(f"schedule slot queued {late:.1f} s after its time")
    assert 0 <= late <= TICK + 1, late

    # ... the SLA check found the busy run's breach within one check period of its deadline
    alert = wait_for(
        lambda: Alert.objects.filter(kind="sla_breach", run_id=b.id).first(), timeout=120
    )
    b.refresh_from_db()
    assert b.status == "running"
    breach_late = (alert.created_at - b.sla_deadline).total_seconds()
    print(f"SLA breach found {breach_late:.1f} s after the deadline")
    assert breach_late <= SLA_CHECK + 1

    # ... and every control task beat sent ran: none waited past its expiry or was discarded
    topology.stop_beat()
    time.sleep(2)
    control.stop()
    sent = _count(json_lines(beat_log), r"Sending due task \S+ \((\S+)\)")
    ran = _count(control.lines(), r"Task (\S+)\[\S+\] succeeded")
    assert set(sent) == {
        "runs_app.tasks.reap_lost_runs",
        "runs_app.tasks.schedule_tick",
        "runs_app.tasks.sla_check",
    }
    print(f"control tasks sent by beat {sent}, run by the control worker {ran}")
    for task, count in sent.items():
        assert ran.get(task, 0) >= count - 1, (task, count, ran)  # the last one may be in flight
    assert not [line for line in control.lines() if "Discarding" in line["message"]]


def _count(lines, pattern):
    counts = {}
    for line in lines:
        match = re.search(pattern, line["message"])
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return counts

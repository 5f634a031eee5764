"""Orchestration fixtures: a config repository with definitions, an in-process run queue (fast
tests), and real Celery worker processes against the test database and Redis (``celery`` mark).

Run with ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/datahub_orch`` (pytest-django makes
``test_datahub_orch``) and ``CELERY_BROKER_URL=redis://127.0.0.1:6379/15``.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from config_repo import Actor, ConfigRepository

ROOT = Path(__file__).resolve().parents[2]
APP = "retail"


def pipeline_xml(
    id,
    *,
    layer="staging",
    behaviour="ok",
    schedule=None,
    sla=None,
    parameters=(),
    notifications="",
):
    meta = f"<description>{behaviour}</description>"
    if schedule:
        meta += f"<schedule>{schedule}</schedule>"
    if sla:
        meta += f"<sla>{sla}</sla>"
    params = "".join(f'<parameter name="{n}" default="{d}"/>' for n, d in parameters)
    params = f"<parameters>{params}</parameters>" if parameters else ""
    notes = f"<notifications>{notifications}</notifications>" if notifications else ""
    return (
        f'<pipeline id="{id}" version="1.0" layer="{layer}"><metadata>{meta}</metadata>{params}'
        f'<sources><csv id="customers" path="in/customers.csv"/></sources>'
        f'<targets><csv path="out/{id}" mode="overwrite"/></targets>{notes}</pipeline>'
    ).encode()


def job_xml(id, refs, *, schedule=None, sla=None, parameters=()):
    """``refs``: (pipeline id, attributes) pairs, e.g. ("b", 'dependsOn="a" onFailure="skip"')."""
    meta = ""
    if schedule:
        meta += f"<schedule>{schedule}</schedule>"
    if sla:
        meta += f"<sla>{sla}</sla>"
    meta = f"<metadata>{meta}</metadata>" if meta else ""
    params = "".join(f'<parameter name="{n}" default="{d}"/>' for n, d in parameters)
    params = f"<parameters>{params}</parameters>" if parameters else ""
    body = "".join(f'<pipelineRef id="{p}" {attrs}/>' for p, attrs in refs)
    return (
        f'<jobPipeline id="{id}" version="1.0">{meta}{params}<pipelines>{body}</pipelines>'
        f"</jobPipeline>"
    ).encode()


class Published:
    """Commits definitions to ``main`` of the test's config repository."""

    def __init__(self, path):
        self.repo = ConfigRepository(str(path)).ensure()

    def commit(self, changes: dict, message="publish"):
        return self.repo.commit("main", changes, message, Actor("Tester", "tester@example.com"))

    def pipeline(self, id, layer="staging", **kwargs):
        path = f"applications/{APP}/{layer}/pipelines/{id}.xml"
        return self.commit({path: pipeline_xml(id, layer=layer, **kwargs)})

    def job(self, id, refs, layer="service", **kwargs):
        return self.commit(
            {f"applications/{APP}/{layer}/jobs/{id}.xml": job_xml(id, refs, **kwargs)}
        )

    def delete(self, id, kind="pipelines", layer="staging"):
        return self.commit({f"applications/{APP}/{layer}/{kind}/{id}.xml": None}, "delete")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def published(settings):
    return Published(settings.HUB_CONFIG_REPO)


@pytest.fixture
def fake_runner(settings):
    settings.HUB_RUNNER = "tests.runs_app.fakes.FakeRunner"
    settings.HUB_RETRY_BACKOFF_SECONDS = 0
    settings.HUB_HEARTBEAT_SECONDS = 2


@pytest.fixture
def run_queue(monkeypatch, fake_runner):
    """Runs enqueued in-process instead of on Celery: ``run_queue.drain()`` executes them all."""
    from runs_app import creation, execution

    class Queue(list):
        def drain(self, limit=200):
            done = 0
            while self and done < limit:
                execution.execute(self.pop(0))
                done += 1
            return done

    queue = Queue()
    monkeypatch.setattr(creation, "enqueue", lambda run, countdown=0: queue.append(str(run.id)))
    return queue


# ------------------------------------------------------------------ real Celery workers


@pytest.fixture(scope="session")
def worker_env(django_db_setup, tmp_path_factory):
    from django.conf import settings

    base = tmp_path_factory.mktemp("orchestration")
    name = connection.settings_dict["NAME"]
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    queue = f"orch-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "HUB_CONFIG_REPO": str(base / "config-repo"),
        "HUB_DATA_ROOT": str(base / "data"),
        "HUB_VAR_DIR": str(base / "var"),
        "HUB_RUNNER": "tests.runs_app.fakes.FakeRunner",
        "HUB_HEARTBEAT_SECONDS": "2",
        "HUB_CANCEL_POLL_SECONDS": "0.2",
        "HUB_RETRY_BACKOFF_SECONDS": "0",
        "HUB_TASK_QUEUE": queue,
        "HUB_CONTROL_QUEUE": f"{queue}-control",
        "HUB_PREVIEW_QUEUE": f"{queue}-preview",
        "PYTHONPATH": str(ROOT),
    }
    return {"env": env, "queue": queue, "base": base}


class Worker:
    """A Celery worker process on ``queue`` (comma-separated queues); its output goes to ``log``
    when given (JSON lines), else to the test's output."""

    def __init__(self, env, queue, pool="solo", log=None, concurrency=1, loglevel="WARNING"):
        argv = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", pool]
        argv += ["-c", str(concurrency), "-Q", queue, "-n", f"{uuid.uuid4().hex[:8]}@%h"]
        argv += ["--without-mingle", "--without-gossip", "--loglevel", loglevel]
        self.log = log
        out = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps it open
        self.process = subprocess.Popen(
            argv, env=env, cwd=ROOT, start_new_session=True, stdout=out, stderr=out
        )
        if out:
            out.close()

    def lines(self) -> list[dict]:
        """The JSON lines of its log (anything else, like Celery's banner, is skipped)."""
        return json_lines(self.log)

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def celery_workers(worker_env, settings, transactional_db):
    """Starts worker processes on a private queue; the test process enqueues onto that queue."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://127.0.0.1:6379/15")
    settings.HUB_CONFIG_REPO = Path(worker_env["env"]["HUB_CONFIG_REPO"])
    settings.HUB_DATA_ROOT = Path(worker_env["env"]["HUB_DATA_ROOT"])
    settings.HUB_HEARTBEAT_SECONDS = 2
    settings.HUB_TASK_QUEUE = worker_env["queue"]
    settings.HUB_CONTROL_QUEUE = worker_env["env"]["HUB_CONTROL_QUEUE"]
    settings.HUB_PREVIEW_QUEUE = worker_env["env"]["HUB_PREVIEW_QUEUE"]
    started = []

    def start(pool="solo", log=None):
        # the run worker also takes previews, as make run's does
        queues = ",".join(
            (worker_env["queue"], settings.HUB_CONTROL_QUEUE, settings.HUB_PREVIEW_QUEUE)
        )
        worker = Worker(worker_env["env"], queues, pool, log=log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def json_lines(path) -> list[dict]:
    import json

    found = []
    if not path or not Path(path).exists():
        return found
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                found.append(json.loads(line))
    return found


def wait_for(predicate, timeout=60, every=0.2):
    """Polls until ``predicate()`` is truthy (a deadline, not a speed assertion)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up waiting after {timeout} s")

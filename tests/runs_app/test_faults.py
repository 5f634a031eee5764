"""Server faults with real Celery workers, on PRIVATE Redis and PostgreSQL servers started by the
test (``servers.py``): restarting them disturbs nobody else on the shared machine."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from runs_app import execution
from runs_app.models import PipelineRun
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP, Published, Worker, wait_for
from tests.runs_app.servers import PrivatePostgres, PrivateRedis

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

FINAL = ("succeeded", "failed", "skipped", "cancelled")


def _row(id, *fields):
    return PipelineRun.objects.filter(id=id).values(*fields).first()


def _status(id):
    return (_row(id, "status") or {}).get("status")


def _tolerant(predicate):
    """A predicate that reads the database while it may be restarting: an error means 'not yet'."""

    def check():
        try:
            return predicate()
        except DatabaseError:
            connection.close()
            return None

    return check


@pytest.fixture
def worker_settings(worker_env, settings):
    settings.HUB_CONFIG_REPO = Path(worker_env["env"]["HUB_CONFIG_REPO"])
    settings.HUB_DATA_ROOT = Path(worker_env["env"]["HUB_DATA_ROOT"])
    settings.HUB_HEARTBEAT_SECONDS = 2
    settings.HUB_TASK_QUEUE = worker_env["queue"] + "-faults"
    return {**worker_env["env"], "HUB_TASK_QUEUE": settings.HUB_TASK_QUEUE}


@pytest.fixture
def private_redis(worker_settings, settings, monkeypatch, transactional_db):
    """A private broker for the test process (its Celery app) and its workers."""
    from portal.celery import app

    server = PrivateRedis().start()

    def use():
        app._pool = None  # the producer pools are built from the broker URL on first use
        app.amqp._producer_pool = None

    # Celery reads CELERY_BROKER_URL from the environment before its settings
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    use()
    settings.CELERY_BROKER_URL = server.url
    workers = []

    def start_worker():
        env = {**worker_settings, "CELERY_BROKER_URL": server.url}
        workers.append(Worker(env, worker_settings["HUB_TASK_QUEUE"]))
        return workers[-1]

    server.start_worker = start_worker
    yield server
    for worker in workers:
        worker.stop()
    monkeypatch.undo()
    use()
    server.close()


@pytest.fixture
def private_postgres(worker_settings, transactional_db):
    """A private PostgreSQL cluster, migrated; the test process's default connection points at it
    for the test (and back afterwards), and so do the workers it starts."""
    server = PrivatePostgres().start()
    server.create_database("hub")
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(
        NAME="hub", HOST="127.0.0.1", PORT=str(server.port), USER="postgres", PASSWORD=""
    )
    workers = []
    try:
        call_command("migrate", verbosity=0)

        def start_worker():
            env = {**worker_settings, "DATABASE_URL": server.url("hub")}
            workers.append(Worker(env, worker_settings["HUB_TASK_QUEUE"]))
            return workers[-1]

        server.start_worker = start_worker
        yield server
    finally:
        for worker in workers:
            worker.stop()
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        server.close()


def test_a_redis_restart_loses_no_queued_or_running_run(private_redis, settings):
    # given one run in the middle of its work and three queued behind it, on a broker that
    # keeps nothing across a restart
    import redis

    settings.HUB_REQUEUE_AFTER_SECONDS = 1
    published = Published(settings.HUB_CONFIG_REPO)
    published.pipeline("f_busy", behaviour="sleep:5")
    published.pipeline("f_queued")
    private_redis.start_worker()
    busy = run_trigger(application=APP, pipeline_id="f_busy", params={})
    wait_for(lambda: _status(busy.id) == "running", timeout=60)
    queued = [run_trigger(application=APP, pipeline_id="f_queued", params={}) for _ in range(3)]
    broker = redis.Redis.from_url(private_redis.url)
    assert broker.llen(settings.HUB_TASK_QUEUE) == 3

    # when Redis restarts: every message is gone, the waiting ones and the running one's
    private_redis.restart()
    assert broker.llen(settings.HUB_TASK_QUEUE) == 0
    assert [_status(r.id) for r in queued] == ["queued"] * 3

    # then, with the reaper running as beat runs it, every run ends, each started once
    def all_final():
        execution.reap()
        return all(_status(r.id) in FINAL for r in [busy, *queued])

    wait_for(all_final, timeout=60, every=0.5)
    assert [_status(r.id) for r in [busy, *queued]] == ["succeeded"] * 4
    starts = (settings.HUB_DATA_ROOT / "out" / "f_queued.starts").read_text().split()
    assert sorted(starts) == sorted(str(r.id) for r in queued)
    assert (settings.HUB_DATA_ROOT / "out" / "f_busy.starts").read_text().split() == [str(busy.id)]
    assert not PipelineRun.objects.filter(status__in=("queued", "running")).exists()


def test_a_postgresql_restart_during_a_run_reconnects_and_records_its_end(
    private_postgres, settings
):
    # given a run in the middle of its work
    published = Published(settings.HUB_CONFIG_REPO)
    published.pipeline("f_long", behaviour="sleep:8")
    private_postgres.start_worker()
    run = run_trigger(application=APP, pipeline_id="f_long", params={})
    wait_for(lambda: _status(run.id) == "running", timeout=60)

    # when PostgreSQL restarts under it (every connection is dropped)
    private_postgres.restart()
    back = datetime.now(UTC)
    connection.close()

    # then the heartbeat reconnects while the run goes on ...
    beating = _tolerant(
        lambda: (
            (r := _row(run.id, "status", "heartbeat_at"))["heartbeat_at"] > back
            and r["status"] == "running"
        )
    )
    wait_for(beating, timeout=30)
    assert execution.reap() == 0

    # ... and the run's end is written after the server is back
    wait_for(_tolerant(lambda: _status(run.id) in FINAL), timeout=60)
    done = PipelineRun.objects.get(id=run.id)
    assert (done.status, done.error_category) == ("succeeded", "")
    assert done.finished_at > back
    assert PipelineRun.objects.filter(status="running").count() == 0


def test_a_run_whose_end_is_written_while_postgresql_is_down_is_written_when_it_is_back(
    private_postgres, settings
):
    # given a run about to end
    published = Published(settings.HUB_CONFIG_REPO)
    published.pipeline("f_ending", behaviour="sleep:3")
    private_postgres.start_worker()
    run = run_trigger(application=APP, pipeline_id="f_ending", params={})
    wait_for(lambda: _status(run.id) == "running", timeout=60)

    # when PostgreSQL is down at the moment the worker records the end
    connection.close()
    down = datetime.now(UTC)
    private_postgres.stop()
    time.sleep(4)  # the run ends while the server is away (not a speed assertion)
    private_postgres.start()

    # then the end is recorded once the server is back (the finish retries and reconnects)
    wait_for(_tolerant(lambda: _status(run.id) in FINAL), timeout=60)
    done = PipelineRun.objects.get(id=run.id)
    assert (done.status, done.error_category) == ("succeeded", "")
    assert done.finished_at > down

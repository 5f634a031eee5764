"""``kill -9`` of a Spark worker in the middle of a real Spark run (the engine's public API only,
through a real Celery worker): the run is reaped, retried, and its output is written once."""

import csv
import time
import uuid
from pathlib import Path

import pytest

from runs_app import execution
from runs_app.models import PipelineRun
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP, Published, Worker, wait_for

engine = pytest.importorskip("spark_runner.engine")
if not hasattr(engine, "run_pipeline"):
    pytest.skip("spark_runner.engine.run_pipeline is not there yet", allow_module_level=True)

pytestmark = [pytest.mark.spark, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROWS = 300_000  # enough for the write to take a moment, so the kill lands inside it
HEARTBEAT = 3


def _warehouse(base: Path) -> Path:
    return base.parent / "warehouse-kill"


def _pipeline(id):
    return (
        f'<pipeline id="{id}" version="1.0" layer="staging">'
        f'<sources><csv id="events" path="in/events.csv" header="true"/></sources>'
        f'<transformations><sort source="events" orderBy="id"/></transformations>'
        f'<targets><csv path="out/{id}" mode="append"/></targets></pipeline>'
    ).encode()


def _final(id):
    status = PipelineRun.objects.filter(id=id).values_list("status", flat=True).first()
    return status if status in ("succeeded", "failed", "skipped", "cancelled") else None


class Workers:
    """The module's Spark workers on one queue. A worker that outlives a test serves the next
    (its JVM is warm); ``live(n)`` starts new ones until ``n`` are running."""

    def __init__(self, worker_env):
        self.env = worker_env["env"]
        self.base = Path(self.env["HUB_DATA_ROOT"])
        self.queue = worker_env["queue"] + "-spark-kill"
        self.logs = self.base.parent / "spark-kill-logs"
        self.started: list[Worker] = []

    def start(self) -> Worker:
        env = {
            **self.env,
            "HUB_RUNNER": "",
            "HUB_TASK_QUEUE": self.queue,
            "HUB_CONTROL_QUEUE": self.queue + "-control",
            "HUB_HEARTBEAT_SECONDS": str(HEARTBEAT),
            # each worker its own Derby metastore folder (when no HUB_METASTORE_URL): the killed
            # JVM's is left as it died; one warehouse, where every attempt stages its Hive rows
            "HUB_VAR_DIR": str(self.base.parent / f"var-kill-{len(self.started)}"),
            "HUB_SPARK_WAREHOUSE": str(_warehouse(self.base)),
            "LOG_LEVEL": "INFO",
        }
        log = self.logs / f"{uuid.uuid4().hex[:8]}.log"
        self.started.append(Worker(env, self.queue, log=log))
        return self.started[-1]

    def live(self, n: int) -> list[Worker]:
        running = [w for w in self.started if w.process.poll() is None]
        return running + [self.start() for _ in range(n - len(running))]

    def holder(self, run_id) -> Worker:
        """The worker process running the run (``PipelineRun.worker`` ends with its pid)."""
        name = PipelineRun.objects.get(id=run_id).worker
        return next(w for w in self.started if name.endswith(f":{w.process.pid}"))


@pytest.fixture(scope="module")
def kill_workers(worker_env):
    workers = Workers(worker_env)
    inputs = workers.base / "applications" / APP / "in"
    inputs.mkdir(parents=True, exist_ok=True)
    with open(inputs / "events.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "city"])
        writer.writerows((i, f"näme {i}", "Zürich") for i in range(ROWS, 0, -1))
    workers.logs.mkdir(exist_ok=True)
    yield workers
    for worker in workers.started:
        worker.stop()


@pytest.fixture
def spark_workers(kill_workers, worker_env, settings, transactional_db):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://127.0.0.1:6379/15")
    settings.HUB_CONFIG_REPO = Path(worker_env["env"]["HUB_CONFIG_REPO"])
    settings.HUB_DATA_ROOT = kill_workers.base
    settings.HUB_TASK_QUEUE = kill_workers.queue
    settings.HUB_CONTROL_QUEUE = kill_workers.queue + "-control"
    settings.HUB_RUNNER = ""
    settings.HUB_HEARTBEAT_SECONDS = HEARTBEAT
    settings.HUB_LOST_RUN_RETRIES = 1
    return kill_workers


def _staging(out: Path, run_id) -> bool:
    """The engine stages a CSV target in ``.<name>.hub-tmp-<run>`` beside it while it writes."""
    return (out / f".k_events.hub-tmp-{run_id}").exists()


def test_a_spark_worker_killed_while_writing_is_reaped_retried_and_writes_once(
    spark_workers, settings
):
    # given a real Spark run in the middle of writing its (append mode) CSV target
    Published(settings.HUB_CONFIG_REPO).commit(
        {f"applications/{APP}/staging/pipelines/k_events.xml": _pipeline("k_events")}
    )
    out = settings.HUB_DATA_ROOT / "applications" / APP / "out"
    # two workers at once (a JVM start costs seconds): one takes the run, the other, idle until
    # then, takes the retry
    spark_workers.live(2)
    run = run_trigger(application=APP, pipeline_id="k_events", params={})
    wait_for(lambda: _staging(out, run.id), timeout=240, every=0.02)

    # when the worker (and its Spark JVM) is killed without a word
    victim = spark_workers.holder(run.id)
    victim.kill()
    killed_at = time.time()
    assert _final(run.id) is None  # it was still running

    # then the reaper (beat calls it every 0.25 interval; here every 0.5 s) ends it ...
    wait_for(lambda: execution.reap() or _final(run.id), timeout=30, every=0.5)
    lost = PipelineRun.objects.get(id=run.id)
    assert (lost.status, lost.error_category) == ("failed", "worker_lost")
    assert (lost.finished_at - lost.heartbeat_at).total_seconds() <= 2 * HEARTBEAT
    assert lost.finished_at.timestamp() >= killed_at - HEARTBEAT

    # ... retries it once (HUB_LOST_RUN_RETRIES) on the other worker ...
    retry = PipelineRun.objects.get(rerun_of=run)
    assert (retry.trigger, retry.attempt) == ("retry", 2)
    assert wait_for(lambda: _final(retry.id), timeout=240) == "succeeded"
    retry.refresh_from_db()
    assert spark_workers.holder(retry.id) is not victim
    assert retry.targets[0]["rows_written"] == ROWS

    # ... and the output holds every row once: the retry wrote under the first attempt's output
    # key (replacing whatever the killed attempt left), and no staging of the killed one remains
    target = out / "k_events"
    parts = sorted(p.name for p in target.iterdir() if p.name.startswith("part-"))
    assert parts and all(p.startswith(f"part-{run.id}") for p in parts)
    assert not [p for p in out.iterdir() if p.name.startswith(".k_events.hub-tmp-")]
    ids = []
    for part in parts:
        with open(target / part, encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["id", "name", "city"]
        ids += [int(r[0]) for r in rows[1:]]
        if part == parts[0]:
            # ids are strings (no inferSchema): sorted as text
            assert rows[1:3] == [["1", "näme 1", "Zürich"], ["10", "näme 10", "Zürich"]]
    assert len(ids) == ROWS and len(set(ids)) == ROWS
    assert not PipelineRun.objects.filter(status="running").exists()


def _retry_pipeline(id):
    """Two targets, Hive and CSV, staged side by side: both leave staging when killed."""
    return (
        f'<pipeline id="{id}" version="1.0" layer="staging">'
        f'<sources><csv id="events" path="in/events.csv" header="true"/></sources>'
        f'<transformations><sort source="events" orderBy="id"/></transformations>'
        f'<targets><hive table="retail_kill.{id}" mode="append"/>'
        f'<csv path="out/{id}" mode="append"/></targets></pipeline>'
    ).encode()


def _leftovers(out: Path, warehouse: Path, key="") -> list[str]:
    """Staging of the output key ``key`` (default: any): CSV ``.k_retry.hub-tmp-<key>[.<run>]``,
    Hive ``_hub_staging/<key>[.<run>]`` and version folders ``v-<key>[.<run>]``."""
    found = [p for p in out.glob(".k_retry.hub-tmp-*") if str(key) in p.name]
    found += [p for p in warehouse.glob("_hub_staging/*") if str(key) in p.name]
    found += [p for p in warehouse.glob("retail_kill.db/*/v-*") if str(key) in p.name]
    return sorted(str(p) for p in found if p.name != "v-base")


@pytest.mark.timeout(1500)  # three Spark workers start under load
def test_a_retry_killed_while_it_writes_leaves_no_staging_once_the_next_attempt_succeeds(
    spark_workers, settings
):
    # given a run whose first attempt was killed, and whose retry is killed while it writes
    # (CSV and Hive targets)
    settings.HUB_LOST_RUN_RETRIES = 2
    Published(settings.HUB_CONFIG_REPO).commit(
        {f"applications/{APP}/staging/pipelines/k_retry.xml": _retry_pipeline("k_retry")}
    )
    out = settings.HUB_DATA_ROOT / "applications" / APP / "out"
    warehouse = _warehouse(settings.HUB_DATA_ROOT)
    run = run_trigger(application=APP, pipeline_id="k_retry", params={})
    attempt = run
    for n in (1, 2):
        # the next attempt's worker warms its JVM while this attempt runs (two live at a time)
        spark_workers.live(2)
        tmp = out / (f".k_retry.hub-tmp-{run.id}" + (f".{attempt.id}" if n > 1 else ""))
        wait_for(tmp.exists, timeout=300, every=0.02)
        if n == 2:
            # the targets stage side by side: killed once both have staging on disk
            hive = warehouse / "_hub_staging" / f"{run.id}.{attempt.id}"
            assert wait_for(hive.exists, timeout=60, every=0.02)
        spark_workers.holder(attempt.id).kill()
        wait_for(lambda a=attempt: execution.reap() or _final(a.id), timeout=30, every=0.5)
        assert PipelineRun.objects.get(id=attempt.id).error_category == "worker_lost"
        attempt = PipelineRun.objects.get(rerun_of=attempt)
    assert _leftovers(out, warehouse, run.id)  # the killed retry's staging is there

    # when the third attempt runs to success
    assert wait_for(lambda: _final(attempt.id), timeout=300) == "succeeded"
    worker = spark_workers.holder(attempt.id)
    worker.stop()

    # then no staging of the run's output key (nor any other) is left, and every row is there once
    assert _leftovers(out, warehouse) == []
    attempt.refresh_from_db()
    assert [t["rows_written"] for t in attempt.targets] == [ROWS, ROWS]
    parts = [p for p in (out / "k_retry").iterdir() if p.name.startswith("part-")]
    assert parts and all(p.name.startswith(f"part-{run.id}") for p in parts)
    assert sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in parts) == ROWS

    # and the worker's log named the run on every line it wrote during it, the engine's too
    mine = [line for line in worker.lines() if line.get("run_id") == str(attempt.id)]
    assert {line["logger"] for line in mine} >= {"runs_app.execution", "spark_runner.engine"}
    assert all(line["pipeline"] == "k_retry" for line in mine)

"""End to end with the real engine: a Celery worker process runs pipelines through Spark."""

import csv
from pathlib import Path

import pytest

from runs_app.models import JobRun, PipelineRun
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP, Published, wait_for

engine = pytest.importorskip("spark_runner.engine")
if not hasattr(engine, "run_pipeline"):
    pytest.skip("spark_runner.engine.run_pipeline is not there yet", allow_module_level=True)

pytestmark = [pytest.mark.spark, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

ROWS = [("3", "Zoë", "fr"), ("1", "Ann", ""), ("2", "Bo", "de"), ("1", "Ann", "")]


def _pipeline(id, source="in/customers.csv"):
    return (
        f'<pipeline id="{id}" version="1.0" layer="staging">'
        f'<sources><csv id="customers" path="{source}" header="true"/></sources>'
        f'<transformations><deduplicate source="customers" keys="id"/>'
        f'<sort source="customers" orderBy="id"/></transformations>'
        f'<targets><csv path="out/{id}" mode="overwrite"/></targets></pipeline>'
    ).encode()


def _final(model, id):
    status = model.objects.filter(id=id).values_list("status", flat=True).first()
    return status if status in ("succeeded", "failed", "skipped", "cancelled") else None


@pytest.fixture(scope="module")
def spark_worker_process(worker_env):
    """One Spark worker for the module: its JVM starts once (a warm worker, as in production)."""
    from tests.runs_app.conftest import Worker

    data = Path(worker_env["env"]["HUB_DATA_ROOT"]) / "applications" / APP / "in"
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "customers.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "country"])
        writer.writerows(ROWS)
    queue = worker_env["queue"] + "-spark"
    worker = Worker({**worker_env["env"], "HUB_RUNNER": "", "HUB_TASK_QUEUE": queue}, queue)
    yield queue
    worker.stop()


@pytest.fixture
def spark_worker(spark_worker_process, worker_env, settings, transactional_db):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://127.0.0.1:6379/15")
    settings.HUB_CONFIG_REPO = Path(worker_env["env"]["HUB_CONFIG_REPO"])
    settings.HUB_DATA_ROOT = Path(worker_env["env"]["HUB_DATA_ROOT"])
    settings.HUB_TASK_QUEUE = spark_worker_process
    settings.HUB_RUNNER = ""


def _read_output(settings, id):
    folder = settings.HUB_DATA_ROOT / "applications" / APP / "out" / id
    rows = []
    for part in sorted(folder.glob("part-*")):
        with open(part, encoding="utf-8") as f:
            rows += [tuple(r) for r in csv.reader(f)][1:]
    return rows


def test_a_job_of_two_spark_pipelines_runs_to_success_with_step_metrics(spark_worker, settings):
    published = Published(settings.HUB_CONFIG_REPO)
    published.commit(
        {
            f"applications/{APP}/staging/pipelines/s_first.xml": _pipeline("s_first"),
            f"applications/{APP}/staging/pipelines/s_second.xml": _pipeline("s_second"),
            f"applications/{APP}/service/jobs/s_job.xml": (
                b'<jobPipeline id="s_job" version="1.0"><pipelines>'
                b'<pipelineRef id="s_first"/><pipelineRef id="s_second" dependsOn="s_first"/>'
                b"</pipelines></jobPipeline>"
            ),
        }
    )

    job = run_trigger(application=APP, job_id="s_job", params={})

    assert wait_for(lambda: _final(JobRun, job.id), timeout=240) == "succeeded"
    first = PipelineRun.objects.get(job_run=job, pipeline_id="s_first")
    # the record holds what the engine measured (its counts are the engine's tests' business)
    assert [s["tag"] for s in first.steps] == ["deduplicate", "sort"]
    assert first.sources[0]["rows"] == 4
    assert first.targets[0]["kind"] == "csv"
    assert first.worker and first.heartbeat_at and first.started_at < first.finished_at
    assert _read_output(settings, "s_first") == [
        ("1", "Ann", ""),
        ("2", "Bo", "de"),
        ("3", "Zoë", "fr"),
    ]


def test_a_missing_source_fails_the_run_with_a_located_error(spark_worker, settings):
    Published(settings.HUB_CONFIG_REPO).commit(
        {
            f"applications/{APP}/staging/pipelines/s_missing.xml": _pipeline(
                "s_missing", "in/nope.csv"
            )
        }
    )

    run = run_trigger(application=APP, pipeline_id="s_missing", params={})

    assert wait_for(lambda: _final(PipelineRun, run.id), timeout=240) == "failed"
    run.refresh_from_db()
    assert run.error_category == "source_missing"
    assert "customers" in run.error_where


def _jvms(group: int) -> set[int]:
    """Java processes in a worker's process group (the worker is started in its own session)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        if comm == "java" and int(fields[2]) == group:
            found.add(int(stat.parent.name))
    return found


def test_a_spark_worker_starts_its_jvm_when_it_starts_and_again_when_the_jvm_dies(worker_env):
    import os
    import signal

    from tests.runs_app.conftest import Worker

    queue = worker_env["queue"] + "-warm"
    env = {**worker_env["env"], "HUB_RUNNER": "", "HUB_TASK_QUEUE": queue}
    worker = Worker({**env, "HUB_SPARK_WARMUP_SECONDS": "1"}, queue)
    try:
        # no run was sent: the worker starts its session by itself
        first = wait_for(lambda: _jvms(worker.process.pid), timeout=240)
        assert len(first) == 1
        os.kill(next(iter(first)), signal.SIGKILL)
        # a new JVM, without waiting for a run
        second = wait_for(lambda: _jvms(worker.process.pid) - first, timeout=240)
        assert len(second) == 1
        assert worker.process.poll() is None
    finally:
        worker.stop()

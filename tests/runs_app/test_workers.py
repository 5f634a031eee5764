"""Real Celery worker processes on Redis and the test PostgreSQL database (fake runner)."""

import pytest

from runs_app import execution
from runs_app.models import JobRun, PipelineRun
from runs_app.services import run_cancel, run_trigger
from tests.runs_app.conftest import APP, Published, wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _status(model, id):
    return model.objects.filter(id=id).values_list("status", flat=True).first()


def _final(model, id):
    status = _status(model, id)
    return status if status in ("succeeded", "failed", "skipped", "cancelled") else None


def test_a_worker_runs_a_job_node_by_node_to_success(celery_workers, settings):
    celery_workers()
    published = Published(settings.HUB_CONFIG_REPO)
    published.pipeline("w_extract")
    published.pipeline("w_load")
    published.job("w_job", [("w_extract", ""), ("w_load", 'dependsOn="w_extract"')])

    job = run_trigger(application=APP, job_id="w_job", params={})

    assert wait_for(lambda: _final(JobRun, job.id)) == "succeeded"
    runs = PipelineRun.objects.filter(job_run=job).order_by("started_at")
    assert [(r.pipeline_id, r.status) for r in runs] == [
        ("w_extract", "succeeded"),
        ("w_load", "succeeded"),
    ]
    assert runs[1].started_at >= runs[0].finished_at


def test_cancelling_a_running_run_stops_it_in_the_worker(celery_workers, settings):
    celery_workers()
    published = Published(settings.HUB_CONFIG_REPO)
    published.pipeline("w_slow", behaviour="sleep:60")
    run = run_trigger(application=APP, pipeline_id="w_slow", params={})
    wait_for(lambda: _status(PipelineRun, run.id) == "running")

    run_cancel(PipelineRun.objects.get(id=run.id))

    assert wait_for(lambda: _final(PipelineRun, run.id)) == "cancelled"
    assert PipelineRun.objects.get(id=run.id).error_category == "cancelled"


def test_a_worker_killed_mid_run_is_reaped_and_the_run_retried_once(celery_workers, settings):
    # given a run in the middle of its work
    settings.HUB_LOST_RUN_RETRIES = 1
    worker = celery_workers()
    published = Published(settings.HUB_CONFIG_REPO)
    published.pipeline("w_crash", behaviour="sleep:8")
    run = run_trigger(application=APP, pipeline_id="w_crash", params={})
    starts = settings.HUB_DATA_ROOT / "out" / "w_crash.starts"
    wait_for(lambda: starts.exists() and str(run.id) in starts.read_text())  # the runner began

    # when its worker dies without a word, and the reaper runs as beat would
    worker.kill()
    wait_for(lambda: execution.reap() or _final(PipelineRun, run.id), every=0.5)
    celery_workers()  # a fresh worker picks up the retry

    # then the run ended as lost, and its retry ran to the end, once
    lost = PipelineRun.objects.get(id=run.id)
    assert (lost.status, lost.error_category) == ("failed", "worker_lost")
    retry = PipelineRun.objects.get(rerun_of=run)
    assert wait_for(lambda: _final(PipelineRun, retry.id)) == "succeeded"
    assert retry.attempt == 2
    out = settings.HUB_DATA_ROOT / "out"
    assert (out / "w_crash.starts").read_text().split() == [str(run.id), str(retry.id)]
    assert (out / "w_crash.txt").read_text().splitlines() == [lost.params["runDate"]]
    assert not PipelineRun.objects.filter(status="running").exists()


def test_a_workers_log_is_json_lines_naming_the_run_of_each_line_it_wrote_during_a_run(
    celery_workers, settings, tmp_path
):
    # given a worker whose output goes to a file
    log = tmp_path / "worker.log"
    worker = celery_workers(log=log)
    published = Published(settings.HUB_CONFIG_REPO)
    published.pipeline("w_logged")
    published.pipeline("w_failing", behaviour="fail")

    # when it runs two pipelines
    runs = [
        run_trigger(application=APP, pipeline_id=id, params={}) for id in ("w_logged", "w_failing")
    ]
    for run in runs:
        wait_for(lambda run=run: _final(PipelineRun, run.id))
    worker.stop()

    # then its output is JSON lines, and each run's lines carry the run, application, pipeline
    lines = worker.lines()
    assert lines, log.read_text()
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    for run, end in zip(runs, ("run succeeded", "run failed"), strict=True):
        mine = [line for line in lines if line.get("run_id") == str(run.id)]
        assert {line["message"].split(" (")[0] for line in mine} >= {"run started", end}, lines
        assert all(
            (line["application"], line["pipeline"]) == (APP, run.pipeline_id) for line in mine
        )
    # Celery's own lines went through the same formatter (it did not take over the root logger)
    assert not [line for line in log.read_text().splitlines() if line.startswith("[20")]

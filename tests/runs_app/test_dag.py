"""The job state machine and its failure policies, with a fake runner and an in-process queue."""

import pytest

from runs_app.models import JobRun, PipelineRun
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db


def _nodes(job):
    return {n.node_id: (n.state, n.attempts) for n in job.nodes.all()}


def _run_job(published, run_queue, job_id):
    job = run_trigger(application=APP, job_id=job_id, params={}, trigger="manual")
    run_queue.drain()
    job.refresh_from_db()
    return job


def test_a_chain_runs_in_dependency_order_and_succeeds(published, run_queue):
    # given
    for p in ("extract", "clean", "publish"):
        published.pipeline(p)
    published.job(
        "nightly",
        [("extract", ""), ("clean", 'dependsOn="extract"'), ("publish", 'dependsOn="clean"')],
    )
    # when
    job = _run_job(published, run_queue, "nightly")
    # then
    assert job.status == "succeeded"
    assert _nodes(job) == {
        "extract": ("succeeded", 1),
        "clean": ("succeeded", 1),
        "publish": ("succeeded", 1),
    }
    order = list(
        PipelineRun.objects.filter(job_run=job)
        .order_by("started_at")
        .values_list("pipeline_id", flat=True)
    )
    assert order == ["extract", "clean", "publish"]


def test_retry_runs_again_and_shows_every_attempt(published, run_queue):
    published.pipeline("flaky", behaviour="fail-until:3")
    published.job("j", [("flaky", 'onFailure="retry" maxRetries="3"')])

    job = _run_job(published, run_queue, "j")

    assert job.status == "succeeded"
    assert _nodes(job) == {"flaky": ("succeeded", 3)}
    attempts = list(
        PipelineRun.objects.filter(job_run=job)
        .order_by("attempt")
        .values_list("attempt", "status", "trigger")
    )
    assert attempts == [(1, "failed", "manual"), (2, "failed", "retry"), (3, "succeeded", "retry")]


def test_retry_gives_up_after_max_retries_and_halts(published, run_queue):
    published.pipeline("broken", behaviour="fail")
    published.pipeline("after")
    published.job(
        "j", [("broken", 'onFailure="retry" maxRetries="1"'), ("after", 'dependsOn="broken"')]
    )

    job = _run_job(published, run_queue, "j")

    assert job.status == "failed"
    assert _nodes(job) == {"broken": ("failed", 2), "after": ("skipped", 0)}


def test_halt_stops_the_job_and_skips_what_did_not_start(published, run_queue):
    published.pipeline("a", behaviour="fail")
    published.pipeline("b")
    published.pipeline("c")
    # b is independent of a but queued after it; halt skips everything not yet started
    published.job("j", [("a", 'onFailure="halt"'), ("c", 'dependsOn="a"'), ("b", 'dependsOn="c"')])

    job = _run_job(published, run_queue, "j")

    assert job.status == "failed"
    assert _nodes(job) == {"a": ("failed", 1), "c": ("skipped", 0), "b": ("skipped", 0)}
    assert "a" in job.error_message


def test_skip_skips_dependents_and_independent_branches_go_on(published, run_queue):
    for p, b in (("a", "fail"), ("a2", "ok"), ("b", "ok"), ("b2", "ok")):
        published.pipeline(p, behaviour=b)
    published.job(
        "j",
        [
            ("a", 'onFailure="skip"'),
            ("a2", 'dependsOn="a"'),
            ("b", ""),
            ("b2", 'dependsOn="b"'),
        ],
    )

    job = _run_job(published, run_queue, "j")

    assert _nodes(job) == {
        "a": ("failed", 1),
        "a2": ("skipped", 0),
        "b": ("succeeded", 1),
        "b2": ("succeeded", 1),
    }
    assert job.status == "failed"


def test_continue_runs_dependents_as_if_the_node_had_succeeded(published, run_queue):
    published.pipeline("a", behaviour="fail")
    published.pipeline("b")
    published.job("j", [("a", 'onFailure="continue"'), ("b", 'dependsOn="a"')])

    job = _run_job(published, run_queue, "j")

    assert _nodes(job) == {"a": ("failed", 1), "b": ("succeeded", 1)}
    assert job.status == "failed"  # documented: the status stays truthful


def test_fallback_runs_the_named_pipeline_in_the_nodes_place(published, run_queue):
    published.pipeline("primary", behaviour="fail")
    published.pipeline("backup")
    published.pipeline("after")
    published.job(
        "j",
        [("primary", 'onFailure="fallback" fallback="backup"'), ("after", 'dependsOn="primary"')],
    )

    job = _run_job(published, run_queue, "j")

    assert job.status == "succeeded"
    node = job.nodes.get(node_id="primary")
    assert (node.state, node.fallback_used, node.pipeline_id) == ("succeeded", True, "backup")
    runs = PipelineRun.objects.filter(job_run=job, job_node="primary").order_by("attempt")
    assert [(r.pipeline_id, r.status) for r in runs] == [
        ("primary", "failed"),
        ("backup", "succeeded"),
    ]
    assert job.nodes.get(node_id="after").state == "succeeded"


def test_job_parameters_reach_every_pipeline_that_declares_them(published, run_queue):
    published.pipeline("a", parameters=[("region", "eu")])
    published.pipeline("b")
    published.job("j", [("a", ""), ("b", "")], parameters=[("region", "eu")])

    job = run_trigger(application=APP, job_id="j", params={"region": "us", "runDate": "2026-01-02"})
    run_queue.drain()

    a = PipelineRun.objects.get(job_run=job, pipeline_id="a")
    b = PipelineRun.objects.get(job_run=job, pipeline_id="b")
    assert a.params["region"] == "us" and a.params["runDate"] == "2026-01-02"
    assert "region" not in b.params and b.params["runDate"] == "2026-01-02"


def test_a_finish_reported_twice_starts_the_next_node_once(published, run_queue):
    from runs_app import dag

    published.pipeline("a")
    published.pipeline("b")
    published.job("j", [("a", ""), ("b", 'dependsOn="a"')])
    job = run_trigger(application=APP, job_id="j", params={})
    run_queue.drain(limit=1)
    a = PipelineRun.objects.get(job_run=job, pipeline_id="a")

    dag.on_run_finished(a)  # a duplicate finish

    assert PipelineRun.objects.filter(job_run=job, pipeline_id="b").count() == 1
    run_queue.drain()
    assert JobRun.objects.get(id=job.id).status == "succeeded"


def test_cancelling_a_job_cancels_its_runs_and_skips_the_rest(published, run_queue):
    from runs_app.services import run_cancel

    published.pipeline("a")
    published.pipeline("b")
    published.job("j", [("a", ""), ("b", 'dependsOn="a"')])
    job = run_trigger(application=APP, job_id="j", params={})

    job = run_cancel(job)
    run_queue.drain()

    job.refresh_from_db()
    assert job.status == "cancelled"
    assert _nodes(job) == {"a": ("cancelled", 1), "b": ("skipped", 0)}
    assert PipelineRun.objects.get(job_run=job).status == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_two_branches_finishing_at_once_start_their_join_once(published, run_queue):
    import threading

    from django.db import connection

    from runs_app.services import run_finish

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (DATABASE_URL)")
    # given two running branches a and b, and c waiting for both
    for p in ("a", "b", "c"):
        published.pipeline(p)
    published.job("j", [("a", ""), ("b", ""), ("c", 'dependsOn="a,b"')])
    job = run_trigger(application=APP, job_id="j", params={})
    run_queue.clear()
    runs = list(PipelineRun.objects.filter(job_run=job))
    PipelineRun.objects.filter(job_run=job).update(status="running")
    barrier = threading.Barrier(2)

    def finish(run):
        barrier.wait()
        run_finish(run.id, status="succeeded")
        connection.close()

    # when both finish at the same moment
    threads = [threading.Thread(target=finish, args=(r,)) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then c was started exactly once
    assert PipelineRun.objects.filter(job_run=job, pipeline_id="c").count() == 1
    assert job.nodes.get(node_id="c").state == "running"

"""REST API for runs, for every persona: operators act, other members read, outsiders see 404."""

import pytest
from rest_framework.test import APIClient

from pipelines_app.models import AuditEvent
from pipelines_app.testing import make_personas
from runs_app.models import PipelineRun
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_personas(APP)


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("persona", "code"),
    [("olga", 202), ("admin", 202), ("alice", 403), ("bob", 403), ("mallory", 404)],
)
def test_only_operators_trigger_runs(published, run_queue, cast, persona, code):
    published.pipeline("load")

    response = _client(getattr(cast, persona)).post(
        "/api/v1/runs/", {"application": APP, "pipeline": "load"}, format="json"
    )

    assert response.status_code == code
    assert PipelineRun.objects.count() == (1 if code == 202 else 0)


def test_a_trigger_answers_202_and_is_audited(published, run_queue, cast):
    published.pipeline("load", parameters=[("region", "eu")])

    response = _client(cast.olga).post(
        "/api/v1/runs/",
        {"application": APP, "pipeline": "load", "params": {"region": "us"}},
        format="json",
    )

    run = PipelineRun.objects.get()
    assert response.json() == {"id": str(run.id), "kind": "pipeline", "status": "queued"}
    event = AuditEvent.objects.get(action="run.trigger")
    assert (event.actor, event.target) == (cast.olga, f"pipeline-run:{run.id}")


def test_an_unknown_parameter_is_a_400_with_the_declared_ones(published, run_queue, cast):
    published.pipeline("load", parameters=[("region", "eu")])

    response = _client(cast.olga).post(
        "/api/v1/runs/",
        {"application": APP, "pipeline": "load", "params": {"regoin": "us"}},
        format="json",
    )

    assert response.status_code == 400
    assert "unknown parameter regoin" in response.json()["detail"]
    assert "declared parameters: region" in response.json()["detail"]


def test_naming_both_pipeline_and_job_is_a_400(published, run_queue, cast):
    response = _client(cast.olga).post(
        "/api/v1/runs/", {"application": APP, "pipeline": "a", "job": "b"}, format="json"
    )

    assert response.status_code == 400


def test_the_list_pages_by_cursor_and_filters(published, run_queue, cast):
    published.pipeline("load")
    published.pipeline("other")
    client = _client(cast.alice)  # a reader
    ids = [
        str(_client(cast.olga).post(
            "/api/v1/runs/", {"application": APP, "pipeline": p}, format="json"
        ).json()["id"])
        for p in ("load", "load", "load", "other")
    ]  # fmt: skip

    first = client.get("/api/v1/runs/", {"pipeline": "load", "limit": 2}).json()
    second = client.get(first["next"]).json()

    assert [r["id"] for r in first["results"]] == [ids[2], ids[1]]
    assert [r["id"] for r in second["results"]] == [ids[0]]
    assert second["next"] is None
    assert client.get("/api/v1/runs/", {"status": "succeeded"}).json()["results"] == []
    assert client.get("/api/v1/runs/", {"status": "nope"}).status_code == 400
    assert client.get("/api/v1/runs/", {"cursor": "garbage"}).status_code == 400
    assert _client(cast.mallory).get("/api/v1/runs/").json()["results"] == []


def test_the_detail_shows_steps_targets_error_sla_and_attempts(published, run_queue, cast):
    published.pipeline("load", behaviour="fail", sla="PT1H")
    run_id = (
        _client(cast.olga)
        .post("/api/v1/runs/", {"application": APP, "pipeline": "load"}, format="json")
        .json()["id"]
    )
    run_queue.drain()

    detail = _client(cast.bob).get(f"/api/v1/runs/{run_id}/").json()

    assert detail["status"] == "failed"
    assert detail["steps"][0]["tag"] == "sort"
    assert detail["error"]["message"] == "deliberate failure of load"
    assert detail["sla"]["status"] == "missed"  # failed before its deadline: not met
    assert [a["attempt"] for a in detail["attempts"]] == [1]
    assert _client(cast.mallory).get(f"/api/v1/runs/{run_id}/").status_code == 404


def test_cancel_and_rerun_need_an_operator(published, run_queue, cast):
    published.pipeline("load")
    run_id = (
        _client(cast.olga)
        .post("/api/v1/runs/", {"application": APP, "pipeline": "load"}, format="json")
        .json()["id"]
    )

    assert _client(cast.alice).post(f"/api/v1/runs/{run_id}/cancel/").status_code == 403
    cancelled = _client(cast.olga).post(f"/api/v1/runs/{run_id}/cancel/")
    again = _client(cast.olga).post(f"/api/v1/runs/{run_id}/cancel/")
    rerun = _client(cast.olga).post(
        f"/api/v1/runs/{run_id}/rerun/", {"commit": "latest"}, format="json"
    )

    assert (cancelled.status_code, cancelled.json()["status"]) == (202, "cancelled")
    assert again.status_code == 409
    assert (rerun.status_code, rerun.json()["rerun_of"]) == (202, run_id)
    assert AuditEvent.objects.filter(action__in=["run.cancel", "run.rerun"]).count() == 2


def test_a_job_is_triggered_and_shows_its_nodes(published, run_queue, cast):
    published.pipeline("a")
    published.pipeline("b")
    published.job("j", [("a", ""), ("b", 'dependsOn="a"')])

    job_id = (
        _client(cast.olga)
        .post("/api/v1/runs/", {"application": APP, "job": "j"}, format="json")
        .json()["id"]
    )
    run_queue.drain()

    detail = _client(cast.olga).get(f"/api/v1/runs/{job_id}/").json()
    assert detail["status"] == "succeeded"
    assert [(n["node"], n["state"], n["attempts"]) for n in detail["nodes"]] == [
        ("a", "succeeded", 1),
        ("b", "succeeded", 1),
    ]

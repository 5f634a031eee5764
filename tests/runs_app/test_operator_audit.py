"""Every operator action leaves exactly one audit line (actor, IP, user agent, run id), whether
it came from a page or from the API; a refused action leaves none."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from pipelines_app.models import AuditEvent
from pipelines_app.testing import make_personas
from runs_app.models import PipelineRun
from tests.runs_app.conftest import APP
from tests.runs_app.pages import alert, pipeline_run

pytestmark = pytest.mark.django_db

AGENT = "Mozilla/5.0 (operator's laptop)"
IP = "203.0.113.9"


@pytest.fixture
def cast():
    return make_personas(APP)


def page_client(user):
    client = Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=IP)
    client.force_login(user)
    return client


def api_client(user):
    client = APIClient(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=IP)
    client.force_authenticate(user)
    return client


def only_line(action):
    lines = list(AuditEvent.objects.filter(action=action))
    assert len(lines) == 1, [(e.action, e.target) for e in AuditEvent.objects.all()]
    (line,) = lines
    return line


def assert_from_olga(line, run_id, via):
    assert (line.actor_name, line.ip, line.user_agent) == ("olga", IP, AGENT)
    assert line.details["run_id"] == str(run_id)
    assert line.details["via"] == via
    assert AuditEvent.objects.count() == 1


def test_run_now_on_the_page_is_one_audit_line(cast, published, run_queue):
    published.pipeline("daily_sales")
    form = {"application": APP, "definition": "pipeline:daily_sales", "submit": "1"}
    page_client(cast.olga).post(reverse("runs:run_new"), form)
    run = PipelineRun.objects.get()
    line = only_line("run.trigger")
    assert_from_olga(line, run.id, "page")
    assert line.target == f"pipeline-run:{run.id}"


def test_a_trigger_through_the_api_is_one_audit_line(cast, published, run_queue):
    published.pipeline("daily_sales")
    body = {"application": APP, "pipeline": "daily_sales"}
    api_client(cast.olga).post("/api/v1/runs/", body, format="json")
    assert_from_olga(only_line("run.trigger"), PipelineRun.objects.get().id, "api")


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_cancel_is_one_audit_line(cast, via):
    run = pipeline_run(application=APP, status="queued")
    if via == "page":
        page_client(cast.olga).post(reverse("runs:run_cancel", args=[run.id]))
    else:
        api_client(cast.olga).post(f"/api/v1/runs/{run.id}/cancel/")
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert_from_olga(only_line("run.cancel"), run.id, via)


@pytest.mark.parametrize("via", ["page", "api"])
def test_a_rerun_is_one_audit_line_naming_both_runs(cast, published, run_queue, via):
    published.pipeline("daily_sales")
    head = published.repo.head("main")
    failed = pipeline_run(
        application=APP,
        pipeline_id="daily_sales",
        status="failed",
        config_commit=head,
        params={"runDate": "2026-11-26"},
    )
    if via == "page":
        page_client(cast.olga).post(reverse("runs:run_rerun", args=[failed.id]))
    else:
        api_client(cast.olga).post(f"/api/v1/runs/{failed.id}/rerun/", {}, format="json")
    new = PipelineRun.objects.get(rerun_of=failed)
    line = only_line("run.rerun")
    assert_from_olga(line, new.id, via)
    assert line.details["rerun_of"] == str(failed.id)


def test_acknowledging_an_alert_is_one_audit_line_and_again_is_none(cast):
    run = pipeline_run(application=APP, status="failed")
    notice = alert(run)
    client = page_client(cast.olga)
    client.post(reverse("runs:alert_acknowledge", args=[notice.id]))
    client.post(reverse("runs:alert_acknowledge", args=[notice.id]))
    line = only_line("alert.acknowledge")
    assert_from_olga(line, run.id, "page")
    assert line.target == f"alert:{notice.id}"


def test_a_refused_action_leaves_no_audit_line(cast):
    done = pipeline_run(application=APP, status="succeeded")
    api_client(cast.olga).post(f"/api/v1/runs/{done.id}/cancel/")  # already finished: 409
    page_client(cast.alice).post(reverse("runs:run_cancel", args=[done.id]))  # not an operator
    assert not AuditEvent.objects.exists()

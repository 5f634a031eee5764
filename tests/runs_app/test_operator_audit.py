"""Every operator action leaves exactly one audit line (actor, IP, user agent, run id), whether
it came from a page or from the API; a refused action leaves none."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from pipelines_app.models import AuditEvent
from pipelines_app.testing import make_personas
from runs_app.models import Alert, PipelineRun
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


def test_a_backfill_on_the_page_queues_a_run_per_day_and_is_one_audit_line(
    cast, published, run_queue
):
    published.pipeline("daily_sales")
    form = {
        "application": APP,
        "definition": "pipeline:daily_sales",
        "runDate": "2026-11-01",
        "through": "2026-11-03",
        "submit": "1",
    }
    response = page_client(cast.olga).post(reverse("runs:run_new"), form)
    runs = list(PipelineRun.objects.order_by("params__runDate"))
    assert response.status_code == 302 and "pipeline=daily_sales" in response.url
    assert [r.params["runDate"] for r in runs] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert {r.trigger for r in runs} == {"backfill"} and len(run_queue) == 3
    line = only_line("run.backfill")
    assert (line.actor_name, line.ip, line.user_agent) == ("olga", IP, AGENT)
    assert line.details["run_ids"] == [str(r.id) for r in runs]
    assert line.target == f"pipeline:{APP}/daily_sales"
    assert AuditEvent.objects.count() == 1


def test_a_backfill_through_the_api_is_one_audit_line(cast, published, run_queue):
    published.pipeline("daily_sales")
    body = {"application": APP, "pipeline": "daily_sales", "first": "2026-11-01"}
    response = api_client(cast.olga).post(
        "/api/v1/runs/backfill/", {**body, "last": "2026-11-02"}, format="json"
    )
    assert response.status_code == 202
    ids = [r["id"] for r in response.json()["runs"]]
    line = only_line("run.backfill")
    assert line.details["run_ids"] == ids and line.details["via"] == "api"


@pytest.mark.parametrize(
    ("first", "last", "why"),
    [("2026-11-03", "2026-11-01", "before the first"), ("2026-01-01", "2026-12-31", "at once")],
)
def test_a_backfill_backwards_or_too_long_queues_nothing(
    cast, published, run_queue, first, last, why
):
    published.pipeline("daily_sales")
    body = {"application": APP, "pipeline": "daily_sales", "first": first, "last": last}
    response = api_client(cast.olga).post("/api/v1/runs/backfill/", body, format="json")
    assert response.status_code == 400 and why in str(response.json())
    assert not PipelineRun.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize(("persona", "code"), [("alice", 403), ("mallory", 404)])
def test_only_operators_backfill(cast, published, run_queue, persona, code):
    published.pipeline("daily_sales")
    body = {"application": APP, "pipeline": "daily_sales", "first": "2026-11-01"}
    client = api_client(getattr(cast, persona))
    response = client.post("/api/v1/runs/backfill/", {**body, "last": "2026-11-02"}, format="json")
    assert response.status_code == code
    assert not PipelineRun.objects.exists()


# The endpoints the tests above drive; a new state-changing endpoint needs its test here too.
AUDITED_API = {"api-runs", "api-runs-backfill", "api-run-cancel", "api-run-rerun"}
AUDITED_PAGES = {"run_new", "run_cancel", "run_rerun", "alert_acknowledge"}


def test_every_state_changing_endpoint_of_runs_has_its_audit_test_above():
    from runs_app import urls as page_urls
    from runs_app.api import urls as api_urls

    posting = {
        p.name
        for p in api_urls.urlpatterns
        if any(hasattr(p.callback.view_class, m) for m in ("post", "put", "patch", "delete"))
    }
    assert posting == AUDITED_API
    # every other page only reads: a POST to it changes no row
    client = Client()
    client.force_login(make_personas(APP).admin)
    run = pipeline_run(application=APP, status="failed")
    notice = alert(run)
    rows = (PipelineRun.objects.count(), Alert.objects.count(), AuditEvent.objects.count())
    for p in page_urls.urlpatterns:
        if p.name in AUDITED_PAGES:
            continue
        args = {"run_id": run.id, "alert_id": notice.id}
        kwargs = {k: v for k, v in args.items() if k in str(p.pattern)}
        client.post(reverse(f"runs:{p.name}", kwargs=kwargs))
    after = (PipelineRun.objects.count(), Alert.objects.count(), AuditEvent.objects.count())
    assert after == rows
    assert Alert.objects.get(id=notice.id).acknowledged is False
    assert {p.name for p in page_urls.urlpatterns} >= AUDITED_PAGES

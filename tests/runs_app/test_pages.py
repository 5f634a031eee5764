"""The run pages through Django's test client: who sees what, who may act, and bad input."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pipelines_app.testing import make_personas
from runs_app import selectors
from runs_app.models import Alert, PipelineRun
from tests.runs_app.pages import alert, job_run, pipeline_run

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cast():
    return make_personas("sales")


def page(client, user, url, **extra):
    client.force_login(user)
    return client.get(url, **extra)


@pytest.mark.parametrize("who", ["alice", "bob", "olga", "admin"])
def test_every_page_answers_for_each_member_of_the_application(client, cast, who):
    # given
    run = pipeline_run(status="failed")
    alert(run)
    job = job_run(nodes=[("a", "succeeded", (), 1), ("b", "running", ("a",), 2)])
    urls = [
        reverse("runs:run_list"),
        reverse("runs:run_detail", args=[run.id]),
        reverse("runs:run_detail", args=[job.id]),
        reverse("runs:alerts"),
        reverse("runs:dashboard"),
        reverse("runs:run_new"),
    ]
    client.force_login(getattr(cast, who))
    # when / then
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url


def test_a_member_sees_runs_of_their_applications_only(client, cast):
    mine = pipeline_run(pipeline_id="customer_load")
    pipeline_run(application=cast.other.name, pipeline_id="secret_pipeline")
    response = page(client, cast.alice, reverse("runs:run_list"))
    assert mine.pipeline_id in response.text
    assert "secret_pipeline" not in response.text


def test_an_outsider_gets_404_for_a_run_alert_or_action_of_another_application(client, cast):
    run = pipeline_run(status="queued")
    notice = alert(run)
    client.force_login(cast.mallory)
    assert client.get(reverse("runs:run_detail", args=[run.id])).status_code == 404
    assert client.post(reverse("runs:run_cancel", args=[run.id])).status_code == 404
    assert client.post(reverse("runs:alert_acknowledge", args=[notice.id])).status_code == 404
    assert "customer_load" not in client.get(reverse("runs:alerts")).text


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_authors_and_reviewers_may_not_cancel_rerun_or_acknowledge(client, cast, who):
    queued, failed = pipeline_run(status="queued"), pipeline_run(status="failed")
    notice = alert(failed)
    client.force_login(getattr(cast, who))
    assert client.post(reverse("runs:run_cancel", args=[queued.id])).status_code == 403
    assert client.post(reverse("runs:run_rerun", args=[failed.id])).status_code == 403
    assert client.post(reverse("runs:alert_acknowledge", args=[notice.id])).status_code == 403
    assert client.post(reverse("runs:run_new"), {"application": "sales"}).status_code == 403
    queued.refresh_from_db()
    assert queued.status == "queued"
    detail = client.get(reverse("runs:run_detail", args=[failed.id])).text
    assert "Rerun on same commit" not in detail


@pytest.mark.parametrize(
    "query",
    [
        "status=exploded",
        "range=forever",
        "application=nope",
        "before=not-a-cursor",
        "before=2026-13-45T00:00_zzz",
        "pipeline=%3Cscript%3Ealert(1)%3C/script%3E",
        "message=" + "x" * 5000,
        "category=%00",
    ],
)
def test_bad_filter_input_is_explained_not_a_500(client, cast, query):
    pipeline_run()
    response = page(client, cast.alice, reverse("runs:run_list") + "?" + query)
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text


def test_filters_narrow_the_list_by_status_pipeline_and_time(client, cast):
    pipeline_run(pipeline_id="orders_load", status="failed")
    pipeline_run(pipeline_id="customer_load", status="succeeded")
    response = page(client, cast.alice, reverse("runs:run_list") + "?status=failed&range=24h")
    assert "orders_load" in response.text and ">customer_load<" not in response.text
    response = client.get(reverse("runs:run_list") + "?pipeline=customer_load")
    assert ">customer_load<" in response.text and ">orders_load<" not in response.text


def test_older_runs_are_reached_page_by_page_without_repeats(client, cast, monkeypatch):
    # given five runs and pages of two
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    runs = [pipeline_run(pipeline_id=f"p{i}") for i in range(5)]
    seen, url = [], reverse("runs:run_list") + "?application=sales"
    client.force_login(cast.alice)
    # when
    for _ in range(5):
        if not url:
            break
        response = client.get(url)
        seen += [r.pipeline_id for r in response.context["runs"]]
        cursor = response.context["next_cursor"]
        url = reverse("runs:run_list") + f"?application=sales&before={cursor}" if cursor else None
    # then
    assert sorted(seen) == sorted(r.pipeline_id for r in runs) and len(seen) == 5


def test_a_running_row_is_served_alone_to_htmx_and_polls_until_the_run_ends(client, cast):
    run = pipeline_run(status="running")
    target = {**HTMX, "HTTP_HX_TARGET": f"row-{run.id}"}
    response = page(client, cast.alice, reverse("runs:run_detail", args=[run.id]), **target)
    assert response.text.lstrip().startswith(f'<tr id="row-{run.id}"')
    assert 'hx-trigger="every 2s"' in response.text
    PipelineRun.objects.filter(id=run.id).update(status="succeeded")
    response = client.get(reverse("runs:run_detail", args=[run.id]), **target)
    assert "succeeded" in response.text and "hx-trigger" not in response.text


def test_the_detail_shows_error_steps_targets_and_attempts(client, cast):
    first = pipeline_run(status="failed")
    again = pipeline_run(status="succeeded", rerun_of=first, trigger="rerun", attempt=1)
    text = page(client, cast.olga, reverse("runs:run_detail", args=[first.id])).text
    assert "schema mismatch" in text and "source customers" in text
    assert "<summary>Traceback</summary>" in text and "AnalysisException" in text
    assert str(again.id)[:8] in text and "repeats this run" in text
    text = client.get(reverse("runs:run_detail", args=[again.id])).text
    assert "staging.customer" in text and "1,100" in text and "Step durations" in text


def test_a_job_run_draws_its_graph_with_node_states_and_attempts(client, cast):
    job = job_run(nodes=[("extract", "succeeded", (), 1), ("load", "running", ("extract",), 2)])
    text = page(client, cast.alice, reverse("runs:run_detail", args=[job.id])).text
    assert 'data-node="load"' in text and "running · attempt 2" in text
    assert 'hx-trigger="every 2s"' in text


def test_an_operator_cancels_a_queued_run(client, cast):
    run = pipeline_run(status="queued")
    client.force_login(cast.olga)
    response = client.post(reverse("runs:run_cancel", args=[run.id]), follow=True)
    run.refresh_from_db()
    assert run.status == "cancelled"
    assert "Cancelled." in response.text


def test_cancelling_a_finished_run_says_why_not(client, cast):
    run = pipeline_run(status="succeeded")
    client.force_login(cast.olga)
    response = client.post(reverse("runs:run_cancel", args=[run.id]), follow=True)
    assert "Not cancelled" in response.text and "already finished" in response.text


def test_an_operator_acknowledges_an_alert_and_the_unread_count_drops(client, cast):
    notice = alert(pipeline_run(status="failed"))
    alert(pipeline_run(status="failed"), message="second")
    client.force_login(cast.olga)
    response = client.post(reverse("runs:alert_acknowledge", args=[notice.id]), **HTMX)
    assert response.status_code == 200
    assert f'id="alert-{notice.id}"' in response.text and "acknowledged by olga" in response.text
    assert 'hx-swap-oob="true"' in response.text and "1 unread" in response.text
    assert Alert.objects.get(id=notice.id).acknowledged


def test_the_dashboard_counts_runs_sla_and_failure_reasons(client, cast):
    later = timezone.now() + timedelta(hours=1)
    pipeline_run(status="succeeded", sla_deadline=later)
    pipeline_run(status="failed", sla_deadline=later)
    pipeline_run(status="failed")
    pipeline_run(status="running")
    response = page(client, cast.alice, reverse("runs:dashboard"))
    assert response.context["per_day_total"] == 4 and response.context["per_day_failed"] == 2
    [row] = response.context["compliance"]
    assert (row["row"].application, row["row"].met, row["row"].missed) == ("sales", 1, 1)
    assert row["row"].percent == 50.0
    assert response.context["reasons"][0]["count"] == 2
    assert "category=schema_mismatch" in response.text
    assert len(response.context["running"]) == 1


def test_the_failure_reason_link_filters_the_run_list_to_those_failures(client, cast):
    pipeline_run(status="failed", pipeline_id="broken")
    pipeline_run(status="failed", pipeline_id="other_error", error_category="connection")
    reason = selectors.message_prefix(PipelineRun.objects.get(pipeline_id="broken").error_message)
    client.force_login(cast.alice)
    response = client.get(
        reverse("runs:run_list"),
        {"status": "failed", "category": "schema_mismatch", "message": reason},
    )
    names = [r.pipeline_id for r in response.context["runs"]]
    assert names == ["broken"]


def test_the_filter_form_gets_the_table_alone_when_htmx_asks_for_it(client, cast):
    pipeline_run(status="failed", pipeline_id="orders_load")
    client.force_login(cast.alice)
    response = client.get(
        reverse("runs:run_list"),
        {"status": "failed"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="run-table",
    )
    assert response.text.lstrip().startswith('<div id="run-table">')
    assert "orders_load" in response.text and "<html" not in response.text
    assert "HX-Request" in response["Vary"]


def test_a_running_job_refreshes_its_live_part_until_it_ends(client, cast):
    job = job_run(status="running", nodes=[("a", "running", (), 1)])
    target = {**HTMX, "HTTP_HX_TARGET": "run-live"}
    response = page(client, cast.alice, reverse("runs:run_detail", args=[job.id]), **target)
    assert response.text.lstrip().startswith('<div id="run-live"')
    assert 'hx-trigger="every 2s"' in response.text and "<html" not in response.text
    type(job).objects.filter(id=job.id).update(status="succeeded")
    assert "hx-trigger" not in client.get(reverse("runs:run_detail", args=[job.id]), **target).text


def test_an_empty_list_says_how_to_get_a_first_run(client, cast):
    text = page(client, cast.olga, reverse("runs:run_list")).text
    assert "No runs yet." in text and "wait for its schedule" in text and "Run now" in text


def test_the_run_list_costs_the_same_queries_for_one_job_or_many(client, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("runs:run_list")).status_code == 200
        return len(captured)

    client.force_login(cast.alice)
    job = job_run(status="succeeded")
    pipeline_run(job_run=job, job_node="a")
    one = queries()
    for _ in range(5):
        more = job_run(status="succeeded")
        pipeline_run(job_run=more, job_node="a")
        pipeline_run(job_run=more, job_node="b")
    assert queries() == one


def test_runs_inside_jobs_can_be_hidden_to_see_top_level_runs_only(client, cast):
    job = job_run(job_id="nightly", status="succeeded")
    pipeline_run(job_run=job, job_node="inner_step", pipeline_id="inner_step")
    pipeline_run(pipeline_id="standalone")
    client.force_login(cast.alice)
    names = [r.name for r in client.get(reverse("runs:run_list"), {"top": "1"}).context["runs"]]
    assert sorted(names) == ["nightly", "standalone"]
    names = [r.name for r in client.get(reverse("runs:run_list")).context["runs"]]
    assert sorted(names) == ["inner_step", "nightly", "standalone"]

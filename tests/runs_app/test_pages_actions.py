"""Run now and rerun through the pages, against a real config repository (``published``)."""

import pytest
from django.urls import reverse

from pipelines_app.testing import make_personas
from runs_app.models import JobRun, PipelineRun
from tests.runs_app.conftest import APP
from tests.runs_app.pages import pipeline_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_personas(APP)


def test_run_now_offers_what_main_publishes_and_its_parameters(client, cast, published):
    # given
    published.pipeline("daily_sales", parameters=[("region", "eu")])
    published.job("nightly", [("daily_sales", "")])
    client.force_login(cast.olga)
    # when
    url = reverse("runs:run_new") + f"?application={APP}&pipeline=daily_sales"
    response = client.get(url)
    # then
    assert response.status_code == 200
    assert "daily_sales (pipeline, staging)" in response.text
    assert "nightly (job, service)" in response.text
    assert 'name="param_region" value="eu"' in response.text
    assert 'name="runDate"' in response.text


def test_run_now_answers_htmx_with_the_form_alone(client, cast, published):
    published.pipeline("daily_sales")
    client.force_login(cast.olga)
    response = client.get(
        reverse("runs:run_new"),
        {"application": APP, "definition": "pipeline:daily_sales"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="run-form",
    )
    assert response.text.lstrip().startswith('<form id="run-form"')
    assert "Run daily_sales now" in response.text


def test_an_operator_runs_a_pipeline_now_and_lands_on_its_page(client, cast, published, run_queue):
    published.pipeline("daily_sales", parameters=[("region", "eu")])
    client.force_login(cast.olga)
    form = {
        "application": APP,
        "definition": "pipeline:daily_sales",
        "runDate": "2026-11-20",
        "param_region": "ünïcode-north",
        "submit": "1",
    }
    response = client.post(reverse("runs:run_new"), form)
    run = PipelineRun.objects.get()
    assert response.status_code == 302 and response.url == f"/runs/{run.id}/"
    assert run.params["region"] == "ünïcode-north" and run.params["runDate"] == "2026-11-20"
    assert run.trigger == "manual" and run.triggered_by == cast.olga
    assert len(run_queue) == 1


def test_an_operator_runs_a_job_now(client, cast, published, run_queue):
    published.pipeline("daily_sales")
    published.job("nightly", [("daily_sales", "")])
    client.force_login(cast.olga)
    form = {"application": APP, "definition": "job:nightly", "submit": "1"}
    response = client.post(reverse("runs:run_new"), form)
    job = JobRun.objects.get()
    assert response.url == f"/runs/{job.id}/"
    assert client.get(response.url).status_code == 200


def test_run_now_explains_a_bad_date_and_keeps_the_form(client, cast, published, run_queue):
    published.pipeline("daily_sales")
    client.force_login(cast.olga)
    form = {"application": APP, "definition": "pipeline:daily_sales", "runDate": "26/11/2026"}
    response = client.post(reverse("runs:run_new"), form | {"submit": "1"})
    assert response.status_code == 200
    assert "Enter a valid date" in response.text
    assert not PipelineRun.objects.exists()


def test_run_now_with_a_pipeline_deleted_from_main_says_so(client, cast, published, run_queue):
    published.pipeline("daily_sales")
    client.force_login(cast.olga)
    form = {"application": APP, "definition": "pipeline:gone", "submit": "1"}
    response = client.post(reverse("runs:run_new"), form)
    assert response.status_code == 200
    assert "Choose a pipeline or job published on main" in response.text


def test_an_operator_reruns_a_failed_run_on_its_commit_or_on_the_latest(
    client, cast, published, run_queue
):
    # given a failed run on the first commit, and a newer commit on main
    first = published.pipeline("daily_sales")
    failed = pipeline_run(
        application=APP,
        pipeline_id="daily_sales",
        status="failed",
        config_commit=first,
        params={"runDate": "2026-11-26"},
    )
    latest = published.pipeline("daily_sales", parameters=[("region", "eu")])
    client.force_login(cast.olga)
    # when
    same = client.post(reverse("runs:run_rerun", args=[failed.id]), {"commit": "same"})
    newer = client.post(reverse("runs:run_rerun", args=[failed.id]), {"commit": "latest"})
    # then
    reruns = PipelineRun.objects.filter(rerun_of=failed).order_by("queued_at")
    assert [r.config_commit for r in reruns] == [first, latest]
    assert same.url == f"/runs/{reruns[0].id}/" and newer.url == f"/runs/{reruns[1].id}/"
    assert all(r.trigger == "rerun" for r in reruns)
    page = client.get(same.url, follow=True).text
    assert "Rerun queued on its own commit" in page
    assert f'href="/runs/{failed.id}/"' in page


def test_an_operator_reruns_with_changed_parameters(client, cast, published, run_queue):
    commit = published.pipeline("daily_sales", parameters=[("region", "eu")])
    failed = pipeline_run(
        application=APP, pipeline_id="daily_sales", status="failed", config_commit=commit
    )
    client.force_login(cast.olga)
    form = {"with_params": "1", "commit": "same", "param_region": "us", "runDate": "2026-01-31"}
    client.post(reverse("runs:run_rerun", args=[failed.id]), form)
    rerun = PipelineRun.objects.get(rerun_of=failed)
    assert rerun.params["region"] == "us" and rerun.params["runDate"] == "2026-01-31"


def test_a_rerun_with_an_unknown_parameter_is_refused_with_the_reason(
    client, cast, published, run_queue
):
    commit = published.pipeline("daily_sales")
    failed = pipeline_run(
        application=APP, pipeline_id="daily_sales", status="failed", config_commit=commit
    )
    client.force_login(cast.olga)
    form = {"with_params": "1", "commit": "same", "param_nonsense": "1"}
    response = client.post(reverse("runs:run_rerun", args=[failed.id]), form, follow=True)
    assert "Not rerun: unknown parameter nonsense" in response.text
    assert not PipelineRun.objects.filter(rerun_of=failed).exists()

"""/metrics reads the database: every web process reports the same numbers."""

import pytest
from django.test import RequestFactory
from prometheus_client.parser import text_string_to_metric_families

from runs_app.metrics import metrics_view
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db


def test_metrics_count_runs_failures_durations_breaches_and_the_queue(
    published, run_queue, settings
):
    published.pipeline("good")
    published.pipeline("bad", behaviour="fail")
    for p in ("good", "good", "bad"):
        run_trigger(application=APP, pipeline_id=p, params={})
    run_queue.drain()
    run_trigger(application=APP, pipeline_id="good", params={})  # stays queued

    settings.HUB_METRICS_TOKEN = "scrape-me"
    scrape = RequestFactory().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me")
    text = metrics_view(scrape).content.decode()

    assert (
        'pipeline_runs_total{application="retail",pipeline="good",status="succeeded"} 2.0' in text
    )
    assert 'pipeline_runs_total{application="retail",pipeline="good",status="queued"} 1.0' in text
    assert 'pipeline_failures_total{application="retail",pipeline="bad"} 1.0' in text
    assert 'pipeline_duration_seconds_count{application="retail",pipeline="good"} 2.0' in text
    assert (
        'pipeline_duration_seconds_bucket{application="retail",le="+Inf",pipeline="good"} 2.0'
        in text
    )
    assert 'pipeline_queue_depth{application="retail"} 1.0' in text
    assert "pipeline_sla_breaches_total" in text
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert families["pipeline_duration_seconds"] == "histogram"
    assert families["pipeline_runs"] == families["pipeline_failures"] == "counter"
    assert families["pipeline_queue_depth"] == "gauge"


@pytest.mark.parametrize(
    ("who", "header", "expected"),
    [
        ("anonymous", "", 401),
        ("anonymous", "Bearer wrong", 401),
        ("anonymous", "Token scrape-me", 401),
        ("anonymous", "Bearer scrape-me", 200),
        ("member", "", 404),
        ("staff", "", 200),
    ],
)
def test_metrics_answer_only_the_scraper_token_or_a_staff_session(
    settings, client, who, header, expected
):
    from pipelines_app.testing import make_user

    settings.HUB_METRICS_TOKEN = "scrape-me"
    if who != "anonymous":
        client.force_login(make_user(who, staff=who == "staff"))

    response = client.get("/metrics", HTTP_AUTHORIZATION=header)

    assert response.status_code == expected
    assert (b"pipeline_runs_total" in response.content) == (expected == 200)


def test_without_a_configured_token_no_bearer_opens_metrics(settings, client):
    settings.HUB_METRICS_TOKEN = ""

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401

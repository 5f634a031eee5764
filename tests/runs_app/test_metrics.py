"""/metrics reads the database: every web process reports the same numbers."""

import pytest
from django.test import RequestFactory
from prometheus_client.parser import text_string_to_metric_families

from runs_app.metrics import metrics_view
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db


def test_metrics_count_runs_failures_durations_breaches_and_the_queue(published, run_queue):
    published.pipeline("good")
    published.pipeline("bad", behaviour="fail")
    for p in ("good", "good", "bad"):
        run_trigger(application=APP, pipeline_id=p, params={})
    run_queue.drain()
    run_trigger(application=APP, pipeline_id="good", params={})  # stays queued

    text = metrics_view(RequestFactory().get("/metrics")).content.decode()

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

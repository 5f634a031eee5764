"""Prometheus metrics read from the database at scrape time, so every web process reports the
same numbers (no per-process counters). Served by ``metrics_view`` at ``/metrics``.

- ``pipeline_runs_total{application,pipeline,status}``: finished and active runs by status
- ``pipeline_failures_total{application,pipeline}``
- ``pipeline_duration_seconds{application,pipeline}``: histogram of finished runs' durations
- ``pipeline_sla_breaches_total{application,pipeline}``
- ``pipeline_queue_depth{application}``: runs queued, not yet started
- ``pipeline_runs_running{application}``
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from runs_app.models import PipelineRun

BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)


class RunCollector:
    def collect(self):
        runs = CounterMetricFamily(
            "pipeline_runs", "Pipeline runs by status", labels=["application", "pipeline", "status"]
        )
        failures = CounterMetricFamily(
            "pipeline_failures", "Failed pipeline runs", labels=["application", "pipeline"]
        )
        breaches = CounterMetricFamily(
            "pipeline_sla_breaches", "Pipeline runs that breached their SLA",
            labels=["application", "pipeline"],
        )  # fmt: skip
        by_status = (
            PipelineRun.objects.values("application", "pipeline_id", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        failed: dict = {}
        for row in by_status:
            key = (row["application"], row["pipeline_id"])
            runs.add_metric([*key, row["status"]], row["n"])
            if row["status"] == "failed":
                failed[key] = row["n"]
        for key, n in failed.items():
            failures.add_metric(list(key), n)
        breached = (
            PipelineRun.objects.filter(sla_status="breached")
            .values("application", "pipeline_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in breached:
            breaches.add_metric([row["application"], row["pipeline_id"]], row["n"])
        yield runs
        yield failures
        yield breaches
        yield self._durations()
        yield from self._active()

    def _durations(self):
        histogram = HistogramMetricFamily(
            "pipeline_duration_seconds",
            "Duration of finished pipeline runs",
            labels=["application", "pipeline"],
        )
        duration = ExpressionWrapper(
            F("finished_at") - F("started_at"), output_field=DurationField()
        )
        aggregates = {
            f"le_{b}": Count("id", filter=Q(d__lte=timedelta(seconds=b))) for b in BUCKETS
        }
        rows = (
            PipelineRun.objects.filter(finished_at__isnull=False, started_at__isnull=False)
            .annotate(d=duration)
            .values("application", "pipeline_id")
            .annotate(n=Count("id"), total=Sum("d"), **aggregates)
            .order_by()
        )
        for row in rows:
            buckets = [(str(float(b)), row[f"le_{b}"]) for b in BUCKETS] + [("+Inf", row["n"])]
            total = row["total"].total_seconds() if row["total"] else 0.0
            histogram.add_metric([row["application"], row["pipeline_id"]], buckets, total)
        return histogram

    def _active(self):
        depth = GaugeMetricFamily(
            "pipeline_queue_depth", "Pipeline runs queued, not started", labels=["application"]
        )
        running = GaugeMetricFamily(
            "pipeline_runs_running", "Pipeline runs running now", labels=["application"]
        )
        rows = (
            PipelineRun.objects.filter(status__in=("queued", "running"))
            .values("application", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            (depth if row["status"] == "queued" else running).add_metric(
                [row["application"]], row["n"]
            )
        yield depth
        yield running


def render() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector())
    return generate_latest(registry)


def metrics_view(request):
    """``/metrics`` in the Prometheus text format (restrict it at the proxy if private)."""
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)

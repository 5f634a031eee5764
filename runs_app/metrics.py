"""Prometheus metrics read from the database at scrape time, so every web process reports the
same numbers (no per-process counters, no per-process cache). Served by ``metrics_view`` at
``/metrics``. The counters come from the ``RunTotal`` rollup (a few rows per pipeline, kept by
``runs_app.rollups`` as runs end), the gauges from the partial index of active runs: no scrape
reads the run table.

- ``pipeline_runs_total{application,pipeline,status}``: ended runs by status, plus active ones
- ``pipeline_failures_total{application,pipeline}``
- ``pipeline_duration_seconds{application,pipeline}``: histogram of ended runs' durations
- ``pipeline_sla_breaches_total{application,pipeline}``: ended runs that missed their SLA
  (failed, cancelled, skipped or late)
- ``pipeline_sla_met_total{application,pipeline}``: ended runs that succeeded by their deadline
- ``pipeline_queue_depth{application}``: runs queued, not yet started
- ``pipeline_runs_running{application}``
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from runs_app.models import ACTIVE, DURATION_BUCKETS, PipelineRun, RunTotal
from runs_app.rollups import BUCKET_COLUMNS, COUNTS


class RunCollector:
    def collect(self):
        labels = ["application", "pipeline"]
        runs = CounterMetricFamily(
            "pipeline_runs", "Pipeline runs by status", labels=[*labels, "status"]
        )
        failures = CounterMetricFamily("pipeline_failures", "Failed pipeline runs", labels=labels)
        breaches = CounterMetricFamily(
            "pipeline_sla_breaches",
            "Pipeline runs that missed their SLA (failed, cancelled, skipped or late)",
            labels=labels,
        )
        met = CounterMetricFamily(
            "pipeline_sla_met", "Pipeline runs that succeeded by their SLA deadline", labels=labels
        )
        histogram = HistogramMetricFamily(
            "pipeline_duration_seconds", "Duration of ended pipeline runs", labels=labels
        )
        by_status: dict[tuple, int] = {}
        per_pipeline: dict[tuple, dict] = {}
        for row in RunTotal.objects.filter(kind="pipeline").values(
            "application", "name", "sla", "status", *COUNTS
        ):
            key = (row["application"], row["name"])
            status_key = (*key, row["status"])
            by_status[status_key] = by_status.get(status_key, 0) + row["runs"]
            sums = per_pipeline.setdefault(
                key, dict.fromkeys((*COUNTS, "failed", "met", "missed"), 0)
            )
            for column in COUNTS:
                sums[column] += row[column]
            if row["status"] == "failed":
                sums["failed"] += row["runs"]
            if row["sla"] in ("met", "missed"):
                sums[row["sla"]] += row["runs"]
        active = (
            PipelineRun.objects.filter(status__in=ACTIVE)
            .values("application", "pipeline_id", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        active = list(active)
        for row in active:
            key = (row["application"], row["pipeline_id"], row["status"])
            by_status[key] = by_status.get(key, 0) + row["n"]
        for key, n in sorted(by_status.items()):
            runs.add_metric(list(key), n)
        for key, sums in sorted(per_pipeline.items()):
            if sums["failed"]:
                failures.add_metric(list(key), sums["failed"])
            if sums["missed"]:
                breaches.add_metric(list(key), sums["missed"])
            if sums["met"]:
                met.add_metric(list(key), sums["met"])
            if sums["timed"]:
                cumulative, buckets = 0, []
                for bound, column in zip(DURATION_BUCKETS, BUCKET_COLUMNS, strict=False):
                    cumulative += sums[column]
                    buckets.append((str(float(bound)), cumulative))
                buckets.append(("+Inf", sums["timed"]))
                histogram.add_metric(list(key), buckets, sums["seconds"])
        yield from (runs, failures, breaches, met, histogram)
        yield from self._active(active)

    def _active(self, rows):
        depth = GaugeMetricFamily(
            "pipeline_queue_depth", "Pipeline runs queued, not started", labels=["application"]
        )
        running = GaugeMetricFamily(
            "pipeline_runs_running", "Pipeline runs running now", labels=["application"]
        )
        per_app: dict[tuple, int] = {}
        for row in rows:
            key = (row["application"], row["status"])
            per_app[key] = per_app.get(key, 0) + row["n"]
        for (application, status), n in sorted(per_app.items()):
            (depth if status == "queued" else running).add_metric([application], n)
        yield depth
        yield running


def render() -> bytes:
    """The metrics text, computed for each scrape (a few milliseconds from the rollups)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunCollector())
    return generate_latest(registry)


def metrics_view(request):
    """``/metrics`` in the Prometheus text format (restrict it at the proxy if private)."""
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)

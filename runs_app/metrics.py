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

import hmac
import threading
import time
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from runs_app.conf import get
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
            .annotate(n=Count("id"), breached=Count("id", filter=Q(sla_status="breached")))
            .order_by()
        )
        failed: dict = {}
        breached: dict = {}
        for row in by_status:
            key = (row["application"], row["pipeline_id"])
            runs.add_metric([*key, row["status"]], row["n"])
            if row["status"] == "failed":
                failed[key] = row["n"]
            if row["breached"]:
                breached[key] = breached.get(key, 0) + row["breached"]
        for key, n in failed.items():
            failures.add_metric(list(key), n)
        for key, n in breached.items():
            breaches.add_metric(list(key), n)
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


_lock = threading.Lock()
_cached: tuple[float, bytes] | None = None


def render(max_age: float | None = None) -> bytes:
    """The metrics text; reused for ``HUB_METRICS_CACHE_SECONDS`` (15) within a process, since
    the grouped counts read the whole run table (about 1 s at a million runs)."""
    global _cached
    max_age = get("HUB_METRICS_CACHE_SECONDS") if max_age is None else max_age
    with _lock:  # one computation at a time per process; concurrent scrapes share it
        if _cached and time.monotonic() - _cached[0] < max_age:
            return _cached[1]
        registry = CollectorRegistry(auto_describe=False)
        registry.register(RunCollector())
        text = generate_latest(registry)
        _cached = (time.monotonic(), text)
        return text


def metrics_view(request):
    """``/metrics`` in the Prometheus text format, for ``Authorization: Bearer
    <HUB_METRICS_TOKEN>`` or a staff session; 401 without credentials, 404 to other users."""
    user = getattr(request, "user", None)
    if not (_scraper(request) or (user is not None and user.is_active and user.is_staff)):
        if user is not None and user.is_authenticated:
            raise Http404("No such page")
        response = HttpResponse("metrics need a bearer token\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)


def _scraper(request) -> bool:
    expected = get("HUB_METRICS_TOKEN")
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())

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

import hmac

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpResponse

from runs_app.models import ACTIVE, DURATION_BUCKETS, PipelineRun, RunTotal
from runs_app.rollups import BUCKET_COLUMNS, COUNTS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _number(value: float) -> str:
    return repr(float(value))


class Exposition:
    """The Prometheus text format (version 0.0.4), written directly: the metrics have a fixed
    shape, and at a few thousand series this is ten times quicker than prometheus_client's
    generic writer."""

    def __init__(self):
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines.append(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n")

    def sample(self, name: str, labels: str, value: float) -> None:
        self.lines.append(f"{name}{{{labels}}} {_number(value)}\n")

    def text(self) -> bytes:
        return "".join(self.lines).encode()


def _pipeline_labels(application: str, pipeline: str) -> str:
    return f'application="{_label(application)}",pipeline="{_label(pipeline)}"'


def _ended_runs() -> tuple[dict, dict]:
    """(runs per (application, pipeline, status), sums per (application, pipeline))."""
    by_status: dict[tuple, int] = {}
    per_pipeline: dict[tuple, dict] = {}
    columns = ("application", "name", "sla", "status", *COUNTS)
    for row in RunTotal.objects.filter(kind="pipeline").values_list(*columns):
        application, name, sla, status = row[:4]
        counts = dict(zip(COUNTS, row[4:], strict=True))
        key = (application, name)
        by_status[(*key, status)] = by_status.get((*key, status), 0) + counts["runs"]
        sums = per_pipeline.setdefault(key, dict.fromkeys((*COUNTS, "failed", "met", "missed"), 0))
        for column in COUNTS:
            sums[column] += counts[column]
        if status == "failed":
            sums["failed"] += counts["runs"]
        if sla in ("met", "missed"):
            sums[sla] += counts["runs"]
    return by_status, per_pipeline


def render() -> bytes:
    """The metrics text, computed for each scrape from the rollups and the active runs."""
    by_status, per_pipeline = _ended_runs()
    active = (
        PipelineRun.objects.filter(status__in=ACTIVE)
        .values_list("application", "pipeline_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_app: dict[tuple, int] = {}
    for application, pipeline, status, n in active:
        key = (application, pipeline, status)
        by_status[key] = by_status.get(key, 0) + n
        per_app[(application, status)] = per_app.get((application, status), 0) + n
    out = Exposition()
    out.family("pipeline_runs_total", "counter", "Pipeline runs by status")
    for (application, pipeline, status), n in sorted(by_status.items()):
        labels = f'{_pipeline_labels(application, pipeline)},status="{_label(status)}"'
        out.sample("pipeline_runs_total", labels, n)
    pipelines = sorted(per_pipeline.items())
    counters = (
        ("pipeline_failures_total", "failed", "Failed pipeline runs"),
        (
            "pipeline_sla_breaches_total",
            "missed",
            "Pipeline runs that missed their SLA (failed, cancelled, skipped or late)",
        ),
        ("pipeline_sla_met_total", "met", "Pipeline runs that succeeded by their SLA deadline"),
    )
    for name, column, help_text in counters:
        out.family(name, "counter", help_text)
        for key, sums in pipelines:
            if sums[column]:
                out.sample(name, _pipeline_labels(*key), sums[column])
    name = "pipeline_duration_seconds"
    out.family(name, "histogram", "Duration of ended pipeline runs")
    for key, sums in pipelines:
        if not sums["timed"]:
            continue
        labels = _pipeline_labels(*key)
        application, pipeline = (_label(k) for k in key)
        cumulative = 0
        for bound, column in zip(DURATION_BUCKETS, BUCKET_COLUMNS, strict=False):
            cumulative += sums[column]
            le = f'application="{application}",le="{float(bound)}",pipeline="{pipeline}"'
            out.sample(f"{name}_bucket", le, cumulative)
        le = f'application="{application}",le="+Inf",pipeline="{pipeline}"'
        out.sample(f"{name}_bucket", le, sums["timed"])
        out.sample(f"{name}_count", labels, sums["timed"])
        out.sample(f"{name}_sum", labels, sums["seconds"])
    for name, status, help_text in (
        ("pipeline_queue_depth", "queued", "Pipeline runs queued, not started"),
        ("pipeline_runs_running", "running", "Pipeline runs running now"),
    ):
        out.family(name, "gauge", help_text)
        for (application, state), n in sorted(per_app.items()):
            if state == status:
                out.sample(name, f'application="{_label(application)}"', n)
    return out.text()


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
    return HttpResponse(render(), content_type=CONTENT_TYPE)


def _scraper(request) -> bool:
    expected = settings.HUB_METRICS_TOKEN
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())

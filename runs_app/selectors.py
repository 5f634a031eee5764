"""Reads of run state for the pages and the API: filtered, keyset-paginated lists and details.

Keyset pagination on ``(queued_at, id)`` descending: a page is one index range scan, however deep
(``run_app_queued``, ``run_status_queued``, ``run_pipeline_queued`` serve the filters).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from runs_app.models import Alert, JobRun, PipelineRun


class BadCursor(ValueError):
    pass


def encode_cursor(run) -> str:
    raw = f"{run.queued_at.isoformat()}|{run.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, run_id = raw.split("|", 1)
        when = parse_datetime(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor("cursor is not one this API returned") from None
    if when is None:
        raise BadCursor("cursor is not one this API returned")
    return when, run_id


@dataclass
class Page:
    items: list
    next_cursor: str | None


def run_list(
    *,
    applications: list[str] | None,
    application: str | None = None,
    pipeline: str | None = None,
    job: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str = "pipeline",
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Runs newest first. ``applications`` limits what the caller may see (None = all)."""
    model = JobRun if kind == "job" else PipelineRun
    qs = model.objects.all()
    if applications is not None:
        qs = qs.filter(application__in=applications)
    if application:
        qs = qs.filter(application=application)
    if pipeline and kind != "job":
        qs = qs.filter(pipeline_id=pipeline)
    if job:
        qs = qs.filter(job_id=job) if kind == "job" else qs.filter(job_run__job_id=job)
    if status:
        qs = qs.filter(status=status)
    if since:
        qs = qs.filter(queued_at__gte=since)
    if until:
        qs = qs.filter(queued_at__lt=until)
    if cursor:
        when, run_id = decode_cursor(cursor)
        qs = qs.filter(Q(queued_at__lt=when) | Q(queued_at=when, id__lt=run_id))
    items = list(qs.order_by("-queued_at", "-id")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return Page(items, encode_cursor(items[-1]) if more and items else None)


def run_get(run_id) -> PipelineRun | JobRun | None:
    """A pipeline run or a job run by id, or None."""
    run = PipelineRun.objects.select_related("job_run", "rerun_of").filter(id=run_id).first()
    return run or JobRun.objects.filter(id=run_id).first()


def run_attempts(run: PipelineRun) -> list[PipelineRun]:
    """Every attempt of the same job node (or the retry chain of a lone run), oldest first."""
    if run.job_run_id:
        return list(
            PipelineRun.objects.filter(job_run_id=run.job_run_id, job_node=run.job_node).order_by(
                "attempt", "queued_at"
            )
        )
    chain, seen = [run], {run.id}
    first = run
    while first.rerun_of_id and first.trigger == "retry" and first.rerun_of_id not in seen:
        first = PipelineRun.objects.get(id=first.rerun_of_id)
        seen.add(first.id)
        chain.insert(0, first)
    nxt = run
    while True:
        retry = PipelineRun.objects.filter(rerun_of=nxt, trigger="retry").first()
        if retry is None or retry.id in seen:
            break
        seen.add(retry.id)
        chain.append(retry)
        nxt = retry
    return chain


def job_nodes(job: JobRun) -> list:
    return list(job.nodes.select_related("current_run").order_by("position"))


def alerts_for(applications: list[str] | None, *, acknowledged: bool = False, limit: int = 100):
    qs = Alert.objects.filter(acknowledged=acknowledged)
    if applications is not None:
        qs = qs.filter(application__in=applications)
    return list(qs.select_related("run", "job_run")[:limit])


def run_alerts(run) -> list[Alert]:
    return list(run.alerts.all())

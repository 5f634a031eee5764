"""Creating runs: a queued ``PipelineRun`` of a published pipeline, its parameters checked and
its SLA deadline set, enqueued once the transaction commits. Used by the trigger services, the
job DAG (nodes, retries, fallbacks) and the reaper (a lost run's retry)."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta

import isodate
from django.utils import timezone

from runs_app import definitions, messages
from runs_app.models import JobRun, PipelineRun

log = logging.getLogger(__name__)


class RunRefused(Exception):
    """A trigger, cancel or rerun that cannot be done; the message says why and what to do."""


class UnknownParameter(RunRefused):
    pass


BUILTIN_PARAMETERS = ("runDate", "runId", "application", "pipelineId")
# Set by the portal for every run; a caller may only choose runDate.
PORTAL_SET = ("runId", "application", "pipelineId")


def check_params(definition, params: dict | None, kind: str, id: str, *, day: date) -> dict:
    """The run's parameters: ``params`` checked against what ``definition`` declares, with its
    defaults, and ``runDate`` (``day`` unless given)."""
    declared = {p.name: p.default for p in definition.parameters}
    params = dict(params or {})
    unknown = sorted(set(params) - set(declared) - set(BUILTIN_PARAMETERS))
    if unknown:
        names = ", ".join(sorted(declared)) or "none"
        raise UnknownParameter(
            f"unknown parameter {', '.join(unknown)} for {kind} {id}; declared parameters: "
            f"{names}; built-in: {', '.join(BUILTIN_PARAMETERS)}"
        )
    portal_set = sorted(set(params) & set(PORTAL_SET))
    if portal_set:
        raise UnknownParameter(f"{', '.join(portal_set)} is set by the portal and cannot be given")
    for name, value in params.items():
        if not isinstance(value, (str, int, float, bool)):
            raise RunRefused(f"parameter {name} must be a string, not {type(value).__name__}")
        params[name] = str(value)
    if "runDate" in params:
        try:
            datetime.strptime(params["runDate"], "%Y-%m-%d")
        except ValueError:
            raise RunRefused(f"runDate must be yyyy-mm-dd, not {params['runDate']!r}") from None
    for name, default in declared.items():
        if default is not None:
            params.setdefault(name, default)
    params.setdefault("runDate", day.isoformat())
    return params


def sla_deadline(definition, anchor: datetime) -> datetime | None:
    sla = getattr(definition.metadata, "sla", None)
    if not sla:
        return None
    try:
        duration = isodate.parse_duration(sla)
    except (isodate.ISO8601Error, ValueError):
        log.warning("ignoring an unreadable sla %r", sla)
        return None
    if not isinstance(duration, timedelta):
        duration = duration.totimedelta(start=anchor)
    return anchor + duration


def enqueue(run: PipelineRun, countdown: float = 0) -> None:
    messages.send_on_commit(messages.EXECUTE_RUN, [str(run.id)], countdown)


def new_pipeline_run(
    *,
    application: str,
    pipeline_id: str,
    commit: str,
    params: dict,
    trigger: str,
    user=None,
    job_run: JobRun | None = None,
    job_node: str = "",
    rerun_of: PipelineRun | None = None,
    attempt: int = 1,
    scheduled_for: datetime | None = None,
    schedule_slot: str | None = None,
    countdown: float = 0,
) -> PipelineRun:
    """Creates a queued run of a published pipeline and enqueues it once the transaction commits."""
    published = definitions.find(commit, application, "pipeline", pipeline_id)
    now = timezone.now()
    run_id = uuid.uuid4()
    day = (scheduled_for or now).date()
    params = check_params(published.definition, params, "pipeline", pipeline_id, day=day)
    params.update(runId=str(run_id), application=application, pipelineId=pipeline_id)
    anchor = scheduled_for or (job_run.scheduled_for or job_run.queued_at if job_run else now)
    run = PipelineRun.objects.create(
        id=run_id,
        application=application,
        layer=published.layer,
        pipeline_id=pipeline_id,
        config_commit=commit,
        params=params,
        trigger=trigger,
        triggered_by=user if user is not None and user.is_authenticated else None,
        job_run=job_run,
        job_node=job_node,
        rerun_of=rerun_of,
        attempt=attempt,
        queued_at=now,
        scheduled_for=scheduled_for,
        schedule_slot=schedule_slot,
        sla_deadline=sla_deadline(published.definition, anchor),
        enqueued_at=now + timedelta(seconds=countdown or 0),
    )
    enqueue(run, countdown)
    return run

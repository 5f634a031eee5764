"""Writes to run state: trigger, cancel, rerun, finish. Each refuses invalid states.

Every status change is a conditional update (``filter(id=, status=OLD).update(...)``): the row
count decides who did the work, so a task delivered twice, or two finishes at once, act once.
Work is enqueued with ``transaction.on_commit``: a worker never sees a run that is not there yet.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import isodate
from django.db import transaction
from django.utils import timezone

from runs_app import definitions
from runs_app.models import FINAL, JobNodeRun, JobRun, PipelineRun

log = logging.getLogger(__name__)

BUILTIN_PARAMETERS = ("runDate", "runId", "application", "pipelineId")
# Set by the portal for every run; a caller may only choose runDate.
_PORTAL_SET = ("runId", "application", "pipelineId")


class RunRefused(Exception):
    """A trigger, cancel or rerun that cannot be done; the message says why and what to do."""


class UnknownParameter(RunRefused):
    pass


def _check_params(definition, params: dict | None, kind: str, id: str) -> dict:
    declared = {p.name: p.default for p in definition.parameters}
    params = dict(params or {})
    unknown = sorted(set(params) - set(declared) - set(BUILTIN_PARAMETERS))
    if unknown:
        names = ", ".join(sorted(declared)) or "none"
        raise UnknownParameter(
            f"unknown parameter {', '.join(unknown)} for {kind} {id}; declared parameters: "
            f"{names}; built-in: {', '.join(BUILTIN_PARAMETERS)}"
        )
    portal_set = sorted(set(params) & set(_PORTAL_SET))
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
    return params


def _sla_deadline(definition, anchor: datetime) -> datetime | None:
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
    from runs_app import tasks

    run_id = str(run.id)
    transaction.on_commit(lambda: tasks.send(tasks.execute_pipeline_run, [run_id], countdown))


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
    params = _check_params(published.definition, params, "pipeline", pipeline_id)
    params.setdefault("runDate", (scheduled_for or now).date().isoformat())
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
        sla_deadline=_sla_deadline(published.definition, anchor),
        enqueued_at=now + timedelta(seconds=countdown or 0),
    )
    enqueue(run, countdown)
    return run


def run_trigger(
    *,
    application: str,
    pipeline_id: str | None = None,
    job_id: str | None = None,
    params: dict | None = None,
    trigger: str = "manual",
    user=None,
    commit: str | None = None,
    scheduled_for: datetime | None = None,
    schedule_slot: str | None = None,
    rerun_of=None,
) -> PipelineRun | JobRun:
    """Queues a run of a pipeline or a job published at ``commit`` (default: ``main``'s head).

    Raises ``RunRefused`` (``UnknownParameter``) or ``definitions.DefinitionNotFound``.
    """
    if bool(pipeline_id) == bool(job_id):
        raise RunRefused("name exactly one of pipeline or job")
    commit = commit or definitions.head()
    with transaction.atomic():
        if pipeline_id:
            return new_pipeline_run(
                application=application,
                pipeline_id=pipeline_id,
                commit=commit,
                params=params or {},
                trigger=trigger,
                user=user,
                rerun_of=rerun_of,
                scheduled_for=scheduled_for,
                schedule_slot=schedule_slot,
            )
        return _job_trigger(
            application,
            job_id,
            commit,
            params,
            trigger,
            user,
            scheduled_for,
            schedule_slot,
            rerun_of,
        )


def _job_trigger(application, job_id, commit, params, trigger, user, scheduled_for, slot, rerun_of):
    from runs_app import dag

    published = definitions.find(commit, application, "job", job_id)
    job = published.definition
    params = _check_params(job, params, "job", job_id)
    now = timezone.now()
    params.setdefault("runDate", (scheduled_for or now).date().isoformat())
    for ref in job.pipelines:  # fail now, not halfway through the job
        definitions.find(commit, application, "pipeline", ref.id)
        if ref.fallback:
            definitions.find(commit, application, "pipeline", ref.fallback)
    job_run = JobRun.objects.create(
        application=application,
        layer=published.layer,
        job_id=job_id,
        config_commit=commit,
        params=params,
        trigger=trigger,
        triggered_by=user if user is not None and user.is_authenticated else None,
        rerun_of=rerun_of,
        queued_at=now,
        scheduled_for=scheduled_for,
        schedule_slot=slot,
        sla_deadline=_sla_deadline(job, scheduled_for or now),
    )
    from runs_app.conf import get

    JobNodeRun.objects.bulk_create(
        JobNodeRun(
            job_run=job_run,
            node_id=ref.id,
            pipeline_id=ref.id,
            depends_on=list(ref.depends_on),
            on_failure=ref.on_failure,
            max_retries=(
                (ref.max_retries if ref.max_retries is not None else get("HUB_RETRY_DEFAULT"))
                if ref.on_failure == "retry"
                else 0
            ),
            fallback=ref.fallback or "",
            position=i,
        )
        for i, ref in enumerate(job.pipelines)
    )
    dag.start(job_run)
    return job_run


def run_cancel(run: PipelineRun | JobRun, user=None) -> PipelineRun | JobRun:
    """Queued: cancelled at once. Running: flagged; the worker's watcher cancels the Spark job."""
    from runs_app import dag

    if isinstance(run, JobRun):
        with transaction.atomic():
            if run.status in FINAL:
                raise RunRefused(f"job run {run.id} has already finished ({run.status})")
            JobRun.objects.filter(id=run.id).update(cancel_requested=True)
            for child in PipelineRun.objects.filter(job_run=run, status__in=("queued", "running")):
                _cancel_pipeline_run(child)
            dag.cancel(run)
        run.refresh_from_db()
        return run
    if run.status in FINAL:
        raise RunRefused(f"run {run.id} has already finished ({run.status})")
    with transaction.atomic():
        _cancel_pipeline_run(run)
    run.refresh_from_db()
    return run


def _cancel_pipeline_run(run: PipelineRun) -> None:
    now = timezone.now()
    cancelled = PipelineRun.objects.filter(id=run.id, status="queued").update(
        status="cancelled",
        cancel_requested=True,
        finished_at=now,
        error_category="cancelled",
        error_message="cancelled before it started",
    )
    if cancelled:
        run.refresh_from_db()
        run_finished(run)
    else:
        PipelineRun.objects.filter(id=run.id, status="running").update(cancel_requested=True)


def run_rerun(run, user=None, params: dict | None = None, commit: str = "same"):
    """Runs ``run`` again, linked by ``rerun_of``: on its commit (``same``) or ``latest``."""
    if run.status not in FINAL:
        raise RunRefused(f"run {run.id} is still {run.status}; cancel it or wait for it to end")
    if commit not in ("same", "latest"):
        raise RunRefused('commit must be "same" or "latest"')
    kept = {k: v for k, v in run.params.items() if k not in _PORTAL_SET}
    kept.update(params or {})
    sha = run.config_commit if commit == "same" else definitions.head()
    if isinstance(run, JobRun):
        return run_trigger(
            application=run.application,
            job_id=run.job_id,
            params=kept,
            trigger="rerun",
            user=user,
            commit=sha,
            rerun_of=run,
        )
    return run_trigger(
        application=run.application,
        pipeline_id=run.pipeline_id,
        params=kept,
        trigger="rerun",
        user=user,
        commit=sha,
        rerun_of=run,
    )


def run_finished(run: PipelineRun) -> None:
    """After a pipeline run reached a final status (inside that transaction): check its SLA, add
    it to the rollups, move its job's DAG, queue its notifications once the transaction commits."""
    from runs_app import dag, notifications, rollups, sla

    sla.evaluate_finished(run)
    rollups.record(run)
    if run.job_run_id:
        dag.on_run_finished(run)
    notifications.on_finished(run)


def run_finish(run_id, *, status: str, **fields) -> PipelineRun | None:
    """running -> ``status``; returns the run, or None when someone else already finished it."""
    with transaction.atomic():
        done = PipelineRun.objects.filter(id=run_id, status="running").update(
            status=status, finished_at=fields.pop("finished_at", None) or timezone.now(), **fields
        )
        if not done:
            return None
        run = PipelineRun.objects.get(id=run_id)
        run_finished(run)
        return run


def alert_acknowledge(alert, user) -> bool:
    """Marks an alert read once; returns False when it already was."""
    from runs_app.models import Alert

    return bool(
        Alert.objects.filter(id=alert.id, acknowledged=False).update(
            acknowledged=True, acknowledged_by=user, acknowledged_at=timezone.now()
        )
    )

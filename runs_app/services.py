"""Writes to run state: trigger, cancel, rerun, finish. Each refuses invalid states.

Every status change is a conditional update (``filter(id=, status=OLD).update(...)``): the row
count decides who did the work, so a task delivered twice, or two finishes at once, act once.
Work is enqueued with ``transaction.on_commit``: a worker never sees a run that is not there yet.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from runs_app import dag, definitions, notifications, rollups, sla
from runs_app.creation import (
    PORTAL_SET,
    RunRefused,
    UnknownParameter,
    check_params,
    new_pipeline_run,
    sla_deadline,
)
from runs_app.models import FINAL, Alert, JobNodeRun, JobRun, PipelineRun

__all__ = ["RunRefused", "UnknownParameter", "new_pipeline_run"]

log = logging.getLogger(__name__)


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
    published = definitions.find(commit, application, "job", job_id)
    job = published.definition
    now = timezone.now()
    params = check_params(job, params, "job", job_id, day=(scheduled_for or now).date())
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
        sla_deadline=sla_deadline(job, scheduled_for or now),
    )
    JobNodeRun.objects.bulk_create(
        JobNodeRun(
            job_run=job_run,
            node_id=ref.id,
            pipeline_id=ref.id,
            depends_on=list(ref.depends_on),
            on_failure=ref.on_failure,
            max_retries=(
                (ref.max_retries if ref.max_retries is not None else settings.HUB_RETRY_DEFAULT)
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
    kept = {k: v for k, v in run.params.items() if k not in PORTAL_SET}
    kept.update(params or {})
    sha = run.config_commit if commit == "same" else definitions.head()
    what = {"job_id": run.job_id} if isinstance(run, JobRun) else {"pipeline_id": run.pipeline_id}
    return run_trigger(
        application=run.application,
        **what,
        params=kept,
        trigger="rerun",
        user=user,
        commit=sha,
        rerun_of=run,
    )


def run_finished(run: PipelineRun) -> None:
    """After a pipeline run reached a final status (inside that transaction): check its SLA, add
    it to the rollups, move its job's DAG, queue its notifications once the transaction commits."""
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
    return bool(
        Alert.objects.filter(id=alert.id, acknowledged=False).update(
            acknowledged=True, acknowledged_by=user, acknowledged_at=timezone.now()
        )
    )

"""SLA: deadline = scheduled time (or queue time) + ``<sla>``.

A periodic check marks active runs ``at_risk`` at 80% of the SLA and ``breached`` past the
deadline; a run that finishes late is ``breached``; one that succeeds in time ``met``; one that
fails, is cancelled or skipped in time ``missed``. Each change is a conditional
update on ``sla_status``, so a breach raises exactly one alert however often the check runs.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from runs_app import notifications
from runs_app.models import ACTIVE, Alert, JobRun, PipelineRun

log = logging.getLogger(__name__)

AT_RISK_FRACTION = 0.8


def _anchor(run):
    return run.scheduled_for or run.queued_at


def at_risk_from(run):
    if not run.sla_deadline:
        return None
    anchor = _anchor(run)
    return anchor + (run.sla_deadline - anchor) * AT_RISK_FRACTION


def _breach(run, message: str) -> bool:
    """Marks ``run`` breached once; the caller that wins raises the alert and notifies."""
    model = type(run)
    won = (
        model.objects.filter(id=run.id).exclude(sla_status="breached").update(sla_status="breached")
    )
    if not won:
        return False
    run.sla_status = "breached"
    Alert.objects.create(
        kind="sla_breach",
        application=run.application,
        run=run if isinstance(run, PipelineRun) else None,
        job_run=run if isinstance(run, JobRun) else None,
        message=message,
    )
    notifications.on_sla_breach(run)
    log.warning(message)
    return True


def evaluate_finished(run) -> None:
    """Called in the finishing transaction of a run: ``met`` only when it succeeded by its
    deadline; late is ``breached`` (one alert); failed, cancelled or skipped in time is
    ``missed`` (its failure has its own alert)."""
    if not run.sla_deadline:
        return
    late = run.finished_at and run.finished_at > run.sla_deadline
    if late and run.status != "cancelled":
        seconds = (run.finished_at - run.sla_deadline).total_seconds()
        _breach(run, f"{run.kind} {run.name} finished {seconds:.0f} s after its SLA deadline")
        return
    outcome = "met" if run.status == "succeeded" and not late else "missed"
    if (
        type(run)
        .objects.filter(id=run.id, sla_status__in=("none", "at_risk"))
        .update(sla_status=outcome)
    ):
        run.sla_status = outcome


def check(now=None) -> dict:
    """The periodic check over active runs with a deadline; returns counts for the log."""
    now = now or timezone.now()
    counts = {"at_risk": 0, "breached": 0}
    for model in (PipelineRun, JobRun):
        active = model.objects.filter(status__in=ACTIVE, sla_deadline__isnull=False).exclude(
            sla_status="breached"
        )
        for run in active.iterator():
            if now > run.sla_deadline:
                with transaction.atomic():
                    if _breach(run, f"{run.kind} {run.name} is past its SLA deadline"):
                        counts["breached"] += 1
            elif now >= at_risk_from(run):
                counts["at_risk"] += model.objects.filter(id=run.id, sla_status="none").update(
                    sla_status="at_risk"
                )
    return counts

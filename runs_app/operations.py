"""Operator actions on runs: trigger, backfill, cancel, rerun, acknowledge. The run pages and
the REST API call these, so each action is done one way and leaves exactly one audit line: who,
from where (IP and user agent), which run, and what was asked for. A refused action changes
nothing and writes nothing; the caller shows why.

Services take ``actor=`` and plain values: ``client`` is the (IP, user agent) pair the view
read from its request (``pipelines_app.audit.client_of``), ``via`` is "page" or "api".
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from pipelines_app import audit
from runs_app import services
from runs_app.models import Alert, JobRun, PipelineRun

Client = tuple[str | None, str]
NO_CLIENT: Client = (None, "")
# A backfill queues one run per day; more than a quarter at once is a mistake more often than not.
BACKFILL_MAX_DAYS = 92


def _target(run) -> str:
    return f"{run.kind}-run:{run.id}"


def _record(actor, action: str, target: str, details: dict, client: Client, via: str) -> None:
    audit.record(actor, action, target, {**details, "via": via}, client=client)


def trigger(
    *,
    actor,
    application: str,
    pipeline_id: str | None = None,
    job_id: str | None = None,
    params: dict | None = None,
    client: Client = NO_CLIENT,
    via: str = "page",
) -> PipelineRun | JobRun:
    """Queues a run of what is published on main. Raises ``services.RunRefused`` or
    ``definitions.DefinitionNotFound``."""
    with transaction.atomic():
        run = services.run_trigger(
            application=application,
            pipeline_id=pipeline_id,
            job_id=job_id,
            params=params or {},
            trigger="api" if via == "api" else "manual",
            user=actor,
        )
        details = {"run_id": str(run.id), "application": application, run.kind: run.name}
        _record(actor, "run.trigger", _target(run), details | {"params": run.params}, client, via)
    return run


def backfill(
    *,
    actor,
    application: str,
    first: date,
    last: date,
    pipeline_id: str | None = None,
    job_id: str | None = None,
    params: dict | None = None,
    client: Client = NO_CLIENT,
    via: str = "page",
) -> list:
    """Queues one run per ``runDate`` from ``first`` to ``last``, oldest first, all or none.
    One audit line names every run queued."""
    days = (last - first).days + 1
    if days < 1:
        raise services.RunRefused(f"the last run date {last} is before the first, {first}")
    if days > BACKFILL_MAX_DAYS:
        raise services.RunRefused(
            f"{days} days is more than {BACKFILL_MAX_DAYS} at once; split the backfill"
        )
    given = {k: v for k, v in (params or {}).items() if k != "runDate"}
    with transaction.atomic():
        runs = [
            services.run_trigger(
                application=application,
                pipeline_id=pipeline_id,
                job_id=job_id,
                params={**given, "runDate": (first + timedelta(days=i)).isoformat()},
                trigger="backfill",
                user=actor,
            )
            for i in range(days)
        ]
        kind, name = runs[0].kind, runs[0].name
        details = {
            "run_ids": [str(r.id) for r in runs],
            "application": application,
            kind: name,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "params": given,
        }
        _record(actor, "run.backfill", f"{kind}:{application}/{name}", details, client, via)
    return runs


def cancel(run, *, actor, client: Client = NO_CLIENT, via: str = "page"):
    """Cancels a queued run at once, flags a running one. Raises ``services.RunRefused``."""
    with transaction.atomic():
        run = services.run_cancel(run, user=actor)
        details = {"run_id": str(run.id), "application": run.application, "status": run.status}
        _record(actor, "run.cancel", _target(run), details, client, via)
    return run


def rerun(
    run,
    *,
    actor,
    params: dict | None = None,
    commit: str = "same",
    client: Client = NO_CLIENT,
    via: str = "page",
):
    """Runs ``run`` again (on its own commit, or ``latest``); returns the new run."""
    with transaction.atomic():
        new = services.run_rerun(run, user=actor, params=params, commit=commit)
        details = {
            "run_id": str(new.id),
            "rerun_of": str(run.id),
            "application": run.application,
            "commit": new.config_commit,
            "params": new.params,
        }
        _record(actor, "run.rerun", _target(new), details, client, via)
    return new


def acknowledge(alert: Alert, *, actor, client: Client = NO_CLIENT, via: str = "page") -> bool:
    """Marks the alert read; False (and no audit line) when someone already had."""
    with transaction.atomic():
        done = services.alert_acknowledge(alert, actor)
        if done:
            run_id = alert.run_id or alert.job_run_id
            details = {"alert": alert.id, "kind": alert.kind, "application": alert.application}
            details["run_id"] = str(run_id) if run_id else None
            _record(actor, "alert.acknowledge", f"alert:{alert.id}", details, client, via)
    return done

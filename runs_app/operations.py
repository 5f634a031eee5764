"""Operator actions on runs: trigger, backfill, cancel, rerun, acknowledge. The run pages and
the REST API call these, so each action is done one way and leaves exactly one audit line: who,
from where (IP and user agent), which run, and what was asked for. A refused action changes
nothing and writes nothing; the caller shows why.

Services take ``actor=`` and plain values: ``client`` is the (IP, user agent) pair the view
read from its request (``pipelines_app.audit.client_of``), ``via`` is "page" or "api".
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction

from pipelines_app import audit
from pipelines_app.audit import NO_CLIENT, Client
from runs_app import services
from runs_app.models import Alert, JobRun, PipelineRun
from runs_app.paths import application_root
from runs_app.selectors import can_operate

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


def detokenize(
    *,
    actor,
    application: str,
    tokens: list[str],
    secret_ref: str,
    reason: str,
    spark,
    client: Client = NO_CLIENT,
    via: str = "command",
) -> dict[str, str | None]:
    """Originals of ``tokens`` from the application's token vault (``_vault`` in its data
    folder), opened with the ``secret_ref`` secret its mask steps used. Operators only, with a
    reason. Every attempt leaves one audit line here, refused ones too (the outcome says which);
    the engine also appends its own line to ``$HUB_VAR_DIR/audit/detokenize.jsonl``. Raises
    ``services.RunRefused`` with the reason when refused."""
    from spark_runner.engine.masking.detokenize import DetokenizeRefused
    from spark_runner.engine.masking.detokenize import detokenize as open_vault
    from spark_runner.engine.secrets import SecretMissing, SecretResolver

    wanted = sorted({t for t in tokens if t})
    details = {"application": application, "reason": reason, "secret_ref": secret_ref}
    details |= {"tokens_requested": len(wanted), "tokens_found": 0, "outcome": "refused"}
    try:
        if not can_operate(actor, application):
            raise services.RunRefused(f"only operators of {application} may detokenize")
        try:
            key = SecretResolver(settings.HUB_SECRETS_FILE or None).get(secret_ref)
            found = open_vault(
                spark,
                application_root(application) + "_vault",
                wanted,
                key,
                actor=getattr(actor, "username", "") or "",
                reason=reason,
                audit_log_path=settings.VAR_DIR / "audit" / "detokenize.jsonl",
            )
        except (DetokenizeRefused, SecretMissing) as refused:
            raise services.RunRefused(str(refused)) from None
        details |= {"tokens_found": sum(v is not None for v in found.values()), "outcome": "ok"}
        return found
    finally:
        _record(actor, "detokenize", f"vault:{application}", details, client, via)

"""Run rows for page tests, written straight to the database as a worker would leave them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from runs_app import rollups
from runs_app.models import FINAL, Alert, JobNodeRun, JobRun, PipelineRun

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def pipeline_run(application="sales", pipeline_id="customer_load", status="succeeded", **fields):
    queued = fields.pop("queued_at", timezone.now() - timedelta(minutes=5))
    values = {
        "application": application,
        "layer": "staging",
        "pipeline_id": pipeline_id,
        "config_commit": COMMIT,
        "params": {"runDate": "2026-11-26", "region": "eu"},
        "trigger": "manual",
        "status": status,
        "queued_at": queued,
    }
    if status != "queued":
        values["started_at"] = queued + timedelta(minutes=1)
    if status in ("succeeded", "failed", "cancelled"):
        values["finished_at"] = queued + timedelta(minutes=1, seconds=32)
    if status == "succeeded":
        values["steps"] = [
            {
                "index": 1,
                "tag": "filter",
                "dataset": "customers",
                "rows_in": 1200,
                "rows_out": 1100,
                "seconds": 1.25,
            },
            {
                "index": 2,
                "tag": "mask",
                "dataset": "customers",
                "rows_in": 1100,
                "rows_out": 1100,
                "seconds": 0.5,
            },
        ]
        values["targets"] = [
            {"kind": "hive", "name": "staging.customer", "rows_written": 1100, "seconds": 2.0}
        ]
    if status == "failed":
        values |= {
            "error_category": "schema_mismatch",
            "error_where": "source customers",
            "error_message": "column customer_id: expected long, found 'abc' on line 7",
            "error_trace": "Traceback (most recent call last):\n  File engine.py, line 42\n"
            "AnalysisException: bad",
        }
    values |= fields
    run = PipelineRun.objects.create(**values)
    if run.status in FINAL:
        rollups.record(run)  # as run_finished does when a worker ends it
    return run


def job_run(application="sales", job_id="nightly", status="running", nodes=()):
    """``nodes``: (node id, state, depends_on, attempts)."""
    job = JobRun.objects.create(
        application=application,
        layer="service",
        job_id=job_id,
        config_commit=COMMIT,
        params={"runDate": "2026-11-26"},
        trigger="schedule",
        status=status,
        started_at=timezone.now(),
    )
    for position, (node_id, state, depends_on, attempts) in enumerate(nodes):
        JobNodeRun.objects.create(
            job_run=job,
            node_id=node_id,
            pipeline_id=node_id,
            depends_on=list(depends_on),
            state=state,
            attempts=attempts,
            position=position,
        )
    return job


def alert(run, kind="failure", message="customer_load failed: bad column"):
    return Alert.objects.create(kind=kind, application=run.application, run=run, message=message)

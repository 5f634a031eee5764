"""A portal with something on every page: published definitions, change requests in each state,
runs of every status, job runs with nodes, alerts, deliveries and audit rows.

``build()`` makes the first few of each; ``grow(k)`` adds ``k`` more rows of each kind straight to
the database (what bulk history looks like), so a page can be measured at two sizes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from pipelines_app import audit, services
from pipelines_app.models import AuditEvent, ChangeRequest, Comment, Review, Status
from pipelines_app.services import config_repository
from pipelines_app.services.shared import actor_for
from pipelines_app.testing import CUSTOMER_SCHEMA, make_personas, pipeline_xml
from portal.accounts.tokens import token_issue
from runs_app.models import (
    STATUSES,
    Alert,
    JobNodeRun,
    JobRun,
    NotificationDelivery,
    PipelineRun,
)
from tests.runs_app.pages import COMMIT

APP = "sales"
PIPELINE_PATH = f"applications/{APP}/staging/pipelines/customer_load.xml"
JOB_PATH = f"applications/{APP}/service/jobs/nightly.xml"
JOB_XML = (
    b'<jobPipeline id="nightly" version="1.0"><metadata><schedule>0 2 * * *</schedule>'
    b"<sla>PT2H</sla></metadata><pipelines>"
    b'<pipelineRef id="customer_load"/></pipelines></jobPipeline>'
)
_counter = itertools.count()


@dataclass
class World:
    cast: object
    changes: dict[str, ChangeRequest] = field(default_factory=dict)
    runs: dict[str, PipelineRun] = field(default_factory=dict)
    job: JobRun | None = None
    alert: Alert | None = None
    token_id: int | None = None


def build() -> World:
    cast = make_personas(APP)
    repo = config_repository()
    seed = {
        f"applications/{APP}/{layer}/schemas/customer.avsc": CUSTOMER_SCHEMA
        for layer in ("staging", "standardization", "service")
    }
    seed[PIPELINE_PATH] = pipeline_xml("customer_load")
    seed[JOB_PATH] = JOB_XML
    repo.commit("main", seed, message="seed", author=actor_for(cast.admin))
    world = World(cast=cast)
    _changes(world)
    _runs(world, now=timezone.now())
    audit.record(cast.olga, "run.trigger", f"pipeline-run:{world.runs['failed'].id}", {})
    _, token = token_issue(user=cast.alice)
    world.token_id = token.id
    return world


def _propose(cast, id, **kwargs):
    return services.change_request_create(
        author=cast.alice,
        application=APP,
        layer="service",
        kind="pipeline",
        xml=pipeline_xml(id, layer="service", mask=False),
        title=f"Add {id}",
        description="For the CRM.",
        **kwargs,
    )


def _changes(world: World) -> None:
    cast = world.cast
    changes = world.changes
    changes["in_review"] = _propose(cast, "export_review")
    changes["draft"] = _propose(cast, "export_draft", submit=False)
    changes["changes_requested"] = _propose(cast, "export_fix")
    services.change_request_request_changes(
        change_request=changes["changes_requested"], reviewer=cast.bob, comment="Mask the email."
    )
    changes["rejected"] = _propose(cast, "export_no")
    services.change_request_reject(
        change_request=changes["rejected"], reviewer=cast.bob, comment="Not needed."
    )
    changes["withdrawn"] = _propose(cast, "export_gone")
    services.change_request_withdraw(change_request=changes["withdrawn"], author=cast.alice)
    merged = _propose(cast, "export_merged")
    services.change_request_approve(
        change_request=merged, reviewer=cast.bob, comment="ok", override_reason="CRM needs it"
    )
    changes["merged"] = merged
    changes["needs_rebase"] = _propose(cast, "export_rebase")
    ChangeRequest.objects.filter(pk=changes["needs_rebase"].pk).update(status=Status.NEEDS_REBASE)
    for state, change in changes.items():
        changes[state] = ChangeRequest.objects.get(pk=change.pk)
    services.change_request_comment(
        change_request=changes["in_review"], author=cast.bob, body="Looks fine."
    )


def _pipeline_run(status: str, now, **fields) -> PipelineRun:
    n = next(_counter)
    queued = now - timedelta(minutes=5 + n)
    values = {
        "application": APP,
        "layer": "staging",
        "pipeline_id": "customer_load",
        "config_commit": COMMIT,
        "params": {"runDate": "2026-11-26", "region": "eu"},
        "trigger": "manual",
        "status": status,
        "queued_at": queued,
        "sla_deadline": queued + timedelta(hours=1),
    }
    if status != "queued":
        values["started_at"] = queued + timedelta(seconds=30)
    if status in ("succeeded", "failed", "cancelled", "skipped"):
        values["finished_at"] = queued + timedelta(minutes=2)
    if status == "succeeded":
        values["steps"] = [
            {
                "index": 1,
                "tag": "filter",
                "dataset": "customers",
                "rows_in": 9,
                "rows_out": 8,
                "seconds": 1.5,
            }
        ]
        values["targets"] = [
            {"kind": "csv", "name": "out/customer_load", "rows_written": 8, "seconds": 0.4}
        ]
        values["sources"] = [{"id": "customers", "path": "in/customers.csv", "rows": 9}]
    if status == "failed":
        values |= {
            "error_category": "schema_mismatch",
            "error_where": "source customers",
            "error_message": "column customer_id: expected long, found 'abc' on line 7",
        }
    return PipelineRun(**(values | fields))


def _runs(world: World, now, copies: int = 1) -> None:
    """``copies`` of: a pipeline run of every status, a job run with its node runs, an alert,
    a notification delivery and an audit row."""
    pipeline_runs, jobs, nodes, alerts, deliveries, events = [], [], [], [], [], []
    for _ in range(copies):
        for status, _label in STATUSES:
            pipeline_runs.append(_pipeline_run(status, now))
        job = JobRun(
            application=APP,
            layer="service",
            job_id="nightly",
            config_commit=COMMIT,
            params={"runDate": "2026-11-26"},
            trigger="schedule",
            status="running",
            queued_at=now - timedelta(minutes=3 + next(_counter)),
            started_at=now - timedelta(minutes=2),
            scheduled_for=now - timedelta(minutes=3),
        )
        jobs.append(job)
        node_run = _pipeline_run("running", now, job_run=job, job_node="customer_load")
        pipeline_runs.append(node_run)
        nodes.append(
            JobNodeRun(
                job_run=job,
                node_id="customer_load",
                pipeline_id="customer_load",
                state="running",
                attempts=1,
                current_run=node_run,
            )
        )
    JobRun.objects.bulk_create(jobs)
    PipelineRun.objects.bulk_create(pipeline_runs)
    JobNodeRun.objects.bulk_create(nodes)
    for run in pipeline_runs:
        if run.status == "failed":
            alerts.append(
                Alert(kind="failure", application=APP, run=run, message="customer_load failed")
            )
            deliveries.append(
                NotificationDelivery(
                    run=run,
                    event="failure",
                    channel="email",
                    target="team@example.com",
                    payload_hash="0" * 64,
                    status="sent",
                )
            )
            events.append(
                AuditEvent(
                    actor=world.cast.olga,
                    actor_name="olga",
                    action="run.rerun",
                    target=f"pipeline-run:{run.id}",
                    details={"application": APP},
                )
            )
    Alert.objects.bulk_create(alerts)
    NotificationDelivery.objects.bulk_create(deliveries)
    AuditEvent.objects.bulk_create(events)
    if world.job is None:
        world.job = jobs[0]
        world.runs = {r.status: r for r in reversed(pipeline_runs) if not r.job_run_id}
        world.alert = alerts[0]


def grow(world: World, copies: int) -> None:
    """``copies`` more of everything: runs, job runs, alerts, audit rows, change requests."""
    _runs(world, timezone.now(), copies)
    clones = []
    for state, change in world.changes.items():
        for _ in range(copies):
            clone = ChangeRequest.objects.get(pk=change.pk)
            clone.pk = None
            clone.number = None
            clone.title = f"{change.title} ({state} copy)"
            clones.append(clone)
    ChangeRequest.objects.bulk_create(clones)
    for clone in ChangeRequest.objects.filter(number__isnull=True):
        ChangeRequest.objects.filter(pk=clone.pk).update(number=clone.pk)
    reviews = [
        Review(
            change_request=clone,
            reviewer=world.cast.bob,
            decision="request_changes",
            comment="again",
            head_commit=clone.head_commit,
        )
        for clone in ChangeRequest.objects.exclude(pk__in=[c.pk for c in world.changes.values()])
    ]
    Review.objects.bulk_create(reviews)
    Comment.objects.bulk_create(
        Comment(change_request=world.changes["in_review"], author=world.cast.carol, body="more")
        for _ in range(copies)
    )

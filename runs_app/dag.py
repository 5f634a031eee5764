"""The job state machine: a job run's DAG lives in ``JobNodeRun`` rows and moves forward when a
pipeline run ends, inside that run's finishing transaction.

The job row is locked (``select_for_update``) while its DAG moves, so two pipeline runs ending at
once are applied one after the other and a node is never started twice; starting a node is also a
conditional update (pending -> running).

Policies (``onFailure``), all decided here:
- ``retry``: run the pipeline again, up to ``maxRetries`` more times, waiting
  ``HUB_RETRY_BACKOFF_SECONDS * 2**(n-1)`` before retry n; when retries run out, as ``halt``.
- ``halt`` (default): the node fails; nodes not yet started are skipped; running ones finish.
- ``skip``: the node fails; its dependents (transitively) are skipped; other branches go on.
- ``continue``: the node fails; its dependents run as if it had succeeded.
- ``fallback``: the named fallback pipeline runs in the node's place; the node ends as the
  fallback ends (a failing fallback halts the job).
A job run ends ``succeeded`` when no node failed, ``cancelled`` when cancelled, else ``failed``
(also with ``continue`` or ``skip``: the policy decides what runs next, the status stays truthful).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from runs_app import definitions, notifications, rollups, sla
from runs_app.creation import new_pipeline_run
from runs_app.models import JobNodeRun, JobRun, PipelineRun

log = logging.getLogger(__name__)

_DONE_OK = ("succeeded",)


def start(job: JobRun) -> None:
    """queued -> running, and start the nodes without dependencies (inside the trigger's txn)."""
    JobRun.objects.filter(id=job.id, status="queued").update(
        status="running", started_at=timezone.now()
    )
    job.refresh_from_db()
    _advance(job)


def cancel(job: JobRun) -> None:
    job = JobRun.objects.select_for_update().get(id=job.id)
    JobNodeRun.objects.filter(job_run=job, state="pending").update(
        state="cancelled", note="job cancelled"
    )
    _advance(job)


def on_run_finished(run: PipelineRun) -> None:
    job = JobRun.objects.select_for_update().get(id=run.job_run_id)
    node = JobNodeRun.objects.get(job_run=job, node_id=run.job_node)
    if node.current_run_id != run.id or node.state != "running":
        return  # an older attempt, or already handled
    if run.status == "succeeded":
        note = f"fallback {node.pipeline_id} succeeded" if node.fallback_used else ""
        _set(node, "succeeded", note)
    elif run.status == "skipped":
        _set(node, "skipped", run.error_message[:300])
    elif run.status == "cancelled" or job.cancel_requested:
        _set(node, "cancelled", "cancelled")
        _halt(job)
    else:
        _on_failure(job, node, run)
    _advance(job)


def _on_failure(job: JobRun, node: JobNodeRun, run: PipelineRun) -> None:
    policy = node.on_failure
    if policy == "retry" and node.attempts <= node.max_retries:
        backoff = settings.HUB_RETRY_BACKOFF_SECONDS * 2 ** (node.attempts - 1)
        _launch(job, node, node.pipeline_id, "retry", run, countdown=backoff)
        log.info("retrying %s (attempt %s) in %.0f s", node.node_id, node.attempts, backoff)
        return
    if policy == "fallback" and not node.fallback_used and node.fallback:
        node.fallback_used = True
        node.pipeline_id = node.fallback
        node.save(update_fields=["fallback_used", "pipeline_id"])
        _launch(job, node, node.fallback, "retry", run)
        return
    if policy == "continue":
        node.failure_tolerated = True
        node.save(update_fields=["failure_tolerated"])
        _set(node, "failed", "failed; dependents continue")
    elif policy == "skip":
        _set(node, "failed", "failed; dependents skipped")
    else:
        why = {"retry": "retries exhausted", "fallback": "fallback failed"}.get(policy, "halted")
        _set(node, "failed", f"failed; {why}, job stopped")
        _halt(job)


def _halt(job: JobRun) -> None:
    JobNodeRun.objects.filter(job_run=job, state="pending").update(
        state="skipped", note="skipped: the job stopped"
    )


def _set(node: JobNodeRun, state: str, note: str = "") -> None:
    JobNodeRun.objects.filter(id=node.id).update(state=state, note=note[:300])
    node.state = state


def _launch(job, node, pipeline_id, trigger, previous=None, countdown: float = 0) -> None:
    run = new_pipeline_run(
        application=job.application,
        pipeline_id=pipeline_id,
        commit=job.config_commit,
        params=_params_for(job, pipeline_id),
        trigger=trigger,
        user=job.triggered_by,
        job_run=job,
        job_node=node.node_id,
        rerun_of=previous,
        attempt=node.attempts + 1,
        countdown=countdown,
    )
    JobNodeRun.objects.filter(id=node.id).update(
        state="running", attempts=F("attempts") + 1, current_run=run
    )
    node.refresh_from_db()


def _params_for(job: JobRun, pipeline_id: str) -> dict:
    """The job's parameters that the pipeline declares, plus runDate."""
    pipeline = definitions.find(job.config_commit, job.application, "pipeline", pipeline_id)
    declared = {p.name for p in pipeline.definition.parameters} | {"runDate"}
    return {k: v for k, v in job.params.items() if k in declared}


def _advance(job: JobRun) -> None:
    nodes = {n.node_id: n for n in JobNodeRun.objects.filter(job_run=job)}
    changed = True
    while changed:  # skips cascade down the graph
        changed = False
        for node in nodes.values():
            if node.state != "pending":
                continue
            deps = [nodes[d] for d in node.depends_on if d in nodes]
            if any(_blocks(d) for d in deps):
                _set(node, "skipped", "skipped: a dependency did not succeed")
                changed = True
    for node in nodes.values():
        if node.state != "pending" or job.cancel_requested:
            continue
        deps = [nodes[d] for d in node.depends_on if d in nodes]
        if all(_satisfied(d) for d in deps):
            claimed = JobNodeRun.objects.filter(id=node.id, state="pending").update(state="running")
            if claimed:
                node.state = "running"
                _launch(job, node, node.pipeline_id, job.trigger)
    if not any(n.state in ("pending", "running") for n in nodes.values()):
        _finish(job, nodes.values())


def _satisfied(node: JobNodeRun) -> bool:
    return node.state in _DONE_OK or (node.state == "failed" and node.failure_tolerated)


def _blocks(node: JobNodeRun) -> bool:
    return node.state in ("skipped", "cancelled") or (
        node.state == "failed" and not node.failure_tolerated
    )


def _finish(job: JobRun, nodes) -> None:
    states = {n.state for n in nodes}
    if job.cancel_requested or "cancelled" in states:
        status = "cancelled"
    elif "failed" in states:
        status = "failed"
    else:
        status = "succeeded"
    failed = [n.node_id for n in nodes if n.state == "failed"]
    message = f"failed nodes: {', '.join(failed)}" if failed else ""
    done = JobRun.objects.filter(id=job.id, status__in=("queued", "running")).update(
        status=status, finished_at=timezone.now(), error_message=message
    )
    if done:
        job.refresh_from_db()
        sla.evaluate_finished(job)
        rollups.record(job)
        notifications.on_finished(job)

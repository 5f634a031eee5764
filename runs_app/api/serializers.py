"""JSON shapes of runs for the REST API (plain dicts: the shapes are small and read-only)."""

from __future__ import annotations

from rest_framework import serializers

from runs_app import selectors
from runs_app.models import JobRun


class TriggerSerializer(serializers.Serializer):
    application = serializers.CharField(max_length=64)
    pipeline = serializers.CharField(max_length=128, required=False, allow_blank=False)
    job = serializers.CharField(max_length=128, required=False, allow_blank=False)
    params = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)

    def validate(self, attrs):
        if bool(attrs.get("pipeline")) == bool(attrs.get("job")):
            raise serializers.ValidationError("name exactly one of pipeline or job")
        return attrs


class BackfillSerializer(TriggerSerializer):
    first = serializers.DateField(help_text="the first runDate, yyyy-mm-dd")
    last = serializers.DateField(help_text="the last runDate, yyyy-mm-dd (at most 92 days)")


class RerunSerializer(serializers.Serializer):
    params = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    commit = serializers.ChoiceField(choices=["same", "latest"], default="same")


def _iso(value):
    return value.isoformat() if value else None


def run_summary(run) -> dict:
    data = {
        "id": str(run.id),
        "kind": run.kind,
        "application": run.application,
        "layer": run.layer,
        run.kind: run.name,
        "status": run.status,
        "trigger": run.trigger,
        "attempt": run.attempt,
        "commit": run.config_commit,
        "queued_at": _iso(run.queued_at),
        "scheduled_for": _iso(run.scheduled_for),  # the slot a scheduled run is for
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "duration_seconds": run.duration_seconds,
        "sla": {"deadline": _iso(run.sla_deadline), "status": run.sla_status},
        "cancel_requested": run.cancel_requested,
    }
    if not isinstance(run, JobRun):
        data["job_run"] = str(run.job_run_id) if run.job_run_id else None
        data["job_node"] = run.job_node or None
    return data


def run_detail(run) -> dict:
    data = run_summary(run)
    data.update(
        params=run.params,
        triggered_by=run.triggered_by.username if run.triggered_by_id else None,
        rerun_of=str(run.rerun_of_id) if run.rerun_of_id else None,
        error=(
            {"category": run.error_category, "message": run.error_message}
            if run.error_message or run.error_category
            else None
        ),
        alerts=[
            {"kind": a.kind, "message": a.message, "at": _iso(a.created_at)}
            for a in selectors.run_alerts(run)
        ],
    )
    if isinstance(run, JobRun):
        data["nodes"] = [
            {
                "node": n.node_id,
                "pipeline": n.pipeline_id,
                "depends_on": n.depends_on,
                "on_failure": n.on_failure,
                "state": n.state,
                "attempts": n.attempts,
                "fallback_used": n.fallback_used,
                "note": n.note,
                "run": str(n.current_run_id) if n.current_run_id else None,
            }
            for n in selectors.job_nodes(run)
        ]
    else:
        data.update(
            steps=run.steps,
            targets=run.targets,
            sources=run.sources,
            worker=run.worker or None,
            heartbeat_at=_iso(run.heartbeat_at),
        )
        if data["error"]:
            data["error"].update(where=run.error_where, trace=run.error_trace)
        data["attempts"] = [
            {"id": str(a.id), "attempt": a.attempt, "status": a.status, "trigger": a.trigger}
            for a in selectors.run_attempts(run)
        ]
    return data

"""Run state: pipeline runs, job runs and their DAG nodes, alerts, notification deliveries.

Status changes are conditional updates (``filter(id=..., status=OLD).update(...)``) made by
``runs_app.services``/``dag``/``tasks``; nothing else writes these rows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TRIGGERS = [(t, t) for t in ("schedule", "manual", "api", "retry", "rerun", "backfill")]
STATUSES = [(s, s) for s in ("queued", "running", "succeeded", "failed", "skipped", "cancelled")]
ACTIVE = ("queued", "running")
FINAL = ("succeeded", "failed", "skipped", "cancelled")
SLA_STATUSES = [(s, s) for s in ("none", "met", "at_risk", "breached")]


class RunHeader(models.Model):
    """What pipeline runs and job runs share: who, what, which commit, when, how it went."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.CharField(max_length=64)
    layer = models.CharField(max_length=32)
    config_commit = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    trigger = models.CharField(max_length=16, choices=TRIGGERS)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=STATUSES, default="queued")
    attempt = models.PositiveIntegerField(default=1)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_category = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    sla_deadline = models.DateTimeField(null=True, blank=True)
    sla_status = models.CharField(max_length=16, choices=SLA_STATUSES, default="none")
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # "<app>/<id>@<iso slot>": the unique constraint makes a schedule slot run once.
    schedule_slot = models.CharField(max_length=300, null=True, blank=True, unique=True)
    cancel_requested = models.BooleanField(default=False)

    class Meta:
        abstract = True

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


class JobRun(RunHeader):
    job_id = models.CharField(max_length=128)
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )

    kind = "job"

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["application", "-queued_at", "-id"], name="jobrun_app_queued"),
            models.Index(fields=["status", "-queued_at"], name="jobrun_status_queued"),
            models.Index(fields=["job_id", "-queued_at"], name="jobrun_job_queued"),
            models.Index(fields=["-queued_at", "-id"], name="jobrun_queued"),
        ]

    def __str__(self) -> str:
        return f"job {self.application}/{self.job_id} {self.id}"

    @property
    def name(self) -> str:
        return self.job_id


class PipelineRun(RunHeader):
    pipeline_id = models.CharField(max_length=128)
    job_run = models.ForeignKey(
        JobRun, null=True, blank=True, on_delete=models.CASCADE, related_name="pipeline_runs"
    )
    job_node = models.CharField(max_length=128, blank=True)
    rerun_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When its message should reach a worker (now + countdown); the reaper re-sends lost ones.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    steps = models.JSONField(default=list, blank=True)
    targets = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=list, blank=True)
    error_where = models.CharField(max_length=300, blank=True)
    error_trace = models.TextField(blank=True)

    kind = "pipeline"

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["application", "-queued_at", "-id"], name="run_app_queued"),
            models.Index(fields=["status", "-queued_at", "-id"], name="run_status_queued"),
            models.Index(
                fields=["application", "pipeline_id", "-queued_at", "-id"],
                name="run_pipeline_queued",
            ),
            models.Index(fields=["-queued_at", "-id"], name="run_queued"),
            # The reaper and the SLA check only look at active runs: a small partial index.
            models.Index(
                fields=["status", "heartbeat_at"],
                name="run_active",
                condition=Q(status__in=ACTIVE),
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.application}/{self.pipeline_id} {self.id}"

    @property
    def name(self) -> str:
        return self.pipeline_id


NODE_STATES = [
    (s, s) for s in ("pending", "running", "succeeded", "failed", "skipped", "cancelled")
]


class JobNodeRun(models.Model):
    """One node of a job run's DAG: a snapshot of its policy (from the pinned commit) and state."""

    job_run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="nodes")
    node_id = models.CharField(max_length=128)
    pipeline_id = models.CharField(max_length=128)  # the fallback's id once the fallback runs
    depends_on = models.JSONField(default=list, blank=True)
    on_failure = models.CharField(max_length=16, default="halt")
    max_retries = models.PositiveIntegerField(default=0)
    fallback = models.CharField(max_length=128, blank=True)
    state = models.CharField(max_length=16, choices=NODE_STATES, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    fallback_used = models.BooleanField(default=False)
    # continue: the node failed, its dependents still run as if it had succeeded.
    failure_tolerated = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    current_run = models.ForeignKey(
        PipelineRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["job_run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job_run", "node_id"], name="node_unique_in_job")
        ]

    def __str__(self) -> str:
        return f"{self.node_id} ({self.state})"


ALERT_KINDS = [(k, k) for k in ("failure", "sla_breach", "delivery_failed", "worker_lost")]


class Alert(models.Model):
    """The in-app inbox: failures, SLA breaches, notifications that could not be delivered."""

    kind = models.CharField(max_length=24, choices=ALERT_KINDS)
    application = models.CharField(max_length=64)
    run = models.ForeignKey(
        PipelineRun, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    job_run = models.ForeignKey(
        JobRun, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged = models.BooleanField(default=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["acknowledged", "application", "-created_at"], name="alert_inbox")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"


class NotificationDelivery(models.Model):
    """One delivery attempt of one notification: what was sent where, and what came back."""

    run = models.ForeignKey(
        PipelineRun, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    job_run = models.ForeignKey(
        JobRun, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=16)  # failure | success | completion | slaBreach
    channel = models.CharField(max_length=8, choices=[("email", "email"), ("webhook", "webhook")])
    target = models.CharField(max_length=500)  # addresses, or the URL without its query string
    payload_hash = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=8, choices=[("sent", "sent"), ("failed", "failed")])
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "notification deliveries"

    def __str__(self) -> str:
        return f"{self.channel} {self.event} #{self.attempt} {self.status}"


class ScheduleState(models.Model):
    """Per schedule (``<app>/<kind>/<id>``): slots up to ``watermark`` have been considered."""

    key = models.CharField(max_length=300, unique=True)
    cron = models.CharField(max_length=120)
    watermark = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} {self.cron}"

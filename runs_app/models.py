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
# missed: ended before its deadline without succeeding (failed, cancelled, skipped)
SLA_STATUSES = [(s, s) for s in ("none", "met", "at_risk", "breached", "missed")]


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
            models.Index(
                fields=["status", "sla_deadline"],
                name="jobrun_active",
                condition=Q(status__in=ACTIVE),
            ),
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
            # the run list's filters: a pipeline without its application, a failure category
            models.Index(fields=["pipeline_id", "-queued_at", "-id"], name="run_name_queued"),
            models.Index(
                fields=["error_category", "-queued_at", "-id"],
                name="run_category_queued",
                condition=~Q(error_category=""),
            ),
            # the home page's "failed in the last 24 h"
            models.Index(
                fields=["-finished_at"], name="run_failed_finished", condition=Q(status="failed")
            ),
            # the dashboard's failure reasons of a member's applications
            models.Index(
                fields=["application", "-queued_at"],
                name="run_failed_app_queued",
                condition=Q(status="failed"),
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
            models.Index(fields=["acknowledged", "application", "-created_at"], name="alert_inbox"),
            # keyset pages of the inbox: open ones, or every alert, newest first
            models.Index(fields=["acknowledged", "-created_at", "-id"], name="alert_open_page"),
            models.Index(fields=["-created_at", "-id"], name="alert_page"),
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


SLA_OUTCOMES = [(s, s) for s in ("met", "missed", "none")]
# Upper bounds (seconds) of the duration buckets; the last column counts longer runs.
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)


class RunCounts(models.Model):
    """Counts of ended runs with one (kind, application, name, status, SLA outcome); the
    duration buckets are not cumulative (``b_60`` counts 30 s < duration <= 60 s)."""

    kind = models.CharField(max_length=8)  # pipeline | job
    application = models.CharField(max_length=64)
    name = models.CharField(max_length=128)
    status = models.CharField(max_length=16, choices=STATUSES)
    sla = models.CharField(max_length=8, choices=SLA_OUTCOMES)
    runs = models.BigIntegerField(default=0)
    timed = models.BigIntegerField(default=0)  # runs with a start and an end
    seconds = models.FloatField(default=0.0)  # their durations, summed
    b_1 = models.BigIntegerField(default=0)
    b_5 = models.BigIntegerField(default=0)
    b_15 = models.BigIntegerField(default=0)
    b_30 = models.BigIntegerField(default=0)
    b_60 = models.BigIntegerField(default=0)
    b_120 = models.BigIntegerField(default=0)
    b_300 = models.BigIntegerField(default=0)
    b_600 = models.BigIntegerField(default=0)
    b_1800 = models.BigIntegerField(default=0)
    b_3600 = models.BigIntegerField(default=0)
    b_7200 = models.BigIntegerField(default=0)
    b_21600 = models.BigIntegerField(default=0)
    b_inf = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class RunDay(RunCounts):
    """The rollup per day (the day its run was queued, in ``TIME_ZONE``): serves the dashboard
    and the SLA page. Written by ``runs_app.rollups`` when a run ends; rebuilt by
    ``manage.py rebuild_run_rollups``."""

    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "application", "name", "status", "sla"],
                name="runday_unique",
            )
        ]
        indexes = [
            models.Index(fields=["application", "day"], name="runday_app_day"),
            # per-pipeline compliance over a window: read from the index alone (PostgreSQL)
            models.Index(
                fields=["day", "sla"],
                include=["application", "kind", "name", "runs"],
                name="runday_day_sla",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.application}/{self.name} {self.status}: {self.runs}"


class RunTotal(RunCounts):
    """The same counts since the beginning: what ``/metrics`` reports (a few thousand rows)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "application", "name", "status", "sla"], name="runtotal_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.application}/{self.name} {self.status}: {self.runs}"


class RunAppDay(models.Model):
    """The same counts per day without the pipeline (a few rows per application and day): the
    dashboard's runs per day, the SLA trend and the per-application compliance read it."""

    day = models.DateField()
    kind = models.CharField(max_length=8)
    application = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=STATUSES)
    sla = models.CharField(max_length=8, choices=SLA_OUTCOMES)
    runs = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "application", "status", "sla"], name="runappday_unique"
            )
        ]
        indexes = [models.Index(fields=["application", "day"], name="runappday_app_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.application} {self.status}: {self.runs}"

"""Workflow state of the config repository: applications, roles, change requests, reviews, audit.

The XML definitions themselves live only in git (config_repo); these rows point at commits.
"""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

NAME_RE = r"^[a-z0-9][a-z0-9_-]{0,62}$"
name_validator = RegexValidator(
    NAME_RE, "Use lower-case letters, digits, '_' and '-' (starting with a letter or digit)."
)


class Application(models.Model):
    name = models.SlugField(max_length=63, unique=True, validators=[name_validator])
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(required_approvals__gte=1), name="application_needs_an_approval"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.name


class Role(models.TextChoices):
    AUTHOR = "author", "Author"
    REVIEWER = "reviewer", "Reviewer"
    OPERATOR = "operator", "Operator"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application__name", "user__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "application", "role"], name="one_membership_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.application.name}"


class Kind(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    JOB = "job", "Job pipeline"
    SCHEMA = "schema", "Schema file"


class Action(models.TextChoices):
    CREATE = "create", "Create"
    EDIT = "edit", "Edit"
    DELETE = "delete", "Delete"
    RENAME = "rename", "Rename"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    MERGED = "merged", "Merged"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    NEEDS_REBASE = "needs_rebase", "Needs rebase"


OPEN_STATUSES = (
    Status.DRAFT,
    Status.IN_REVIEW,
    Status.CHANGES_REQUESTED,
    Status.NEEDS_REBASE,
)
CLOSED_STATUSES = (Status.MERGED, Status.REJECTED, Status.WITHDRAWN)


class ChangeRequest(models.Model):
    number = models.PositiveIntegerField(unique=True, null=True, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="change_requests"
    )
    layer = models.CharField(max_length=32)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.CREATE)
    definition_id = models.CharField(max_length=200)
    path = models.CharField(max_length=500)
    old_path = models.CharField(max_length=500, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    branch = models.CharField(max_length=255, blank=True)
    base_commit = models.CharField(max_length=40, blank=True)
    head_commit = models.CharField(max_length=40, blank=True)
    merge_commit = models.CharField(max_length=40, blank=True)
    lines_changed = models.PositiveIntegerField(default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_requests"
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_change_requests",
    )
    conflict_files = models.JSONField(default=list, blank=True)
    # Governance findings at head_commit, stored when it is proposed or updated so lists never
    # read git; None when they could not be computed.
    findings = models.PositiveIntegerField(null=True, blank=True)
    high_findings = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "application"]),
            models.Index(fields=["status", "submitted_at", "created_at", "id"], name="cr_queue"),
            # the change list and an author's open changes, newest first
            models.Index(fields=["-created_at", "-id"], name="cr_created"),
            models.Index(fields=["author", "-created_at", "-id"], name="cr_author_created"),
            models.Index(fields=["head_commit"]),
            models.Index(fields=["merge_commit"]),
        ]

    def __str__(self) -> str:
        return f"CR #{self.number}: {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"


class Review(models.Model):
    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    decision = models.CharField(max_length=16, choices=Decision.choices)
    comment = models.TextField(blank=True)
    head_commit = models.CharField(max_length=40)
    override_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.decision} CR #{self.change_request.number}"


class Comment(models.Model):
    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cr_comments"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment by {self.author} on CR #{self.change_request.number}"


class AppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit events are append-only")

    def delete(self):
        raise AppendOnly("audit events are append-only")


class AuditEvent(models.Model):
    """Append-only: rows are inserted, never changed (see also the trigger in the migration)."""

    # Not a constraint: deleting a user must not touch (or cascade into) the audit trail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["action", "created_at"]),
            models.Index(fields=["actor_name", "created_at"], name="audit_actor_created"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit events are append-only")


# ---------------------------------------------------------------- data policy
# What an application's pipelines may touch besides its own data folder, its own secrets and its
# own Hive databases (spark_runner/definition/policy.py; docs/operators/data-policy.md). Staff
# change these rows (admin, ``manage.py data-policy``); members only read them.


class Access(models.TextChoices):
    READ_ONLY = "read-only", "read-only"
    READ_WRITE = "read-write", "read-write"


class StorageRoot(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="storage_roots"
    )
    uri = models.CharField(max_length=500, help_text="/path, file:///path, s3a://…, hdfs://…")
    access = models.CharField(max_length=16, choices=Access.choices, default=Access.READ_ONLY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application__name", "uri"]
        constraints = [
            models.UniqueConstraint(fields=["application", "uri"], name="one_storage_root_per_uri")
        ]

    def __str__(self) -> str:
        return f"{self.uri} ({self.access})"


class AllowedConnection(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="allowed_connections"
    )
    driver = models.CharField(max_length=32)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField()
    database = models.CharField(max_length=255)
    credential_secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="the secret (user:password) for this connection; only it may be given it",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application__name", "driver", "host", "port", "database"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "driver", "host", "port", "database"],
                name="one_allowed_connection_per_place",
            )
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def url(self) -> str:
        return f"jdbc:{self.driver}://{self.host}:{self.port}/{self.database}"


class AllowedHiveDatabase(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="allowed_hive_databases"
    )
    name = models.CharField(max_length=128)
    access = models.CharField(max_length=16, choices=Access.choices, default=Access.READ_WRITE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "name"], name="one_allowed_hive_database_per_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.access})"


# ---------------------------------------------------------------- previews and dry runs
# A preview runs a pipeline on a sample in the preview queue (spark_runner/engine/preview.py);
# these rows carry the request to the worker and its result back to the page that polls.


class PreviewStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    CUT_SHORT = "cut_short", "Cut short"


class StepPreview(models.Model):
    """One author's preview of a draft in the wizard (a step, or a database source's sample).
    The result holds a mask's original values only when its user was allowed to read them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    xml = models.TextField()
    step = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True)
    reveal = models.BooleanField(default=False)
    # the draft's schemas not yet in the repository (repo path -> text), read over main's files
    files = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=PreviewStatus.choices, default=PreviewStatus.PENDING
    )
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"preview {self.pk} ({self.status})"


class DryRun(models.Model):
    """A changed pipeline of a change request run on sample data at the change's head commit,
    and the same pipeline on ``main`` (for the schema and row-count difference)."""

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="dry_runs"
    )
    head_commit = models.CharField(max_length=40)
    main_commit = models.CharField(max_length=40, blank=True)
    path = models.CharField(max_length=500)
    pipeline_id = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=PreviewStatus.choices, default=PreviewStatus.PENDING
    )
    result = models.JSONField(default=dict, blank=True)
    main_result = models.JSONField(default=dict, blank=True)  # {} when not on main
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_request", "head_commit", "path"], name="one_dry_run_per_head_path"
            )
        ]
        # the main side of a path at a main commit, reused by later dry runs
        indexes = [models.Index(fields=["path", "main_commit"], name="dry_run_main_side")]

    def __str__(self) -> str:
        return f"dry run of {self.pipeline_id} at {self.head_commit[:10]} ({self.status})"

"""Request bodies (validated here) and response shapes (built from selectors' results)."""

from __future__ import annotations

from rest_framework import serializers

from pipelines_app.models import NAME_RE, Action, Kind, Status
from spark_runner.definition.model import LAYERS
from spark_runner.definition.parser import MAX_BYTES

# In characters; the 5 MB in bytes is checked first (413, see body_or_error).
MAX_XML = MAX_BYTES


def application_field():
    return serializers.RegexField(
        NAME_RE,
        max_length=63,
        error_messages={"invalid": "not an application name (lower-case letters, digits, _ and -)"},
    )


class ChangeRequestCreateSerializer(serializers.Serializer):
    application = application_field()
    layer = serializers.ChoiceField(choices=LAYERS)
    kind = serializers.ChoiceField(choices=Kind.values, default=Kind.PIPELINE)
    action = serializers.ChoiceField(choices=Action.values, default=Action.CREATE)
    xml = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=MAX_XML
    )
    definition_id = serializers.CharField(required=False, allow_null=True, max_length=300)
    new_id = serializers.CharField(required=False, allow_null=True, max_length=300)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    submit = serializers.BooleanField(default=True)


class ChangeRequestUpdateSerializer(serializers.Serializer):
    xml = serializers.CharField(required=False, trim_whitespace=False, max_length=MAX_XML)
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)


def head_commit_field():
    return serializers.RegexField(
        r"^[0-9a-f]{40}$",
        help_text=(
            "The head commit of the change as you read it (`head_commit` of the change request). "
            "If the change moved since, the answer is 409 with the new head and nothing changes."
        ),
        error_messages={"invalid": "a 40-character commit id (the head_commit you read)"},
    )


class ApproveSerializer(serializers.Serializer):
    head_commit = head_commit_field()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField()


class ReviewDecisionSerializer(CommentSerializer):
    head_commit = head_commit_field()


class MovedSerializer(serializers.Serializer):
    error = serializers.CharField(help_text='"moved"')
    detail = serializers.CharField()
    head_commit = serializers.CharField(help_text="The change's head now: read it, then decide.")


class ValidateSerializer(serializers.Serializer):
    application = application_field()
    layer = serializers.ChoiceField(choices=LAYERS)
    kind = serializers.ChoiceField(choices=["pipeline", "job"], default="pipeline")
    xml = serializers.CharField(trim_whitespace=False, max_length=MAX_XML)


class RestoreSerializer(serializers.Serializer):
    commit = serializers.RegexField(r"^[0-9a-fA-F]{7,40}$")


# ---------------------------------------------------------------- responses (for the schema)


class ProblemSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField()
    column = serializers.IntegerField()
    message = serializers.CharField()


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    file = serializers.CharField()
    message = serializers.CharField()
    severity = serializers.ChoiceField(choices=["high", "medium"])


class ReviewOutSerializer(serializers.Serializer):
    reviewer = serializers.CharField()
    decision = serializers.CharField()
    comment = serializers.CharField()
    head_commit = serializers.CharField()
    override_reason = serializers.CharField()
    current = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ChangeRequestOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    application = serializers.CharField()
    layer = serializers.CharField()
    kind = serializers.CharField()
    action = serializers.CharField()
    definition_id = serializers.CharField()
    path = serializers.CharField()
    old_path = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.values)
    branch = serializers.CharField()
    base_commit = serializers.CharField()
    head_commit = serializers.CharField()
    merge_commit = serializers.CharField()
    author = serializers.CharField()
    merged_by = serializers.CharField(allow_null=True)
    lines_changed = serializers.IntegerField()
    conflict_files = serializers.ListField(child=serializers.CharField())
    approvals = serializers.ListField(child=serializers.CharField())
    required_approvals = serializers.IntegerField()
    actions = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    merged_at = serializers.DateTimeField(allow_null=True)
    errors = ProblemSerializer(many=True)


class ChangeRequestDetailOutSerializer(ChangeRequestOutSerializer):
    diff = serializers.CharField()
    semantic_diff = serializers.ListField(child=serializers.CharField())
    governance = FindingSerializer(many=True)
    reviews = ReviewOutSerializer(many=True)
    comments = serializers.ListField(child=serializers.DictField())
    files = serializers.ListField(child=serializers.DictField())


class DefinitionOutSerializer(serializers.Serializer):
    application = serializers.CharField()
    layer = serializers.CharField()
    kind = serializers.CharField()
    id = serializers.CharField()
    version = serializers.CharField(allow_null=True)
    path = serializers.CharField()
    commit = serializers.CharField()
    xml = serializers.CharField()


class ValidateOutSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = ProblemSerializer(many=True)


class ApplicationOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    description = serializers.CharField()
    required_approvals = serializers.IntegerField()
    roles = serializers.ListField(child=serializers.CharField())


class CatalogEntrySerializer(serializers.Serializer):
    application = serializers.CharField()
    layer = serializers.CharField()
    kind = serializers.CharField()
    id = serializers.CharField()
    path = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    commit = serializers.CharField()
    date = serializers.DateTimeField()
    author = serializers.CharField()
    message = serializers.CharField()
    change_request = serializers.IntegerField(allow_null=True)
    approvers = serializers.ListField(child=serializers.CharField())
    merged_by = serializers.CharField(allow_null=True)


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True)
    action = serializers.CharField()
    target = serializers.CharField()
    details = serializers.DictField()
    ip = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField()


class QueueItemSerializer(ChangeRequestOutSerializer):
    age_seconds = serializers.IntegerField()
    size = serializers.IntegerField()
    findings = serializers.IntegerField(
        allow_null=True, help_text="governance findings at the head (null: not readable)"
    )
    high_findings = serializers.IntegerField(allow_null=True)

"""REST API v1: thin views; each checks the caller's role in the application, calls one
service or selector, and answers JSON (errors too: ``{"error", "detail", ...}``).

One module per resource: ``auth``, ``definitions``, ``change_requests``, ``actions``,
``audit_log``; ``base`` holds what they share."""

from rest_framework import status

from pipelines_app.api.views.actions import (
    ApproveView,
    CommentView,
    RebaseView,
    RejectView,
    RequestChangesView,
    SubmitView,
    WithdrawView,
)
from pipelines_app.api.views.audit_log import AuditView, JsonLinesRenderer
from pipelines_app.api.views.auth import ApplicationListView
from pipelines_app.api.views.base import HubAPIView
from pipelines_app.api.views.change_requests import (
    ChangeRequestDetailView,
    ChangeRequestListView,
    ReviewQueueView,
)
from pipelines_app.api.views.definitions import (
    PipelineDetailView,
    PipelineHistoryView,
    PipelineListView,
    PipelineRestoreView,
    ValidateView,
)

__all__ = [
    "ApplicationListView",
    "ApproveView",
    "AuditView",
    "ChangeRequestDetailView",
    "ChangeRequestListView",
    "CommentView",
    "HubAPIView",
    "JsonLinesRenderer",
    "PipelineDetailView",
    "PipelineHistoryView",
    "PipelineListView",
    "PipelineRestoreView",
    "RebaseView",
    "RejectView",
    "RequestChangesView",
    "ReviewQueueView",
    "SubmitView",
    "ValidateView",
    "WithdrawView",
    "status",
]

"""The audit log for staff, as JSON pages or streamed JSON lines."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAdminUser

from pipelines_app import audit
from pipelines_app.api import serializers as s
from pipelines_app.api.views.base import HubAPIView
from pipelines_app.errors import BadInput


class JsonLinesRenderer(renderers.BaseRenderer):
    media_type = "application/x-ndjson"
    format = "jsonl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else str(data).encode()


def _when(value: str | None, what: str):
    try:
        return audit.parse_moment(value)
    except ValueError:
        raise BadInput(
            f"{what} must be an ISO date or date-time, e.g. 2026-11-26T10:00:00Z"
        ) from None


class AuditView(HubAPIView):
    """Audit events (staff only), oldest first. ``?format=jsonl`` streams JSON lines."""

    permission_classes = [IsAdminUser]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, JsonLinesRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="ISO date-time; events at or after"),
            OpenApiParameter("until", str),
            OpenApiParameter("format", str, enum=["json", "jsonl"]),
        ],
        responses=s.AuditEventSerializer(many=True),
    )
    def get(self, request):
        since = _when(request.query_params.get("since"), "since")
        until = _when(request.query_params.get("until"), "until")
        if request.accepted_renderer.format == "jsonl":
            audit.record(request.user, "audit.export", "audit", {"since": str(since)}, request)
            response = StreamingHttpResponse(
                audit.export_jsonl(since, until), content_type="application/x-ndjson"
            )
            response["Content-Disposition"] = 'attachment; filename="audit.jsonl"'
            return response
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(audit.events(since, until), request, view=self)
        return paginator.get_paginated_response([audit.as_dict(e) for e in page])

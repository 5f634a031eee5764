"""The audit log for staff, as JSON pages or streamed JSON lines."""

from __future__ import annotations

from django.db.models import Q
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response

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


def _keyset_page(request, events) -> dict:
    """``limit`` events (50, at most 1000) after ``cursor``, and the link to the next ones: no
    count of the whole log and no offset, so the last page costs what the first does."""
    try:
        limit = max(1, min(1000, int(request.query_params.get("limit", 50))))
    except ValueError:
        raise BadInput("limit must be a whole number") from None
    cursor = request.query_params.get("cursor", "")
    if cursor:
        try:
            stamp, ident = cursor.rsplit("_", 1)
            at = audit.parse_moment(stamp)
            ident = int(ident)
        except ValueError:
            raise BadInput("cursor is not one this API returned") from None
        events = events.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=ident))
    rows = list(events[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if more:
        last = rows[-1]
        query = request.query_params.copy()
        query["cursor"] = f"{last.created_at.isoformat()}_{last.pk}"
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"next": next_url, "results": [audit.as_dict(e) for e in rows]}


class AuditView(HubAPIView):
    """Audit events (staff only), oldest first, ``limit`` a page with a ``next`` link (keyset:
    no count). ``?format=jsonl`` streams every event as JSON lines."""

    permission_classes = [IsAdminUser]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, JsonLinesRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="ISO date-time; events at or after"),
            OpenApiParameter("until", str),
            OpenApiParameter("format", str, enum=["json", "jsonl"]),
            OpenApiParameter("limit", int, description="events a page (50, at most 1000)"),
            OpenApiParameter("cursor", str, description="from the previous page's next link"),
        ],
        responses=s.AuditEventSerializer(many=True),
    )
    def get(self, request):
        since = _when(request.query_params.get("since"), "since")
        until = _when(request.query_params.get("until"), "until")
        if request.accepted_renderer.format == "jsonl":
            lines = audit.export(
                actor=request.user, since=since, until=until, client=audit.client_of(request)
            )
            response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
            response["Content-Disposition"] = 'attachment; filename="audit.jsonl"'
            return response
        return Response(_keyset_page(request, audit.events(since, until)))

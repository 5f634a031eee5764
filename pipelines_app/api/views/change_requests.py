"""Change requests: list and create, detail and update, the review queue."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from pipelines_app import selectors, services
from pipelines_app.api import serializers as s
from pipelines_app.api.presenters import change_request_data, detail_data
from pipelines_app.api.views.base import (
    HubAPIView,
    application_or_404,
    body_or_error,
    change_request_for_action,
)
from pipelines_app.audit import client_of
from pipelines_app.errors import BadInput
from pipelines_app.models import Action, Role
from pipelines_app.permissions import require_role


class ChangeRequestListView(HubAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str), OpenApiParameter("application", str)],
        responses=s.ChangeRequestOutSerializer(many=True),
    )
    def get(self, request):
        queryset = selectors.change_requests_for(
            request.user,
            status=request.query_params.get("status") or None,
            application=request.query_params.get("application") or None,
        )
        paginator = LimitOffsetPagination()
        page = selectors.with_approvers(paginator.paginate_queryset(queryset, request, view=self))
        roles = selectors.roles_by_application(request.user)
        return paginator.get_paginated_response(
            [change_request_data(cr, request.user, roles) for cr in page]
        )

    @extend_schema(
        request=s.ChangeRequestCreateSerializer, responses={201: s.ChangeRequestOutSerializer}
    )
    def post(self, request):
        data, error = body_or_error(s.ChangeRequestCreateSerializer, request)
        if error:
            return error
        application = application_or_404(data["application"])
        require_role(request.user, application, Role.AUTHOR)
        if data["action"] != Action.DELETE and not data.get("xml") and data["action"] != "rename":
            raise BadInput("xml is required")
        change_request = services.change_request_create(
            author=request.user,
            application=application,
            layer=data["layer"],
            kind=data["kind"],
            xml=data.get("xml") or None,
            title=data["title"],
            description=data.get("description", ""),
            action=data["action"],
            definition_id=data.get("definition_id"),
            new_id=data.get("new_id"),
            submit=data["submit"],
            client=client_of(request),
        )
        return Response(change_request_data(change_request, request.user), status=201)


class ChangeRequestDetailView(HubAPIView):
    @extend_schema(responses=s.ChangeRequestDetailOutSerializer)
    def get(self, request, number):
        change_request = selectors.change_request_get(request.user, number)
        detail = selectors.change_request_detail(change_request)
        return Response(detail_data(detail, request.user))

    @extend_schema(request=s.ChangeRequestUpdateSerializer, responses=s.ChangeRequestOutSerializer)
    def patch(self, request, number):
        change_request = change_request_for_action(number)
        require_role(request.user, change_request.application, Role.AUTHOR)
        data, error = body_or_error(s.ChangeRequestUpdateSerializer, request)
        if error:
            return error
        change_request = services.change_request_update(
            change_request=change_request,
            author=request.user,
            xml=data.get("xml"),
            title=data.get("title"),
            description=data.get("description"),
            client=client_of(request),
        )
        return Response(change_request_data(change_request, request.user))


class ReviewQueueView(HubAPIView):
    """Changes waiting for the caller's review, oldest first, 50 a page (``limit``/``offset``)."""

    @extend_schema(responses=s.QueueItemSerializer(many=True))
    def get(self, request):
        paginator = LimitOffsetPagination()
        queryset = selectors.review_queue_queryset(request.user)
        paginator.request, paginator.limit = request, paginator.get_limit(request)
        paginator.offset = paginator.get_offset(request)
        paginator.count = paginator.get_count(queryset)
        roles = selectors.roles_by_application(request.user)
        items = selectors.review_queue(request.user, offset=paginator.offset, limit=paginator.limit)
        return paginator.get_paginated_response(
            [
                {
                    **change_request_data(item.change_request, request.user, roles),
                    "age_seconds": int(item.age.total_seconds()),
                    "size": item.size,
                    "findings": item.findings,
                    "high_findings": item.high_findings,
                }
                for item in items
            ]
        )

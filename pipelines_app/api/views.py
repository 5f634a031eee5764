"""REST API v1: thin views; each checks the caller's role in the application, calls one
service or selector, and answers JSON (errors too: ``{"error", "detail", ...}``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, renderers, status
from rest_framework.authtoken.models import Token
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from config_repo.errors import BranchMissing, ConfigRepoError, InvalidPath, LockTimeout, StaleHead
from pipelines_app import audit, proposals, selectors, services
from pipelines_app.api import serializers as s
from pipelines_app.api.presenters import change_request_data, detail_data, problem_data
from pipelines_app.errors import BadInput, ServiceError
from pipelines_app.models import Action, Application, ChangeRequest, Role
from pipelines_app.permissions import application_for, has_role, require_role

log = logging.getLogger(__name__)


class HubAPIView(APIView):
    """Turns domain errors into JSON answers with the right status; never a traceback."""

    def handle_exception(self, exc):
        if isinstance(exc, ServiceError):
            body = {"error": exc.code, "detail": exc.message}
            if hasattr(exc, "problems"):
                body["errors"] = [problem_data(p) for p in exc.problems]
            if hasattr(exc, "findings"):
                body["governance"] = [f.as_dict() for f in exc.findings]
            return Response(body, status=exc.status)
        if isinstance(exc, InvalidPath):
            return Response({"error": "invalid", "detail": str(exc)}, status=400)
        if isinstance(exc, BranchMissing | StaleHead):
            return Response({"error": "conflict", "detail": str(exc)}, status=409)
        if isinstance(exc, LockTimeout):
            return Response({"error": "busy", "detail": str(exc)}, status=503)
        if isinstance(exc, ConfigRepoError):
            log.exception("config repository error")
            return Response({"error": "repository", "detail": str(exc)}, status=503)
        if isinstance(exc, Http404 | PermissionDenied | exceptions.APIException):
            response = super().handle_exception(exc)
            if isinstance(response.data, dict) and "detail" in response.data:
                response.data["error"] = {403: "forbidden", 404: "not_found"}.get(
                    response.status_code, "invalid"
                )
                response.data["detail"] = str(response.data["detail"])
            return response
        log.exception("unexpected error in %s", type(self).__name__)
        return Response(
            {"error": "internal", "detail": "something went wrong; it has been logged"},
            status=500,
        )


def _body(serializer_class, request):
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        return None, Response(
            {
                "error": "invalid",
                "detail": "the request body is not valid",
                "fields": serializer.errors,
            },
            status=400,
        )
    return serializer.validated_data, None


def _cr_for_action(number) -> ChangeRequest:
    """Actions answer 403 (not 404) to members of other applications, so look up unfiltered."""
    try:
        return ChangeRequest.objects.select_related("application", "author").get(number=int(number))
    except (ValueError, TypeError, ChangeRequest.DoesNotExist):
        raise Http404("No such change request") from None


# ---------------------------------------------------------------- auth and applications


class TokenView(HubAPIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.TokenRequestSerializer, responses=s.TokenOutSerializer)
    def post(self, request):
        data, error = _body(s.TokenRequestSerializer, request)
        if error:
            return error
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            audit.record(None, "auth.token_refused", f"user:{data['username'][:100]}", {}, request)
            return Response(
                {"error": "unauthorized", "detail": "wrong username or password"}, status=400
            )
        token, _ = Token.objects.get_or_create(user=user)
        audit.record(user, "auth.token", f"user:{user.username}", {}, request)
        return Response({"token": token.key})


class ApplicationListView(HubAPIView):
    @extend_schema(responses=s.ApplicationOutSerializer(many=True))
    def get(self, request):
        return Response(
            [
                {
                    "name": application.name,
                    "display_name": application.display_name or application.name,
                    "description": application.description,
                    "required_approvals": application.required_approvals,
                    "roles": roles,
                }
                for application, roles in selectors.application_list(request.user)
            ]
        )


# ---------------------------------------------------------------- definitions on main


class PipelineListView(HubAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("application", str),
            OpenApiParameter("layer", str),
            OpenApiParameter("kind", str, enum=["pipeline", "job"]),
        ],
        responses=s.CatalogEntrySerializer(many=True),
        operation_id="v1_pipelines_list",
    )
    def get(self, request):
        application = request.query_params.get("application") or None
        if application is not None:
            proposals.check_application_name(application)
            application_for(request.user, application)
        entries = selectors.catalog(
            request.user,
            application=application,
            layer=request.query_params.get("layer") or None,
            kind=request.query_params.get("kind") or None,
            with_commits=False,
        )
        return Response(
            [
                {
                    "application": e.application,
                    "layer": e.layer,
                    "kind": e.kind,
                    "id": e.id,
                    "path": e.path,
                }
                for e in entries
            ]
        )


class PipelineDetailView(HubAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=["pipeline", "job", "schema"]),
            OpenApiParameter("commit", str, description="a commit id; default main"),
        ],
        responses=s.DefinitionOutSerializer,
    )
    def get(self, request, application, layer, id):
        kind = request.query_params.get("kind") or "pipeline"
        proposals.file_path(application, proposals.check_layer(layer), kind, id)
        application_for(request.user, application)
        rev = request.query_params.get("commit") or "main"
        if rev != "main" and not _is_sha(rev):
            raise BadInput("commit must be a hexadecimal commit id")
        version = selectors.definition_get(
            application=application, layer=layer, kind=kind, id=id, rev=rev
        )
        return Response(
            {
                "application": version.application,
                "layer": version.layer,
                "kind": version.kind,
                "id": version.id,
                "version": version.version,
                "path": version.path,
                "commit": version.commit,
                "xml": version.xml.decode("utf-8", "replace"),
            }
        )


def _is_sha(value: str) -> bool:
    return 7 <= len(value) <= 40 and all(c in "0123456789abcdefABCDEF" for c in value)


class PipelineHistoryView(HubAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=["pipeline", "job", "schema"])],
        responses=s.HistoryEntrySerializer(many=True),
    )
    def get(self, request, application, layer, id):
        kind = request.query_params.get("kind") or "pipeline"
        proposals.file_path(application, proposals.check_layer(layer), kind, id)
        application_for(request.user, application)
        entries = selectors.definition_history(
            application=application, layer=layer, kind=kind, id=id
        )
        return Response(
            [
                {
                    "commit": e.commit,
                    "date": e.date,
                    "author": e.author,
                    "message": e.message,
                    "change_request": e.change_request,
                    "approvers": list(e.approvers),
                    "merged_by": e.merged_by,
                }
                for e in entries
            ]
        )


class PipelineRestoreView(HubAPIView):
    @extend_schema(request=s.RestoreSerializer, responses={201: s.ChangeRequestOutSerializer})
    def post(self, request, application, layer, id):
        kind = request.query_params.get("kind") or "pipeline"
        proposals.file_path(application, proposals.check_layer(layer), kind, id)
        app = _application_or_404(application)
        require_role(request.user, app, Role.AUTHOR)
        data, error = _body(s.RestoreSerializer, request)
        if error:
            return error
        change_request = services.definition_restore(
            author=request.user,
            application=app,
            layer=layer,
            kind=kind,
            id=id,
            commit=data["commit"],
            request=request,
        )
        return Response(change_request_data(change_request, request.user), status=201)


def _application_or_404(name) -> Application:
    application = Application.objects.filter(name=str(name)).first()
    if application is None:
        raise Http404(f"No application {name!r}")
    return application


class ValidateView(HubAPIView):
    """Validate XML as it would be in the application (cross-file rules included)."""

    @extend_schema(request=s.ValidateSerializer, responses=s.ValidateOutSerializer)
    def post(self, request):
        data, error = _body(s.ValidateSerializer, request)
        if error:
            return error
        application_for(request.user, data["application"])
        repo = services.config_repository()
        before = repo.files("main")
        xml = data["xml"].encode("utf-8")
        try:
            definition = proposals.parse_definition(
                data["application"], data["layer"], data["kind"], xml, None
            )
            path = proposals.file_path(
                data["application"], data["layer"], data["kind"], definition.id
            )
            problems = proposals.problems(data["application"], before, {path: xml})
        except services.ChangeRequestInvalid as invalid:
            problems = list(invalid.problems)
        return Response({"valid": not problems, "errors": [problem_data(p) for p in problems]})


# ---------------------------------------------------------------- change requests


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
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            [change_request_data(cr, request.user) for cr in page]
        )

    @extend_schema(
        request=s.ChangeRequestCreateSerializer, responses={201: s.ChangeRequestOutSerializer}
    )
    def post(self, request):
        data, error = _body(s.ChangeRequestCreateSerializer, request)
        if error:
            return error
        application = _application_or_404(data["application"])
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
            request=request,
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
        change_request = _cr_for_action(number)
        require_role(request.user, change_request.application, Role.AUTHOR)
        data, error = _body(s.ChangeRequestUpdateSerializer, request)
        if error:
            return error
        change_request = services.change_request_update(
            change_request=change_request,
            author=request.user,
            xml=data.get("xml"),
            title=data.get("title"),
            description=data.get("description"),
            request=request,
        )
        return Response(change_request_data(change_request, request.user))


class _ChangeRequestAction(HubAPIView):
    role = Role.REVIEWER
    body = None

    def post(self, request, number):
        change_request = _cr_for_action(number)
        require_role(request.user, change_request.application, self.role)
        data = {}
        if self.body is not None:
            data, error = _body(self.body, request)
            if error:
                return error
        result = self.act(request, change_request, data)
        if not isinstance(result, ChangeRequest):
            return Response(result, status=201)
        return Response(change_request_data(result, request.user))


class ApproveView(_ChangeRequestAction):
    body = s.ApproveSerializer

    @extend_schema(request=s.ApproveSerializer, responses=s.ChangeRequestOutSerializer)
    def post(self, request, number):
        return super().post(request, number)

    def act(self, request, change_request, data):
        return services.change_request_approve(
            change_request=change_request,
            reviewer=request.user,
            comment=data["comment"],
            override_reason=data.get("override_reason"),
            request=request,
        )


class RequestChangesView(_ChangeRequestAction):
    body = s.CommentSerializer

    @extend_schema(request=s.CommentSerializer, responses=s.ChangeRequestOutSerializer)
    def post(self, request, number):
        return super().post(request, number)

    def act(self, request, change_request, data):
        return services.change_request_request_changes(
            change_request=change_request,
            reviewer=request.user,
            comment=data["comment"],
            request=request,
        )


class RejectView(RequestChangesView):
    def act(self, request, change_request, data):
        return services.change_request_reject(
            change_request=change_request,
            reviewer=request.user,
            comment=data["comment"],
            request=request,
        )


class WithdrawView(_ChangeRequestAction):
    role = Role.AUTHOR

    @extend_schema(request=None, responses=s.ChangeRequestOutSerializer)
    def post(self, request, number):
        return super().post(request, number)

    def act(self, request, change_request, data):
        return services.change_request_withdraw(
            change_request=change_request, author=request.user, request=request
        )


class SubmitView(WithdrawView):
    def act(self, request, change_request, data):
        return services.change_request_submit(
            change_request=change_request, author=request.user, request=request
        )


class RebaseView(WithdrawView):
    def act(self, request, change_request, data):
        return services.change_request_rebase(
            change_request=change_request, author=request.user, request=request
        )


class CommentView(_ChangeRequestAction):
    role = None
    body = s.CommentSerializer

    @extend_schema(request=s.CommentSerializer, responses={201: dict})
    def post(self, request, number):
        change_request = _cr_for_action(number)
        if not has_role(request.user, change_request.application):
            raise PermissionDenied("You have no role in this application.")
        data, error = _body(self.body, request)
        if error:
            return error
        comment = services.change_request_comment(
            change_request=change_request,
            author=request.user,
            body=data["comment"],
            request=request,
        )
        return Response(
            {
                "id": comment.pk,
                "author": request.user.username,
                "comment": comment.body,
                "created_at": comment.created_at,
            },
            status=201,
        )


class ReviewQueueView(HubAPIView):
    """Changes waiting for the caller's review, oldest first."""

    @extend_schema(responses=s.QueueItemSerializer(many=True))
    def get(self, request):
        return Response(
            [
                {
                    **change_request_data(item.change_request, request.user),
                    "age_seconds": int(item.age.total_seconds()),
                    "size": item.size,
                    "findings": item.findings,
                    "high_findings": item.high_findings,
                }
                for item in selectors.review_queue(request.user)
            ]
        )


# ---------------------------------------------------------------- audit


class JsonLinesRenderer(renderers.BaseRenderer):
    media_type = "application/x-ndjson"
    format = "jsonl"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else str(data).encode()


def _when(value: str | None, what: str):
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None and (day := parse_date(value)) is not None:
        parsed = datetime.combine(day, time.min)
    if parsed is None:
        raise BadInput(f"{what} must be an ISO date or date-time, e.g. 2026-11-26T10:00:00Z")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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


__all__ = ["status"]

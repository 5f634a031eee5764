"""Definitions on ``main``: list, one at a commit, history, restore, validation."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from pipelines_app import file_changes, selectors, services
from pipelines_app.api import serializers as s
from pipelines_app.api.presenters import change_request_data, problem_data
from pipelines_app.api.views.base import HubAPIView, application_or_404, body_or_error
from pipelines_app.audit import client_of
from pipelines_app.errors import BadInput
from pipelines_app.models import Role
from pipelines_app.permissions import application_for, require_role


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
            file_changes.check_application_name(application)
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
        file_changes.file_path(application, file_changes.check_layer(layer), kind, id)
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
        file_changes.file_path(application, file_changes.check_layer(layer), kind, id)
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
        file_changes.file_path(application, file_changes.check_layer(layer), kind, id)
        app = application_or_404(application)
        require_role(request.user, app, Role.AUTHOR)
        data, error = body_or_error(s.RestoreSerializer, request)
        if error:
            return error
        change_request = services.definition_restore(
            author=request.user,
            application=app,
            layer=layer,
            kind=kind,
            id=id,
            commit=data["commit"],
            client=client_of(request),
        )
        return Response(change_request_data(change_request, request.user), status=201)


class ValidateView(HubAPIView):
    """Validate XML as it would be in the application (cross-file rules included)."""

    @extend_schema(request=s.ValidateSerializer, responses=s.ValidateOutSerializer)
    def post(self, request):
        data, error = body_or_error(s.ValidateSerializer, request)
        if error:
            return error
        application_for(request.user, data["application"])
        repo = services.config_repository()
        before = repo.files("main")
        xml = data["xml"].encode("utf-8")
        try:
            definition = file_changes.parse_definition(
                data["application"], data["layer"], data["kind"], xml, None
            )
            path = file_changes.file_path(
                data["application"], data["layer"], data["kind"], definition.id
            )
            problems = file_changes.problems(data["application"], before, {path: xml})
        except services.ChangeRequestInvalid as invalid:
            problems = list(invalid.problems)
        return Response({"valid": not problems, "errors": [problem_data(p) for p in problems]})

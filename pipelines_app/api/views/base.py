"""What every API view shares: domain errors as JSON answers, body validation, look-ups."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from config_repo.errors import BranchMissing, ConfigRepoError, InvalidPath, LockTimeout, StaleHead
from pipelines_app.api.presenters import problem_data
from pipelines_app.errors import ServiceError
from pipelines_app.forms.pages import definition_too_large
from pipelines_app.models import Application, ChangeRequest

log = logging.getLogger("pipelines_app.api.views")


class HubAPIView(APIView):
    """Turns domain errors into JSON answers with the right status; never a traceback."""

    def handle_exception(self, exc):
        if isinstance(exc, ServiceError):
            body = {"error": exc.code, "detail": exc.message}
            if hasattr(exc, "problems"):
                body["errors"] = [problem_data(p) for p in exc.problems]
            if hasattr(exc, "findings"):
                body["governance"] = [f.as_dict() for f in exc.findings]
            if hasattr(exc, "head_commit"):
                body["head_commit"] = exc.head_commit
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


def body_or_error(serializer_class, request):
    xml = request.data.get("xml") if hasattr(request.data, "get") else None
    if isinstance(xml, str) and (too_large := definition_too_large(xml)) is not None:
        return None, Response({"error": "too_large", "detail": too_large}, status=413)
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


def change_request_for_action(number) -> ChangeRequest:
    """Unfiltered: the action then checks the role (404 to non-members, 403 to members
    without the role)."""
    try:
        return ChangeRequest.objects.select_related("application", "author").get(number=int(number))
    except (ValueError, TypeError, ChangeRequest.DoesNotExist):
        raise Http404("No such change request") from None


def application_or_404(name) -> Application:
    application = Application.objects.filter(name=str(name)).first()
    if application is None:
        raise Http404(f"No application {name!r}")
    return application

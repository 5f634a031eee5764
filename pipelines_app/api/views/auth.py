"""Tokens and the caller's applications."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from pipelines_app import audit, selectors
from pipelines_app.api import serializers as s
from pipelines_app.api.views.base import HubAPIView, body_or_error


class TokenView(HubAPIView):
    """Exchange a username and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=s.TokenRequestSerializer, responses=s.TokenOutSerializer)
    def post(self, request):
        data, error = body_or_error(s.TokenRequestSerializer, request)
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

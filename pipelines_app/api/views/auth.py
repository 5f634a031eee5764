"""The caller's applications (tokens: portal.accounts.api)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from pipelines_app import selectors
from pipelines_app.api import serializers as s
from pipelines_app.api.views.base import HubAPIView


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

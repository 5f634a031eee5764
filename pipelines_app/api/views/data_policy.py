"""An application's data policy, readable by its members (staff change it elsewhere)."""

from __future__ import annotations

from rest_framework.response import Response

from pipelines_app.api.views.base import HubAPIView
from pipelines_app.data_policy import describe
from pipelines_app.permissions import application_for


class DataPolicyView(HubAPIView):
    http_method_names = ["get", "head", "options"]

    def get(self, request, application):
        return Response(describe(application_for(request.user, application)))

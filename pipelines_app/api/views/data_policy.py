"""An application's data policy, readable by its members (staff change it elsewhere)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from pipelines_app.api.views.base import HubAPIView
from pipelines_app.data_policy import describe
from pipelines_app.permissions import application_for


class _AccessEntry(serializers.Serializer):
    access = serializers.ChoiceField(choices=["read-only", "read-write"])


class _StorageRoot(_AccessEntry):
    uri = serializers.CharField()


class _HiveDatabase(_AccessEntry):
    name = serializers.CharField()


class _Connection(serializers.Serializer):
    url = serializers.CharField()
    credential_secret = serializers.CharField(allow_blank=True)


class _HiveDatabases(serializers.Serializer):
    owned = serializers.ListField(child=serializers.CharField())
    allowed = _HiveDatabase(many=True)


class DataPolicyOutSerializer(serializers.Serializer):
    application = serializers.CharField()
    data_folder = serializers.CharField()
    storage = _StorageRoot(many=True)
    connections = _Connection(many=True)
    secrets = serializers.CharField(help_text="the pattern of the secret names it may use")
    hive_databases = _HiveDatabases()


class DataPolicyView(HubAPIView):
    http_method_names = ["get", "head", "options"]

    @extend_schema(responses=DataPolicyOutSerializer)
    def get(self, request, application):
        return Response(describe(application_for(request.user, application)))

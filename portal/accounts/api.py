"""The token endpoint (username and password -> a new token) and the caller's tokens."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from pipelines_app import audit
from pipelines_app.api.views.base import HubAPIView, body_or_error
from portal.accounts import signin, tokens


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, max_length=4096)
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="What the token is for."
    )


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The token's first characters, to recognise it.")
    user = serializers.CharField(source="user.username")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField(help_text="active, expired or revoked")


class IssuedTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="Shown once: the portal keeps only its hash.")


class TokenView(HubAPIView):
    """Exchange a username and password for a new API token (expires; see HUB_API_TOKEN_DAYS).

    Failed attempts are counted per user name and per address; past the limit the answer is
    429 until the lockout ends, even with the right password."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=TokenRequestSerializer, responses={200: IssuedTokenSerializer, 429: dict}
    )
    def post(self, request):
        data, error = body_or_error(TokenRequestSerializer, request)
        if error:
            return error
        username, address = data["username"], signin.client_address(request)
        target = f"user:{username[:100]}"
        if reason := signin.lockout_reason(username, address):
            audit.record(None, "auth.locked_out", target, {"via": "token"}, request)
            return Response({"error": "locked", "detail": reason}, status=429)
        user = authenticate(request, username=username, password=data["password"])
        if user is None or not user.is_active:
            signin.failure_record(username, address)
            audit.record(None, "auth.token_refused", target, {}, request)
            return Response(
                {"error": "unauthorized", "detail": "wrong username or password"}, status=400
            )
        signin.failures_clear(username)
        token, row = tokens.token_issue(user=user, name=data.get("name", ""), request=request)
        return Response({"token": token, **TokenSerializer(row).data})


class TokenListView(HubAPIView):
    """Your tokens (staff: everyone's), newest first; never the tokens themselves."""

    @extend_schema(responses=TokenSerializer(many=True))
    def get(self, request):
        rows = tokens.tokens_visible_to(request.user)
        return Response(TokenSerializer(rows[:500], many=True).data)


class TokenRevokeView(HubAPIView):
    """Revoke one of your tokens (staff: anyone's). Someone else's token is 404."""

    @extend_schema(request=None, responses=TokenSerializer)
    def post(self, request, token_id: int):
        row = tokens.tokens_visible_to(request.user).filter(pk=token_id).first()
        if row is None:
            raise Http404("No such token")
        tokens.token_revoke(token=row, actor=request.user, request=request)
        row.refresh_from_db()
        return Response(TokenSerializer(row).data)

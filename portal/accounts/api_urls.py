"""Included by portal/urls.py at ``/api/v1/``."""

from django.urls import path

from portal.accounts import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("auth/tokens/", api.TokenListView.as_view(), name="api-tokens"),
    path(
        "auth/tokens/<int:token_id>/revoke/",
        api.TokenRevokeView.as_view(),
        name="api-token-revoke",
    ),
]

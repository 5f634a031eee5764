"""Issuing, checking and revoking API tokens; DRF authentication by ``Authorization: Token``."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from pipelines_app import audit
from portal.accounts.models import ApiToken

TOKEN_PREFIX = "dh_"  # noqa: S105 - marks a portal token, not a secret


def digest_of(token: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 cannot be reversed by guessing.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_issue(*, user, name: str = "", request=None) -> tuple[str, ApiToken]:
    """A new token for ``user`` (the clear text is returned once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = settings.HUB_API_TOKEN_DAYS
    row = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=token[:10],
        digest=digest_of(token),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(
        user,
        "auth.token",
        f"user:{user.username}",
        {"token": row.prefix, "id": row.pk, "expires_at": row.expires_at},
        request,
    )
    return token, row


def token_revoke(*, token: ApiToken, actor, request=None) -> bool:
    """The owner or staff revokes a token; True when this call revoked it."""
    if token.user_id != actor.pk and not actor.is_staff:
        raise PermissionError("only the owner of a token or staff can revoke it")
    done = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if done:
        audit.record(
            actor,
            "auth.token_revoked",
            f"user:{token.user.username}",
            {"token": token.prefix, "id": token.pk},
            request,
        )
    return bool(done)


def tokens_visible_to(user):
    """Staff see every token; others their own."""
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    return tokens if user.is_staff else tokens.filter(user=user)


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <token>``, checked against the stored hash, expiry and revocation."""

    def authenticate_credentials(self, key):
        row = ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()
        if row is None or not row.user.is_active:
            raise exceptions.AuthenticationFailed("invalid token")
        if row.revoked_at is not None:
            raise exceptions.AuthenticationFailed("this token was revoked; ask for a new one")
        now = timezone.now()
        if row.expires_at <= now:
            raise exceptions.AuthenticationFailed("this token expired; ask for a new one")
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row.user, row

"""Sign-in throttling: too many failures for a user name, or from an address, lock it out for a
while. Counted in the database, so every web process sees the same count (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_address

from django.conf import settings
from django.utils import timezone

from portal.accounts.models import SignInFailure


def client_address(request) -> str | None:
    """The caller's address: REMOTE_ADDR, or behind a trusted proxy
    (``HUB_TRUST_X_FORWARDED_FOR``) the last address of X-Forwarded-For, the one the proxy saw."""
    meta = getattr(request, "META", {}) or {}
    address = meta.get("REMOTE_ADDR") or ""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if settings.HUB_TRUST_X_FORWARDED_FOR and forwarded:
        address = forwarded.split(",")[-1].strip()
    try:
        return str(ip_address(address))
    except ValueError:
        return None


def _window_start():
    return timezone.now() - timedelta(seconds=settings.HUB_SIGNIN_LOCKOUT_SECONDS)


def _minutes() -> str:
    minutes = max(1, round(settings.HUB_SIGNIN_LOCKOUT_SECONDS / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_reason(username: str, address: str | None) -> str | None:
    """Why sign-in is refused right now for this user name or address, or None."""
    recent = SignInFailure.objects.filter(created_at__gte=_window_start())
    by_name = recent.filter(username=username.lower()[:150]).count()
    if by_name >= settings.HUB_SIGNIN_MAX_FAILURES:
        return (
            f"Too many failed sign-ins for this user name: it is locked for {_minutes()}. "
            "Try again later, or ask an administrator."
        )
    if address is not None:
        by_address = recent.filter(address=address).count()
        if by_address >= settings.HUB_SIGNIN_MAX_FAILURES_PER_ADDRESS:
            return (
                f"Too many failed sign-ins from your address: it is locked for {_minutes()}. "
                "Try again later."
            )
    return None


def failure_record(username: str, address: str | None) -> None:
    SignInFailure.objects.filter(created_at__lt=_window_start()).delete()
    SignInFailure.objects.create(username=username.lower()[:150], address=address)


def failures_clear(username: str) -> None:
    """A successful sign-in forgets the user name's failures (not the address's)."""
    SignInFailure.objects.filter(username=username.lower()[:150]).delete()

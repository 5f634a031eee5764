"""The append-only audit trail: who did what, to what, when, from where."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time

from django.utils.dateparse import parse_date, parse_datetime

from pipelines_app.models import AuditEvent

# Where an action came from: (IP, user agent), read from the request by ``client_of``. Services
# take this plain value, never the request.
Client = tuple[str | None, str]
NO_CLIENT: Client = (None, "")

# For the audit page's suggestions (its action filter is an exact match or "prefix.*").
KNOWN_ACTIONS = (
    "application.change",
    "application.create",
    "audit.export",
    "auth.token",
    "change_request.*",
    "change_request.approve",
    "change_request.branch_restored",
    "change_request.comment",
    "change_request.conflict",
    "change_request.create",
    "change_request.merge",
    "change_request.override",
    "change_request.rebase",
    "change_request.submit",
    "change_request.update",
    "change_request.withdraw",
    "membership.grant",
    "membership.revoke",
)


def _client(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    meta = getattr(request, "META", {}) or {}
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    ip = (forwarded.split(",")[0].strip() if forwarded else "") or meta.get("REMOTE_ADDR") or None
    if ip is not None:
        try:
            from ipaddress import ip_address

            ip_address(ip)
        except ValueError:
            ip = None
    return ip, str(meta.get("HTTP_USER_AGENT", ""))[:400]


def client_of(request) -> tuple[str | None, str]:
    """(IP, user agent) of a request, checked: what services take instead of the request."""
    return _client(request)


def record(
    actor,
    action: str,
    target,
    details: dict | None = None,
    request=None,
    *,
    client: tuple[str | None, str] | None = None,
) -> AuditEvent:
    """Append one event. ``actor`` is a user (or None for the system); ``target`` anything
    with a readable ``str`` (a change request, "application:sales", ...). Where it came from:
    ``request``, or ``client`` = (IP, user agent) from ``client_of``."""
    ip, user_agent = client if client is not None else _client(request)
    user = actor if getattr(actor, "pk", None) is not None else None
    name = getattr(actor, "username", None) or (str(actor) if actor else "system")
    return AuditEvent.objects.create(
        actor=user,
        actor_name=name[:150],
        action=action[:64],
        target=str(target)[:300],
        details=json.loads(json.dumps(details or {}, default=str)),
        ip=ip,
        user_agent=user_agent,
    )


def parse_moment(value: str | None) -> datetime | None:
    """An ISO date or date-time (naive ones in UTC) for `since`/`until`; ValueError when neither."""
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None and (day := parse_date(value)) is not None:
        parsed = datetime.combine(day, time.min)
    if parsed is None:
        raise ValueError(f"{value!r} is not an ISO date or date-time")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def events(since: datetime | None = None, until: datetime | None = None):
    queryset = AuditEvent.objects.order_by("created_at", "id")
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    return queryset


def as_dict(event: AuditEvent) -> dict:
    return {
        "id": event.pk,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor_name,
        "actor_id": event.actor_id,
        "action": event.action,
        "target": event.target,
        "details": event.details,
        "ip": event.ip,
        "user_agent": event.user_agent,
    }


EXPORT_FIELDS = ("id", "created_at", "actor_name", "actor_id", "action", "target", "details")
EXPORT_FIELDS += ("ip", "user_agent")


def export_jsonl(since: datetime | None = None, until: datetime | None = None) -> Iterator[str]:
    """One JSON document per line, oldest first. Streams plain rows from a server-side cursor
    (PostgreSQL) in chunks, so memory stays flat however long the log."""
    rows = events(since, until).values_list(*EXPORT_FIELDS).iterator(chunk_size=2000)
    for pk, created_at, actor, actor_id, action, target, details, ip, user_agent in rows:
        document = {
            "id": pk,
            "created_at": created_at.isoformat(),
            "actor": actor,
            "actor_id": actor_id,
            "action": action,
            "target": target,
            "details": details,
            "ip": ip,
            "user_agent": user_agent,
        }
        yield json.dumps(document, ensure_ascii=False, sort_keys=True) + "\n"


def export(*, actor, since=None, until=None, client: Client = NO_CLIENT) -> Iterator[str]:
    """Every event from ``since`` to ``until`` as JSON lines; the export is itself one line."""
    record(actor, "audit.export", "audit", {"since": str(since)}, client=client)
    return export_jsonl(since, until)

"""The audit log, for administrators: newest first, 50 a page by keyset (``before``), filters
that an index serves (exact actor, exact action or ``prefix.*``, a time range); no row count."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from pipelines_app import forms as f
from pipelines_app.audit import KNOWN_ACTIONS
from pipelines_app.models import AuditEvent
from pipelines_app.views.common import page
from webkit.responses import respond

PAGE_SIZE = 50
CURSOR_TIME = "%Y%m%dT%H%M%S.%f"


def _cursor(raw: str) -> tuple[datetime, int] | None:
    try:
        stamp, _, ident = raw.rpartition("_")
        return datetime.strptime(stamp, CURSOR_TIME).replace(tzinfo=UTC), int(ident)
    except ValueError:
        return None


def _filtered(data: dict):
    events = AuditEvent.objects.order_by("-created_at", "-id")
    if data.get("actor"):
        events = events.filter(actor_name=data["actor"])
    action = data.get("action") or ""
    if action.endswith(".*"):
        events = events.filter(action__startswith=action[:-1])
    elif action:
        events = events.filter(action=action)
    if data.get("since"):
        events = events.filter(created_at__gte=datetime.combine(data["since"], time.min, UTC))
    if data.get("until"):
        end = datetime.combine(data["until"], time.min, UTC) + timedelta(days=1)
        events = events.filter(created_at__lt=end)
    return events


@page
def audit_log(request):
    if not request.user.is_staff:
        raise PermissionDenied("The audit log is for administrators (staff) only.")
    form = f.AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    events = _filtered(data)
    before = _cursor(request.GET.get("before", ""))
    if before:
        at, ident = before
        events = events.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=ident))
    rows = list(events[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("before", None)
    query.pop("page", None)
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = f"{last.created_at.astimezone(UTC).strftime(CURSOR_TIME)}_{last.pk}"
    context = {
        "form": form,
        "events": rows,
        "next_cursor": next_cursor,
        "paged": bool(before),
        "query": query.urlencode(),
        "known_actions": KNOWN_ACTIONS,
    }
    return respond(
        request,
        "pipelines_app/audit.html",
        context,
        fragments="pipelines_app/partials/audit_table.html",
    )

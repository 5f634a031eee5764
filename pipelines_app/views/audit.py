"""The audit log, for administrators."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

from pipelines_app import forms as f
from pipelines_app.models import AuditEvent
from pipelines_app.views.common import page, query_without_page, respond


@page
def audit_log(request):
    if not request.user.is_staff:
        raise PermissionDenied("The audit log is for administrators (staff) only.")
    form = f.AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.order_by("-created_at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            events = events.filter(actor_name__icontains=data["actor"])
        if data["action"]:
            events = events.filter(action__icontains=data["action"])
        if data["since"]:
            events = events.filter(created_at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(created_at__date__lte=data["until"])
    paginator = Paginator(events, 50)
    context = {
        "form": form,
        "page_obj": paginator.get_page(request.GET.get("page")),
        "query": query_without_page(request),
    }
    return respond(
        request,
        "pipelines_app/audit.html",
        context,
        fragment="pipelines_app/partials/audit_table.html",
    )

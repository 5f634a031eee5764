"""Change requests: list, detail, comments, the author's actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pipelines_app import forms as f
from pipelines_app import permissions, selectors, services
from pipelines_app.drafting.checking import parse_any
from pipelines_app.drafting.drafts import open_draft
from pipelines_app.errors import ServiceError
from pipelines_app.models import Status
from pipelines_app.views.common import diff_lines, page, query_without_page, service_call
from pipelines_app.views.previews import dry_run_context
from webkit.responses import respond

# ---------------------------------------------------------------- change requests


def change_or_404(request, number: int):
    try:
        return selectors.change_request_get(request.user, number)
    except ServiceError:
        raise Http404("No such change request") from None


@page
def change_list(request):
    applications = permissions.applications_for(request.user)
    form = f.ChangeFilterForm(
        request.GET or None, applications=applications, statuses=Status.values
    )
    data = form.cleaned_data if form.is_valid() else {}
    changes = selectors.change_requests_for(
        request.user, status=data.get("status") or None, application=data.get("application") or None
    )
    if data.get("mine"):
        changes = changes.filter(author=request.user)
    paginator = Paginator(changes, 50)
    context = {
        "form": form,
        "page_obj": paginator.get_page(request.GET.get("page")),
        "applications": applications,
        "query": query_without_page(request),
    }
    return respond(
        request,
        "pipelines_app/change_list.html",
        context,
        fragments="pipelines_app/partials/change_table.html",
    )


def _conversation(change) -> list[dict]:
    events = [
        {"kind": "review", "at": r.created_at, "item": r}
        for r in change.reviews.select_related("reviewer")
    ]
    events += [
        {"kind": "comment", "at": c.created_at, "item": c}
        for c in change.comments.select_related("author")
    ]
    return sorted(events, key=lambda e: e["at"])


def _files(detail) -> list[dict]:
    return [
        {"path": c.path, "old_path": c.old_path, "status": c.status, "lines": diff_lines(c.patch)}
        for c in detail.files
    ]


@page
def change_detail(request, number: int):
    change = change_or_404(request, number)
    return render(request, "pipelines_app/change_detail.html", detail_context(request, change))


def detail_context(request, change, **extra) -> dict:
    detail = selectors.change_request_detail(change)
    actions = selectors.actions_for(request.user, change)
    findings = [
        {
            "code": x.code,
            "file": x.file,
            "message": x.message,
            "severity": x.severity,
        }
        for x in detail.governance
    ]
    context = {
        "change": change,
        "detail": detail,
        "files": _files(detail),
        "findings": findings,
        "conversation": _conversation(change),
        "actions": actions,
        "can_review": "approve" in actions or "request_changes" in actions,
        "can_rebase": "rebase" in actions and change.status == Status.NEEDS_REBASE,
        "already_approved": any(a.pk == request.user.pk for a in detail.approvers),
        "review_form": f.ReviewActionForm(),
        "comment_form": f.CommentForm(),
    }
    context |= dry_run_context(change)
    return context | extra


AUTHOR_ACTIONS = {
    "withdraw": services.change_request_withdraw,
    "rebase": services.change_request_rebase,
    "submit": services.change_request_submit,
}


@page
@require_POST
def change_author_action(request, number: int, action: str):
    change = change_or_404(request, number)
    if action not in AUTHOR_ACTIONS:
        raise Http404("No such action")
    if action not in selectors.actions_for(request.user, change):
        raise PermissionDenied(f"Only the author of an open change request can {action} it.")
    _, error = service_call(
        request, AUTHOR_ACTIONS[action], change_request=change, author=request.user
    )
    if error:
        messages.error(request, f"Could not {action}: {error}")
    else:
        messages.success(request, f"Change request #{change.number}: {action} done.")
    return redirect("pipelines:change_detail", number)


@page
@require_POST
def change_comment(request, number: int):
    change = change_or_404(request, number)
    form = f.CommentForm(request.POST)
    error = "Write a comment first."
    if form.is_valid():
        _, error = service_call(
            request,
            services.change_request_comment,
            change_request=change,
            author=request.user,
            body=form.cleaned_data["body"],
        )
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("pipelines:change_detail", number)
    context = {
        "change": change,
        "conversation": _conversation(change),
        "comment_form": form if error else f.CommentForm(),
        "comment_error": error,
        "actions": ["comment"],
    }
    return render(request, "pipelines_app/partials/conversation.html", context)


@page
def change_update(request, number: int):
    """Opens the wizard (or the XML editor) on the change's file as it is on its branch."""
    change = change_or_404(request, number)
    if "update" not in selectors.actions_for(request.user, change) or change.action == "delete":
        raise PermissionDenied("Only the author can update an open change request.")
    data = services.config_repository().read(change.path, rev=change.head_commit)
    if data is None:
        raise Http404("The change's file is not on its branch")
    definition, _ = parse_any(data, change.path)
    common = {
        "change_request": change.pk,
        "path": change.path,
        "locked": True,
        "definition_id": change.definition_id,
        "layer": change.layer,
        "application": change.application.name,
        "submit": {"title": change.title, "description": change.description},
    }
    return open_draft(request, data, definition, **common)

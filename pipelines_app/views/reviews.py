"""Reviewers' pages and actions: the queue, approve / request changes / reject."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pipelines_app import forms as f
from pipelines_app import permissions, selectors, services
from pipelines_app.models import Status
from pipelines_app.views.changes import change_or_404, detail_context
from pipelines_app.views.common import page, query_without_page, service_call

REVIEW_ACTIONS = {
    "approve": (services.change_request_approve, "approved"),
    "request-changes": (services.change_request_request_changes, "sent back for changes"),
    "reject": (services.change_request_reject, "rejected"),
}


@page
@require_POST
def change_review(request, number: int, decision: str):
    change = change_or_404(request, number)
    if decision not in REVIEW_ACTIONS:
        raise Http404("No such action")
    if change.author_id == request.user.pk:
        raise PermissionDenied("Four eyes: you cannot review your own change request.")
    permissions.require_role(request.user, change.application, "reviewer")
    form = f.ReviewActionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "The review form lacks the version you read (head_commit): reload the change."
        )
    data = form.cleaned_data
    call, verb = REVIEW_ACTIONS[decision]
    kwargs = {
        "change_request": change,
        "reviewer": request.user,
        "comment": data.get("comment", ""),
        "head_commit": data["head_commit"],
    }
    if decision == "approve":
        kwargs["override_reason"] = data.get("override_reason", "")
    elif not kwargs["comment"].strip():
        messages.error(request, "Say what the author should change: a comment is required.")
        return redirect("pipelines:change_detail", number)
    try:
        _, error = service_call(request, call, **kwargs)
    except services.ChangeMoved as moved:
        return _moved(request, change, form, moved)
    if error:
        messages.error(request, f"Not {verb}: {error}")
    else:
        change.refresh_from_db()
        done = "merged into main" if change.status == Status.MERGED else verb
        messages.success(request, f"Change request #{change.number} {done}.")
    return redirect("pipelines:change_detail", number)


def _moved(request, change, form, moved):
    """The change page again, as it is now, saying the decision was not taken; the comment
    the reviewer wrote is kept."""
    change.refresh_from_db()
    review_form = f.ReviewActionForm(
        initial={
            "comment": form.cleaned_data.get("comment", ""),
            "override_reason": form.cleaned_data.get("override_reason", ""),
        }
    )
    context = detail_context(request, change, moved_to=moved.head_commit, review_form=review_form)
    return render(request, "pipelines_app/change_detail.html", context, status=409)


# ---------------------------------------------------------------- review queue and audit


QUEUE_PAGE = 50


@page
def review_queue(request):
    paginator = Paginator(selectors.review_queue_queryset(request.user), QUEUE_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))  # a COUNT and nothing else
    offset = (page_obj.number - 1) * QUEUE_PAGE
    items = selectors.review_queue(request.user, offset=offset, limit=QUEUE_PAGE)
    rows = [{"item": item, "change": item.change_request, "flags": item.findings} for item in items]
    context = {
        "rows": rows,
        "page_obj": page_obj,
        "query": query_without_page(request),
        "is_reviewer": bool(permissions.applications_for(request.user, "reviewer")),
    }
    return render(request, "pipelines_app/review_queue.html", context)

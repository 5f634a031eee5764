"""Change requests: lists, one by number, what a user may do to one, the review queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from pipelines_app.errors import NotFound
from pipelines_app.models import (
    OPEN_STATUSES,
    Application,
    ChangeRequest,
    Decision,
    Membership,
    Review,
    Role,
    Status,
)
from pipelines_app.permissions import applications_for, has_role
from pipelines_app.services.reviews import approvers_at_head


def roles_by_application(user) -> dict[str, set[str]]:
    """Every role ``user`` holds, per application name, in one query (staff: every role)."""
    if not (user.is_authenticated and user.is_active):
        return {}
    if user.is_staff:
        names = Application.objects.values_list("name", flat=True)
        return {name: {r.value for r in Role} for name in names}
    roles: dict[str, set[str]] = {}
    rows = Membership.objects.filter(user=user).values_list("application__name", "role")
    for name, role in rows:
        roles.setdefault(name, set()).add(role)
    return roles


def change_requests_for(
    user, *, status: str | None = None, application: str | None = None
) -> QuerySet[ChangeRequest]:
    """Change requests in the applications where ``user`` has any role, newest first."""
    queryset = ChangeRequest.objects.select_related("application", "author", "merged_by")
    if not user.is_staff:
        queryset = queryset.filter(application__name__in=applications_for(user))
    if status:
        queryset = queryset.filter(status=status)
    if application:
        queryset = queryset.filter(application__name=application)
    return queryset.order_by("-created_at", "-id")


def change_request_get(user, number) -> ChangeRequest:
    """The change request, or NotFound when it does not exist or ``user`` has no role there."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound(f"there is no change request {number!r}") from None
    change_request = (
        ChangeRequest.objects.select_related("application", "author", "merged_by")
        .filter(number=number)
        .first()
    )
    if change_request is None or not has_role(user, change_request.application):
        raise NotFound(f"there is no change request #{number}")
    return change_request


def actions_for(user, change_request: ChangeRequest, roles: dict | None = None) -> list[str]:
    """What ``user`` may do to the change request now (the buttons a page shows). ``roles``
    (from ``roles_by_application``) saves the role queries when listing many."""

    def holds(role=None) -> bool:
        if roles is None:
            return has_role(user, change_request.application, role)
        held = roles.get(change_request.application.name, ())
        return bool(held) if role is None else role in held

    status = change_request.status
    is_author = user.pk == change_request.author_id
    reviewer = holds(Role.REVIEWER) and not is_author
    actions = []
    if holds():
        actions.append("comment")
    if is_author and status in OPEN_STATUSES:
        actions += ["update", "withdraw", "rebase"]
        if status == Status.DRAFT:
            actions.append("submit")
    elif user.is_staff and status in OPEN_STATUSES:
        actions.append("withdraw")
    if reviewer and status == Status.IN_REVIEW:
        if all(a.pk != user.pk for a in approvers_at_head(change_request)):
            actions.append("approve")
        actions.append("request_changes")
    if reviewer and status in (*OPEN_STATUSES,):
        actions.append("reject")
    return actions


@dataclass(frozen=True)
class QueueItem:
    change_request: ChangeRequest
    age: timedelta
    author: str
    size: int  # lines changed
    approvals: int
    required_approvals: int
    findings: int | None = None  # governance findings at the head; None when unknown
    high_findings: int | None = None  # of which severity "high"


def review_queue_queryset(user) -> QuerySet[ChangeRequest]:
    """Changes waiting for ``user``'s review: their reviewer applications, oldest first,
    without the user's own changes. Count it, slice it: the database does both."""
    queryset = ChangeRequest.objects.filter(status=Status.IN_REVIEW)
    if not user.is_staff:
        queryset = queryset.filter(application__name__in=applications_for(user, Role.REVIEWER))
    return (
        queryset.exclude(author=user)
        .select_related("application", "author", "merged_by")
        .order_by("submitted_at", "created_at", "id")
    )


def review_queue(user, *, offset: int = 0, limit: int | None = None) -> list[QueueItem]:
    """One slice of the queue, each with its approvals at head (one query for the slice) and
    the governance finding counts stored on the change request when it was proposed or
    updated (never read from git here)."""
    now = timezone.now()
    queryset = review_queue_queryset(user)
    page = list(queryset[offset : None if limit is None else offset + limit])
    with_approvers(page)
    return [
        QueueItem(
            change_request=change_request,
            age=now - (change_request.submitted_at or change_request.created_at),
            author=change_request.author.username,
            size=change_request.lines_changed,
            approvals=len(approvers_at_head(change_request)),
            required_approvals=change_request.application.required_approvals,
            findings=change_request.findings,
            high_findings=change_request.high_findings,
        )
        for change_request in page
    ]


def with_approvers(change_requests: list[ChangeRequest]) -> list[ChangeRequest]:
    """Loads the approvers at head of every change request in one query (for lists; see
    ``services.reviews.approvers_at_head``)."""
    by_id = {c.pk: c for c in change_requests}
    for change_request in change_requests:
        change_request._approvers_at_head = []
    reviews = (
        Review.objects.filter(change_request_id__in=by_id, decision=Decision.APPROVE)
        .select_related("reviewer")
        .order_by("created_at", "id")
    )
    for review in reviews:
        change_request = by_id[review.change_request_id]
        if review.head_commit != change_request.head_commit:
            continue
        if review.reviewer_id == change_request.author_id:
            continue
        if all(a.pk != review.reviewer_id for a in change_request._approvers_at_head):
            change_request._approvers_at_head.append(review.reviewer)
    return change_requests

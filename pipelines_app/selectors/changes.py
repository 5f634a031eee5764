"""Change requests: lists, one by number, what a user may do to one, the review queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from config_repo.errors import ConfigRepoError
from pipelines_app.errors import NotFound
from pipelines_app.governance import change_request_findings
from pipelines_app.models import OPEN_STATUSES, ChangeRequest, Role, Status
from pipelines_app.permissions import applications_for, has_role
from pipelines_app.services import config_repository
from pipelines_app.services.reviews import approvers_at_head


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


def actions_for(user, change_request: ChangeRequest, *, approvers=None, roles=None) -> list[str]:
    """What ``user`` may do to the change request now (the buttons a page shows). A list passes
    ``approvers`` (at the head) and ``roles`` (``listing.roles_by_application``) read once."""
    status = change_request.status
    is_author = user.pk == change_request.author_id

    def holds(role=None) -> bool:
        if roles is None or not user.is_active:
            return has_role(user, change_request.application, role)
        mine = roles.get(change_request.application.name, set())
        return bool(mine) if role is None else role in mine

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
        approving = approvers_at_head(change_request) if approvers is None else approvers
        if all(a.pk != user.pk for a in approving):
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
    findings: int | None = None  # governance findings at the head; None when unreadable
    high_findings: int | None = None  # of which severity "high"


def review_queue(user) -> list[QueueItem]:
    """Changes waiting for ``user``'s review: their reviewer applications, oldest first,
    without the user's own changes, each with its governance finding count (computed once per
    head commit and kept in-process, see ``governance.change_request_findings``)."""
    now = timezone.now()
    repo = None
    queryset = (
        ChangeRequest.objects.filter(
            status=Status.IN_REVIEW, application__name__in=applications_for(user, Role.REVIEWER)
        )
        .exclude(author=user)
        .select_related("application", "author")
        .order_by("submitted_at", "created_at", "id")
    )
    items = []
    for change_request in queryset:
        findings = None
        try:
            repo = repo or config_repository()
            findings = change_request_findings(repo, change_request)
        except ConfigRepoError:
            pass
        items.append(
            QueueItem(
                change_request=change_request,
                age=now - (change_request.submitted_at or change_request.created_at),
                author=change_request.author.username,
                size=change_request.lines_changed,
                approvals=len(approvers_at_head(change_request)),
                required_approvals=change_request.application.required_approvals,
                findings=None if findings is None else len(findings),
                high_findings=(
                    None if findings is None else sum(f.severity == "high" for f in findings)
                ),
            )
        )
    return items

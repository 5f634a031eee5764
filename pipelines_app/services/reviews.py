"""Reviewing: approving (four eyes, governance), requesting changes, rejecting, withdrawing,
commenting."""

from __future__ import annotations

from django.db import transaction

from pipelines_app import audit
from pipelines_app.audit import NO_CLIENT, Client
from pipelines_app.errors import (
    BadInput,
    ChangeMoved,
    GovernanceBlocked,
    InvalidState,
    NotAllowed,
    NotFound,
)
from pipelines_app.governance import change_request_findings
from pipelines_app.models import (
    OPEN_STATUSES,
    ChangeRequest,
    Comment,
    Decision,
    Review,
    Role,
    Status,
)
from pipelines_app.permissions import has_role
from pipelines_app.services.merging import merge_into_main, take_back_merge
from pipelines_app.services.repository import config_repository
from pipelines_app.services.shared import delete_branch_later, locked, require, set_status


def approvers_at_head(change_request: ChangeRequest) -> list:
    if isinstance(getattr(change_request, "_approvers_at_head", None), list):
        return list(change_request._approvers_at_head)  # loaded for a list (with_approvers)
    reviews = (
        Review.objects.filter(
            change_request=change_request,
            decision=Decision.APPROVE,
            head_commit=change_request.head_commit,
        )
        .exclude(reviewer_id=change_request.author_id)
        .select_related("reviewer")
        .order_by("created_at", "id")
    )
    seen = {}
    for review in reviews:
        seen.setdefault(review.reviewer_id, review.reviewer)
    return list(seen.values())


def _check_reviewer(change_request: ChangeRequest, reviewer, what: str) -> None:
    require(reviewer, change_request.application, Role.REVIEWER)
    if reviewer.pk == change_request.author_id:
        raise NotAllowed(f"four eyes: the author of a change request cannot {what} it")


def _check_head(change_request: ChangeRequest, head_commit: str | None) -> None:
    """A decision binds to the version the reviewer read; ``None`` means the caller did not say
    (internal callers); the API and the pages always pass what the reviewer saw."""
    if head_commit is not None and head_commit != change_request.head_commit:
        raise ChangeMoved(change_request.number, change_request.head_commit)


def change_request_approve(
    *,
    change_request,
    reviewer,
    comment: str = "",
    override_reason: str | None = None,
    head_commit: str | None = None,
    client: Client = NO_CLIENT,
) -> ChangeRequest:
    """Approve the change at its current head; with enough approvals, merge it into ``main``.

    The row is locked for the whole call and the merge is its last step, so two approvals at
    once give one merge, and a failed merge leaves the change in review. A merge conflict sets
    ``needs_rebase`` with the conflicting files; nothing is half-merged.

    Git and the database succeed or fail together: when the transaction fails after git merged
    (including its commit), ``main`` is moved back to where it was, unless it has moved on since
    or the merge was pushed; then the next approval records the merge (``already_merged``). Call
    it outside any transaction of your own, or a later rollback of yours cannot be seen here.
    """
    repo = config_repository()
    merged: list = []  # the MergeResult, once git has merged
    try:
        with transaction.atomic():
            change_request = _approve_locked(
                repo,
                change_request,
                reviewer,
                comment,
                override_reason,
                head_commit,
                client,
                merged,
            )
    except BaseException:
        if merged:
            take_back_merge(repo, change_request, merged[0])
        raise
    return change_request


def _approve_locked(
    repo, change_request, reviewer, comment, override_reason, head_commit, client, merged
):
    """The approval inside the transaction (row locked); appends the MergeResult to ``merged``
    as soon as git has merged, so the caller can take the merge back if the database fails."""
    change_request = locked(change_request)
    _check_reviewer(change_request, reviewer, "approve")
    _check_head(change_request, head_commit)
    if change_request.status != Status.IN_REVIEW:
        raise InvalidState(
            f"change request #{change_request.number} is "
            f"{change_request.get_status_display()}, not in review"
        )
    if any(r.pk == reviewer.pk for r in approvers_at_head(change_request)):
        raise InvalidState("you have already approved this version of the change")
    override_reason = (override_reason or "").strip()
    findings = change_request_findings(repo, change_request)
    if (findings and not override_reason) or any(f.blocking for f in findings):
        raise GovernanceBlocked(findings)
    Review.objects.create(
        change_request=change_request,
        reviewer=reviewer,
        decision=Decision.APPROVE,
        comment=comment or "",
        head_commit=change_request.head_commit,
        override_reason=override_reason if findings else "",
    )
    audit.record(
        reviewer,
        "change_request.approve",
        change_request,
        {
            "number": change_request.number,
            "head_commit": change_request.head_commit,
            "comment": comment or "",
        },
        client=client,
    )
    if findings:
        audit.record(
            reviewer,
            "change_request.override",
            change_request,
            {
                "number": change_request.number,
                "reason": override_reason,
                "findings": [f.as_dict() for f in findings],
            },
            client=client,
        )
    approvers = approvers_at_head(change_request)
    if len(approvers) >= change_request.application.required_approvals:
        merge_into_main(repo, change_request, reviewer, approvers, client, merged)
    return change_request


def _review_closing(change_request, reviewer, comment, decision, new_status, head_commit, client):
    comment = (comment or "").strip()
    if not comment:
        raise BadInput("a comment saying why is required")
    with transaction.atomic():
        change_request = locked(change_request)
        _check_reviewer(change_request, reviewer, decision.replace("_", " "))
        _check_head(change_request, head_commit)
        allowed = (
            (Status.IN_REVIEW,)
            if new_status == Status.CHANGES_REQUESTED
            else (Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.NEEDS_REBASE, Status.DRAFT)
        )
        set_status(change_request, allowed, new_status)
        Review.objects.create(
            change_request=change_request,
            reviewer=reviewer,
            decision=decision,
            comment=comment,
            head_commit=change_request.head_commit,
        )
        audit.record(
            reviewer,
            f"change_request.{decision}",
            change_request,
            {
                "number": change_request.number,
                "comment": comment,
                "head_commit": change_request.head_commit,
            },
            client=client,
        )
        if new_status == Status.REJECTED:
            delete_branch_later(change_request.branch)
    return change_request


def change_request_request_changes(
    *,
    change_request,
    reviewer,
    comment: str,
    head_commit: str | None = None,
    client: Client = NO_CLIENT,
):
    """in review -> changes requested; the author updates and it returns to review."""
    return _review_closing(
        change_request,
        reviewer,
        comment,
        Decision.REQUEST_CHANGES,
        Status.CHANGES_REQUESTED,
        head_commit,
        client=client,
    )


def change_request_reject(
    *,
    change_request,
    reviewer,
    comment: str,
    head_commit: str | None = None,
    client: Client = NO_CLIENT,
):
    """Close the change for good; its branch is deleted."""
    return _review_closing(
        change_request, reviewer, comment, Decision.REJECT, Status.REJECTED, head_commit, client
    )


def change_request_withdraw(*, change_request, author, client: Client = NO_CLIENT) -> ChangeRequest:
    """The author (or staff) closes an open change; its branch is deleted."""
    with transaction.atomic():
        change_request = locked(change_request)
        if change_request.author_id != author.pk and not author.is_staff:
            raise NotAllowed("only the author of a change request can withdraw it")
        set_status(change_request, OPEN_STATUSES, Status.WITHDRAWN)
        audit.record(
            author,
            "change_request.withdraw",
            change_request,
            {"number": change_request.number},
            client=client,
        )
        delete_branch_later(change_request.branch)
    return change_request


def change_request_comment(
    *, change_request, author, body: str, client: Client = NO_CLIENT
) -> Comment:
    """Any member of the application may comment."""
    body = (body or "").strip()
    if not body:
        raise BadInput("the comment is empty")
    change_request = (
        change_request
        if isinstance(change_request, ChangeRequest)
        else ChangeRequest.objects.select_related("application").get(pk=change_request)
    )
    if not has_role(author, change_request.application):
        raise NotFound(f"there is no change request #{change_request.number}")
    comment = Comment.objects.create(change_request=change_request, author=author, body=body)
    audit.record(
        author,
        "change_request.comment",
        change_request,
        {"number": change_request.number, "comment_id": comment.pk},
        client=client,
    )
    return comment

"""What a list of change requests needs per row, read for the whole page at once: the approvers
at each head and the reader's roles (a list of 50 costs the same queries as a list of 1)."""

from __future__ import annotations

from pipelines_app.models import ChangeRequest, Decision, Membership, Review


def approvers_at_heads(change_requests: list[ChangeRequest]) -> dict[int, list]:
    """{change request pk: the users approving its current head}, as ``approvers_at_head``."""
    heads = {cr.pk: (cr.head_commit, cr.author_id) for cr in change_requests}
    reviews = (
        Review.objects.filter(change_request_id__in=heads, decision=Decision.APPROVE)
        .select_related("reviewer")
        .order_by("created_at", "id")
    )
    found: dict[int, dict] = {pk: {} for pk in heads}
    for review in reviews:
        head, author = heads[review.change_request_id]
        if review.head_commit == head and review.reviewer_id != author:
            found[review.change_request_id].setdefault(review.reviewer_id, review.reviewer)
    return {pk: list(users.values()) for pk, users in found.items()}


def roles_by_application(user) -> dict[str, set[str]] | None:
    """{application name: the user's roles there}; None for staff, who hold every role."""
    if user.is_staff:
        return None
    roles: dict[str, set[str]] = {}
    memberships = Membership.objects.filter(user=user).values_list("application__name", "role")
    for application, role in memberships:
        roles.setdefault(application, set()).add(role)
    return roles

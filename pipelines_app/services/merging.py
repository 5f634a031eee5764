"""Merging an approved change into ``main``, and taking the merge back when the database fails."""

from __future__ import annotations

import logging

from django.utils import timezone

from config_repo.errors import BranchMissing, ConfigRepoError, StaleHead
from config_repo.errors import MergeConflict as _MergeConflict
from pipelines_app import audit
from pipelines_app.audit import Client
from pipelines_app.errors import InvalidState
from pipelines_app.models import ChangeRequest, Status
from pipelines_app.services.shared import actor_for, delete_branch_later, git_call, set_status

log = logging.getLogger("pipelines_app.services")


def merge_into_main(
    repo, change_request: ChangeRequest, reviewer, approvers, client, merged
) -> None:
    names = ", ".join(a.username for a in approvers)
    message = (
        f"Merge CR #{change_request.number}: {change_request.title}\n\n"
        f"Change-Request: #{change_request.number}\n"
        f"Author: {change_request.author.username}\n"
        f"Approved-by: {names}\n"
    )
    restore_branch(repo, change_request, reviewer, client=client)
    try:
        result = git_call(
            repo.merge,
            change_request.branch,
            into="main",
            committer=actor_for(reviewer),
            message=message,
        )
    except _MergeConflict as conflict:
        set_status(
            change_request,
            Status.IN_REVIEW,
            Status.NEEDS_REBASE,
            conflict_files=sorted(conflict.files),
        )
        audit.record(
            reviewer,
            "change_request.conflict",
            change_request,
            {"number": change_request.number, "files": sorted(conflict.files)},
            client=client,
        )
        return
    merged.append(result)
    set_status(
        change_request,
        Status.IN_REVIEW,
        Status.MERGED,
        merge_commit=result.sha,
        merged_at=timezone.now(),
        merged_by=reviewer,
        conflict_files=[],
    )
    audit.record(
        reviewer,
        "change_request.merge",
        change_request,
        {
            "number": change_request.number,
            "merge_commit": result.sha,
            "fast_forward": result.fast_forward,
            "approvers": [a.username for a in approvers],
            "already_merged": result.already_merged,
            "pushed": result.pushed,
            "push_error": result.push_error,
        },
        client=client,
    )
    delete_branch_later(change_request.branch)


def take_back_merge(repo, change_request, result) -> None:
    """The database side of an approval failed after git merged: move ``main`` back to where it
    was, so git and the database agree again (the change stays in review).

    Only when ``main`` is still at the merge commit (compare-and-swap): if another approval has
    merged on top in the meantime, or the merge was already pushed to the remote (a push is never
    undone: rewriting the remote's history would be a forced push), ``main`` keeps the change
    and the next approval finds it already merged and records it (``already_merged``).
    """
    number = getattr(change_request, "number", change_request)
    if result.already_merged or result.previous is None:
        return
    if result.pushed:
        log.error(
            "change request #%s: the database write failed after main was merged (%s) and "
            "pushed; main keeps the merge, approve again to record it",
            number,
            result.sha[:12],
        )
        return
    try:
        repo.reset_branch("main", to=result.previous, expected=result.sha)
    except StaleHead as moved:
        log.error(
            "change request #%s: the database write failed after the merge %s, but main has "
            "moved on to %s; main keeps the change, approve again to record it",
            number,
            result.sha[:12],
            (moved.actual or "")[:12],
        )
    except ConfigRepoError as error:
        log.error(
            "change request #%s: the database write failed after the merge %s and main could "
            "not be moved back (%s); approve again to record it",
            number,
            result.sha[:12],
            error,
        )
    else:
        log.warning(
            "change request #%s: the database write failed after the merge; main moved back "
            "from %s to %s",
            number,
            result.sha[:12],
            result.previous[:12],
        )


def restore_branch(repo, change_request: ChangeRequest, actor, client: Client) -> None:
    """A branch deleted behind the portal's back is put back at the head we recorded."""
    if repo.branch_exists(change_request.branch):
        return
    try:
        git_call(repo.create_branch, change_request.branch, base=change_request.head_commit)
    except (BranchMissing, ConfigRepoError) as error:
        raise InvalidState(
            f"the branch {change_request.branch} was deleted and its commit "
            f"{change_request.head_commit[:12]} is gone; withdraw and propose again ({error})"
        ) from None
    audit.record(
        actor,
        "change_request.branch_restored",
        change_request,
        {"number": change_request.number, "head_commit": change_request.head_commit},
        client=client,
    )

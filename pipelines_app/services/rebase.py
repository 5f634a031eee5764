"""Rebasing: re-applying a change's files onto the current ``main``."""

from __future__ import annotations

from django.db import transaction

from config_repo.errors import ConfigRepoError
from pipelines_app import audit, file_changes, governance
from pipelines_app.audit import NO_CLIENT, Client
from pipelines_app.errors import InvalidState, NotAllowed
from pipelines_app.models import OPEN_STATUSES, ChangeRequest, Status
from pipelines_app.services.repository import config_repository
from pipelines_app.services.shared import actor_for, git_call, lines_changed, locked, set_status


def change_request_rebase(*, change_request, author, client: Client = NO_CLIENT) -> ChangeRequest:
    """Re-apply the change's files onto the current ``main`` as a new commit on its branch.

    The author's version of each file wins; the change is validated again on the new base.
    """
    repo = config_repository()
    with transaction.atomic():
        change_request = locked(change_request)
        if change_request.author_id != author.pk and not author.is_staff:
            raise NotAllowed("only the author of a change request can rebase it")
        if change_request.status not in OPEN_STATUSES:
            raise InvalidState(
                f"change request #{change_request.number} is {change_request.get_status_display()}"
            )
        try:
            changes = {
                c.path: c.new
                for c in repo.diff(change_request.base_commit, change_request.head_commit)
            }
            for c in repo.diff(change_request.base_commit, change_request.head_commit):
                if c.old_path and c.old_path != c.path:
                    changes[c.old_path] = None
        except ConfigRepoError as error:
            raise InvalidState(
                f"the change's commits are gone from the repository: {error}"
            ) from None
        base = repo.head("main")
        main_files = repo.files(base)
        changes = {p: d for p, d in changes.items() if main_files.read(p) != d}
        if not changes:
            raise InvalidState("main already holds every file of this change: withdraw it")
        file_changes.check(change_request.application.name, main_files, changes)
        old_head = change_request.head_commit
        if repo.branch_exists(change_request.branch):
            git_call(repo.delete_branch, change_request.branch)
        try:
            git_call(repo.create_branch, change_request.branch, base=base)
            head = git_call(
                repo.commit,
                change_request.branch,
                changes,
                message=f"CR #{change_request.number}: {change_request.title} (rebased)",
                author=actor_for(change_request.author),
                expected_head=base,
            )
        except BaseException:
            try:
                if repo.branch_exists(change_request.branch):
                    repo.delete_branch(change_request.branch)
                repo.create_branch(change_request.branch, base=old_head)
            except ConfigRepoError:
                pass
            raise
        status = Status.DRAFT if change_request.status == Status.DRAFT else Status.IN_REVIEW
        change_request.base_commit, change_request.head_commit = base, head
        set_status(
            change_request,
            OPEN_STATUSES,
            status,
            base_commit=base,
            head_commit=head,
            conflict_files=[],
            lines_changed=lines_changed(repo, base, head),
            **governance.stored_counts(repo, change_request),
        )
        audit.record(
            author,
            "change_request.rebase",
            change_request,
            {
                "number": change_request.number,
                "base_commit": base,
                "head_commit": head,
                "previous_head": old_head,
            },
            client=client,
        )
    return change_request

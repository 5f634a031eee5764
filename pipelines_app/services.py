"""Writes: proposing, updating and reviewing change requests, merging them into ``main``.

Every service checks the caller's role itself (the views check too), changes status with a
conditional update on a locked row, and writes an audit event.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config_repo import ConfigRepository
from config_repo.errors import (
    BranchMissing,
    ConfigRepoError,
    InvalidPath,
    LockTimeout,
    StaleHead,
)
from config_repo.errors import MergeConflict as _MergeConflict
from pipelines_app import audit, proposals
from pipelines_app.errors import (
    BadInput,
    ChangeRequestInvalid,
    GovernanceBlocked,
    InvalidState,
    NotAllowed,
    NotFound,
    RepositoryBusy,
    ServiceError,
)
from pipelines_app.models import (
    OPEN_STATUSES,
    Action,
    Application,
    ChangeRequest,
    Comment,
    Decision,
    Review,
    Role,
    Status,
)
from pipelines_app.permissions import has_role

log = logging.getLogger(__name__)

__all__ = [
    "BadInput",
    "ChangeRequestInvalid",
    "GovernanceBlocked",
    "InvalidState",
    "NotAllowed",
    "NotFound",
    "RepositoryBusy",
    "ServiceError",
    "change_request_approve",
    "change_request_comment",
    "change_request_create",
    "change_request_rebase",
    "change_request_reject",
    "change_request_request_changes",
    "change_request_submit",
    "change_request_update",
    "change_request_withdraw",
    "config_repository",
    "definition_restore",
]

_repositories: dict[tuple[str, str], tuple[ConfigRepository, tuple[int, int] | None]] = {}
_repositories_lock = threading.Lock()
_MAX_REPOSITORIES = 32


def config_repository() -> ConfigRepository:
    """The config repository named by settings, read at every call.

    One ``ConfigRepository`` per (``HUB_CONFIG_REPO``, ``HUB_CONFIG_REMOTE``) per process, so a
    change of settings (tests give each test its own folder) gives that folder's repository, never
    the one a previous caller used. It is ``ensure()``d when first asked for, and again when the
    repository on disk is not the one it was made for (its ``.git`` folder was removed, or
    replaced by another at the same path): a cached object never points at a repository that is
    gone. Repositories dropped from the cache are closed (their ``git cat-file`` stops).
    """
    configured = settings.HUB_CONFIG_REPO
    path = os.path.realpath(os.fspath(configured))
    key = (path, settings.HUB_CONFIG_REMOTE or "")
    with _repositories_lock:
        cached = _repositories.get(key)
        if cached is not None and cached[1] is not None and _identity(path) == cached[1]:
            return cached[0]
        if cached is not None:
            cached[0].close()
        repository = ConfigRepository(configured, remote=key[1] or None)
        repository.ensure()
        _repositories.pop(key, None)
        while len(_repositories) >= _MAX_REPOSITORIES:
            _repositories.pop(next(iter(_repositories)))[0].close()
        _repositories[key] = (repository, _identity(path))
        return repository


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the repository's ``.git`` folder; None when there is none."""
    try:
        found = os.stat(os.path.join(path, ".git"))
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _actor(user):
    from config_repo import Actor

    name = (user.get_full_name() or user.username).strip() or user.username
    return Actor(name=name, email=user.email or f"{user.username}@datahub.invalid")


def _application(application) -> Application:
    if isinstance(application, Application):
        return application
    found = Application.objects.filter(name=str(application)).first()
    if found is None:
        raise NotFound(f"there is no application {application!r}")
    return found


def _require(user, application, role: str) -> None:
    if not has_role(user, application, role):
        raise NotAllowed(f"{user.username} is not a {role} of application {application}")


def _lines_changed(repo, base: str, head: str) -> int:
    count = 0
    for change in repo.diff(base, head):
        for line in (change.patch or "").splitlines():
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
                count += 1
    return count


def _branch_name(number: int, definition_id: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", definition_id).strip("-")[:60] or "change"
    return f"cr/{number}-{slug}"


def _git(call, *args, **kwargs):
    """Run a repository write, turning lock waits and path refusals into service errors."""
    try:
        return call(*args, **kwargs)
    except LockTimeout as error:
        raise RepositoryBusy(f"the config repository is busy, try again: {error}") from None
    except InvalidPath as error:
        raise BadInput(str(error)) from None


def _locked(change_request: ChangeRequest | int) -> ChangeRequest:
    pk = change_request.pk if isinstance(change_request, ChangeRequest) else change_request
    try:
        return (
            ChangeRequest.objects.select_for_update(of=("self",))
            .select_related("application", "author")
            .get(pk=pk)
        )
    except ChangeRequest.DoesNotExist:
        raise NotFound(f"there is no change request {pk}") from None


def _set_status(change_request: ChangeRequest, old, new: str, **fields) -> None:
    """Conditional status change: only from one of ``old``; the row count decides."""
    old = (old,) if isinstance(old, str) else tuple(old)
    now = timezone.now()
    updated = ChangeRequest.objects.filter(pk=change_request.pk, status__in=old).update(
        status=new, updated_at=now, **fields
    )
    if updated != 1:
        raise InvalidState(
            f"change request #{change_request.number} is {change_request.get_status_display()}"
        )
    change_request.status = new
    change_request.updated_at = now
    for name, value in fields.items():
        setattr(change_request, name, value)


def _delete_branch_later(branch: str) -> None:
    def delete():
        with contextlib.suppress(ConfigRepoError):  # already gone: nothing to tidy
            config_repository().delete_branch(branch)

    transaction.on_commit(delete)


# ---------------------------------------------------------------- proposing


def change_request_create(
    *,
    author,
    application,
    layer: str,
    kind: str,
    xml=None,
    title: str,
    description: str = "",
    action: str = Action.CREATE,
    definition_id: str | None = None,
    new_id: str | None = None,
    submit: bool = True,
    request=None,
) -> ChangeRequest:
    """Propose a change: a branch ``cr/<number>-<id>`` with one commit authored by ``author``.

    The whole application is validated with the change applied first; when it is invalid
    ``ChangeRequestInvalid(problems)`` is raised and nothing is committed. ``submit=False`` keeps
    the change request a draft.
    """
    application = _application(application)
    _require(author, application, Role.AUTHOR)
    title = (title or "").strip()
    if not title:
        raise BadInput("title is required")
    repo = config_repository()
    base = repo.head("main")
    before = repo.files(base)
    proposal = proposals.build(
        application=application.name,
        layer=layer,
        kind=kind,
        action=action,
        xml=xml,
        definition_id=definition_id,
        new_id=new_id,
        files=before,
    )
    proposals.check(application.name, before, proposal.changes)

    branch = None
    try:
        with transaction.atomic():
            change_request = ChangeRequest.objects.create(
                application=application,
                layer=layer,
                kind=kind,
                action=action,
                definition_id=proposal.definition_id,
                path=proposal.path,
                old_path=proposal.old_path,
                title=title[:200],
                description=description or "",
                author=author,
                base_commit=base,
            )
            change_request.number = change_request.pk
            branch = _branch_name(change_request.number, proposal.definition_id)
            _git(repo.create_branch, branch, base=base)
            head = _git(
                repo.commit,
                branch,
                proposal.changes,
                message=f"CR #{change_request.number}: {title}",
                author=_actor(author),
                expected_head=base,
            )
            change_request.branch = branch
            change_request.head_commit = head
            change_request.lines_changed = _lines_changed(repo, base, head)
            if submit:
                change_request.status = Status.IN_REVIEW
                change_request.submitted_at = timezone.now()
            change_request.save()
            audit.record(
                author,
                "change_request.create",
                change_request,
                {
                    "number": change_request.number,
                    "application": application.name,
                    "layer": layer,
                    "kind": kind,
                    "action": action,
                    "path": proposal.path,
                    "old_path": proposal.old_path,
                    "branch": branch,
                    "head_commit": head,
                    "status": change_request.status,
                },
                request,
            )
    except BaseException:
        if branch is not None:
            with contextlib.suppress(ConfigRepoError):
                repo.delete_branch(branch)
        raise
    return change_request


def change_request_update(
    *,
    change_request,
    author,
    xml=None,
    title: str | None = None,
    description: str | None = None,
    request=None,
) -> ChangeRequest:
    """A new commit on the change's branch. Approvals given to an earlier head stop counting."""
    repo = config_repository()
    with transaction.atomic():
        change_request = _locked(change_request)
        if change_request.author_id != author.pk:
            raise NotAllowed("only the author of a change request can update it")
        _require(author, change_request.application, Role.AUTHOR)
        if change_request.status not in OPEN_STATUSES:
            raise InvalidState(
                f"change request #{change_request.number} is "
                f"{change_request.get_status_display()} and can no longer be updated"
            )
        fields = {}
        if title is not None and title.strip():
            fields["title"] = title.strip()[:200]
        if description is not None:
            fields["description"] = description
        if xml is not None and change_request.action != Action.DELETE:
            _update_content(repo, change_request, author, xml)
            fields.update(
                head_commit=change_request.head_commit,
                lines_changed=change_request.lines_changed,
            )
        if change_request.status == Status.CHANGES_REQUESTED and "head_commit" in fields:
            fields["status"] = Status.IN_REVIEW
        for name, value in fields.items():
            setattr(change_request, name, value)
        change_request.save(update_fields=[*fields, "updated_at"])
        audit.record(
            author,
            "change_request.update",
            change_request,
            {
                "number": change_request.number,
                "head_commit": change_request.head_commit,
                "fields": sorted(fields),
            },
            request,
        )
    return change_request


def _update_content(repo, change_request: ChangeRequest, author, xml) -> None:
    if not repo.branch_exists(change_request.branch):
        raise InvalidState(
            f"the branch {change_request.branch} is gone from the config repository; "
            "rebase the change request to restore it"
        )
    data = proposals._content(xml)
    application = change_request.application.name
    if change_request.kind == "schema":
        proposals.check_schema(data, change_request.path)
    else:
        definition = proposals.parse_definition(
            application,
            change_request.layer,
            change_request.kind,
            data,
            change_request.definition_id,
        )
        if definition.id != change_request.definition_id:
            raise BadInput(
                f"the XML says id={definition.id!r}, but this change request is about "
                f"{change_request.definition_id!r}"
            )
    head_files = repo.files(change_request.head_commit)
    if head_files.read(change_request.path) == data:
        return
    changes = {change_request.path: data}
    proposals.check(application, head_files, changes)
    head = _git(
        repo.commit,
        change_request.branch,
        changes,
        message=f"CR #{change_request.number}: update",
        author=_actor(author),
        expected_head=change_request.head_commit,
    )
    change_request.head_commit = head
    change_request.lines_changed = _lines_changed(repo, change_request.base_commit, head)


def change_request_submit(*, change_request, author, request=None) -> ChangeRequest:
    """draft -> in review."""
    with transaction.atomic():
        change_request = _locked(change_request)
        if change_request.author_id != author.pk:
            raise NotAllowed("only the author of a change request can submit it")
        _set_status(change_request, Status.DRAFT, Status.IN_REVIEW, submitted_at=timezone.now())
        audit.record(
            author,
            "change_request.submit",
            change_request,
            {"number": change_request.number},
            request,
        )
    return change_request


# ---------------------------------------------------------------- reviewing


def _approvers_at_head(change_request: ChangeRequest) -> list:
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
    _require(reviewer, change_request.application, Role.REVIEWER)
    if reviewer.pk == change_request.author_id:
        raise NotAllowed(f"four eyes: the author of a change request cannot {what} it")


def change_request_approve(
    *,
    change_request,
    reviewer,
    comment: str = "",
    override_reason: str | None = None,
    request=None,
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
                repo, change_request, reviewer, comment, override_reason, request, merged
            )
    except BaseException:
        if merged:
            _take_back_merge(repo, change_request, merged[0])
        raise
    return change_request


def _approve_locked(repo, change_request, reviewer, comment, override_reason, request, merged):
    from pipelines_app.governance import change_request_findings

    """The approval inside the transaction (row locked); appends the MergeResult to ``merged``
    as soon as git has merged, so the caller can take the merge back if the database fails."""
    change_request = _locked(change_request)
    _check_reviewer(change_request, reviewer, "approve")
    if change_request.status != Status.IN_REVIEW:
        raise InvalidState(
            f"change request #{change_request.number} is "
            f"{change_request.get_status_display()}, not in review"
        )
    if any(r.pk == reviewer.pk for r in _approvers_at_head(change_request)):
        raise InvalidState("you have already approved this version of the change")
    override_reason = (override_reason or "").strip()
    findings = change_request_findings(repo, change_request)
    if findings and not override_reason:
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
        request,
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
            request,
        )
    approvers = _approvers_at_head(change_request)
    if len(approvers) >= change_request.application.required_approvals:
        _merge(repo, change_request, reviewer, approvers, request, merged)
    return change_request


def _merge(repo, change_request: ChangeRequest, reviewer, approvers, request, merged) -> None:
    names = ", ".join(a.username for a in approvers)
    message = (
        f"Merge CR #{change_request.number}: {change_request.title}\n\n"
        f"Change-Request: #{change_request.number}\n"
        f"Author: {change_request.author.username}\n"
        f"Approved-by: {names}\n"
    )
    _restore_branch(repo, change_request, reviewer, request)
    try:
        result = _git(
            repo.merge,
            change_request.branch,
            into="main",
            committer=_actor(reviewer),
            message=message,
        )
    except _MergeConflict as conflict:
        _set_status(
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
            request,
        )
        return
    merged.append(result)
    _set_status(
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
        request,
    )
    _delete_branch_later(change_request.branch)


def _take_back_merge(repo, change_request, result) -> None:
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


def _restore_branch(repo, change_request: ChangeRequest, actor, request) -> None:
    """A branch deleted behind the portal's back is put back at the head we recorded."""
    if repo.branch_exists(change_request.branch):
        return
    try:
        _git(repo.create_branch, change_request.branch, base=change_request.head_commit)
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
        request,
    )


def _review_closing(change_request, reviewer, comment, decision, new_status, request):
    comment = (comment or "").strip()
    if not comment:
        raise BadInput("a comment saying why is required")
    with transaction.atomic():
        change_request = _locked(change_request)
        _check_reviewer(change_request, reviewer, decision.replace("_", " "))
        allowed = (
            (Status.IN_REVIEW,)
            if new_status == Status.CHANGES_REQUESTED
            else (Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.NEEDS_REBASE, Status.DRAFT)
        )
        _set_status(change_request, allowed, new_status)
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
            request,
        )
        if new_status == Status.REJECTED:
            _delete_branch_later(change_request.branch)
    return change_request


def change_request_request_changes(*, change_request, reviewer, comment: str, request=None):
    """in review -> changes requested; the author updates and it returns to review."""
    return _review_closing(
        change_request,
        reviewer,
        comment,
        Decision.REQUEST_CHANGES,
        Status.CHANGES_REQUESTED,
        request,
    )


def change_request_reject(*, change_request, reviewer, comment: str, request=None):
    """Close the change for good; its branch is deleted."""
    return _review_closing(
        change_request, reviewer, comment, Decision.REJECT, Status.REJECTED, request
    )


def change_request_withdraw(*, change_request, author, request=None) -> ChangeRequest:
    """The author (or staff) closes an open change; its branch is deleted."""
    with transaction.atomic():
        change_request = _locked(change_request)
        if change_request.author_id != author.pk and not author.is_staff:
            raise NotAllowed("only the author of a change request can withdraw it")
        _set_status(change_request, OPEN_STATUSES, Status.WITHDRAWN)
        audit.record(
            author,
            "change_request.withdraw",
            change_request,
            {"number": change_request.number},
            request,
        )
        _delete_branch_later(change_request.branch)
    return change_request


def change_request_comment(*, change_request, author, body: str, request=None) -> Comment:
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
        raise NotAllowed(f"{author.username} has no role in {change_request.application.name}")
    comment = Comment.objects.create(change_request=change_request, author=author, body=body)
    audit.record(
        author,
        "change_request.comment",
        change_request,
        {"number": change_request.number, "comment_id": comment.pk},
        request,
    )
    return comment


def change_request_rebase(*, change_request, author, request=None) -> ChangeRequest:
    """Re-apply the change's files onto the current ``main`` as a new commit on its branch.

    The author's version of each file wins; the change is validated again on the new base.
    """
    repo = config_repository()
    with transaction.atomic():
        change_request = _locked(change_request)
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
        proposals.check(change_request.application.name, main_files, changes)
        old_head = change_request.head_commit
        if repo.branch_exists(change_request.branch):
            _git(repo.delete_branch, change_request.branch)
        try:
            _git(repo.create_branch, change_request.branch, base=base)
            head = _git(
                repo.commit,
                change_request.branch,
                changes,
                message=f"CR #{change_request.number}: {change_request.title} (rebased)",
                author=_actor(change_request.author),
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
        _set_status(
            change_request,
            OPEN_STATUSES,
            status,
            base_commit=base,
            head_commit=head,
            conflict_files=[],
            lines_changed=_lines_changed(repo, base, head),
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
            request,
        )
    return change_request


def definition_restore(
    *, author, application, layer: str, kind: str, id: str, commit: str, request=None
) -> ChangeRequest:
    """Open a change request that puts back the version of a definition found at ``commit``."""
    application = _application(application)
    _require(author, application, Role.AUTHOR)
    if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-fA-F]{7,40}", commit):
        raise BadInput("commit must be a hexadecimal commit id")
    path = proposals.file_path(application.name, layer, kind, id)
    repo = config_repository()
    try:
        data = repo.read(path, rev=commit)
    except ConfigRepoError:
        data = None
    if data is None:
        raise NotFound(f"{path} does not exist at commit {commit[:12]}")
    exists = repo.files("main").read(path) is not None
    if exists and repo.files("main").read(path) == data:
        raise InvalidState(f"main already holds this version of {id}")
    return change_request_create(
        author=author,
        application=application,
        layer=layer,
        kind=kind,
        xml=data,
        title=f"Restore {id} to {commit[:12]}",
        description=f"Restores {path} as it was at commit {commit}.",
        action=Action.EDIT if exists else Action.CREATE,
        definition_id=id,
        request=request,
    )

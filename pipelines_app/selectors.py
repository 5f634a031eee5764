"""Reads: review queue, change request detail, catalog of definitions on ``main``, history."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from config_repo.errors import ConfigRepoError
from config_repo.gitcmd import LRU
from config_repo.layout import parse_definition_path
from pipelines_app import governance, proposals
from pipelines_app.errors import NotFound
from pipelines_app.governance import Finding, change_diff, change_request_findings, is_sha
from pipelines_app.models import (
    OPEN_STATUSES,
    Application,
    ChangeRequest,
    Comment,
    Decision,
    Review,
    Role,
    Status,
)
from pipelines_app.permissions import applications_for, has_role
from pipelines_app.services import config_repository
from spark_runner.definition import DefinitionInvalid, SchemaError, parse, semantic_diff
from spark_runner.definition.schemas import parse_schema

# ---------------------------------------------------------------- change requests


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


def approvers_at_head(change_request: ChangeRequest) -> list:
    reviews = (
        Review.objects.filter(
            change_request=change_request,
            decision=Decision.APPROVE,
            head_commit=change_request.head_commit,
        )
        .exclude(reviewer_id=change_request.author_id)
        .select_related("reviewer")
    )
    seen: dict[int, object] = {}
    for review in reviews:
        seen.setdefault(review.reviewer_id, review.reviewer)
    return list(seen.values())


def actions_for(user, change_request: ChangeRequest) -> list[str]:
    """What ``user`` may do to the change request now (the buttons a page shows)."""
    status = change_request.status
    is_author = user.pk == change_request.author_id
    reviewer = has_role(user, change_request.application, Role.REVIEWER) and not is_author
    actions = []
    if has_role(user, change_request.application):
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


@dataclass
class ChangeRequestDetail:
    change_request: ChangeRequest
    files: list = field(default_factory=list)  # config_repo FileChange
    diff: str = ""  # unified diff of every file
    semantic_diff: list[str] = field(default_factory=list)
    governance: list[Finding] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    approvers: list = field(default_factory=list)  # users approving the current head
    required_approvals: int = 1
    branch_exists: bool = True
    error: str = ""  # when the commits cannot be read


def _schema_lines(name: str, old: bytes | None, new: bytes | None) -> list[str]:
    try:
        before = {f.name: f.type for f in parse_schema(old, name)} if old else {}
        after = {f.name: f.type for f in parse_schema(new, name)} if new else {}
    except SchemaError:
        return [f"schema {name} changed"]
    if old is None:
        return [f"new schema {name} with columns {', '.join(after)}"]
    if new is None:
        return [f"schema {name} deleted"]
    lines = [f"schema {name}: column {c} added ({t})" for c, t in after.items() if c not in before]
    lines += [f"schema {name}: column {c} removed" for c in before if c not in after]
    lines += [
        f"schema {name}: column {c} type {before[c]} → {after[c]}"
        for c in before
        if c in after and before[c] != after[c]
    ]
    return lines


def _definition(data: bytes | None, path: str):
    if data is None:
        return None
    try:
        return parse(data, path)
    except DefinitionInvalid:
        return None


_semantic = LRU(256)


def change_semantic_diff(repo, base: str, head: str) -> list[str]:
    """``semantic_lines`` of the diff from ``base`` to ``head``, kept in-process per
    (repository, base, head): commits never change. Returns a new list each time."""
    key = (str(repo.path), base, head)
    cached = _semantic.get(key)
    if cached is None:
        cached = tuple(semantic_lines(change_diff(repo, base, head)))
        if is_sha(base) and is_sha(head):
            _semantic.put(key, cached)
    return list(cached)  # type: ignore[call-overload]


def semantic_lines(files) -> list[str]:
    """Plain-English lines for a list of FileChange, one group per file."""
    lines: list[str] = []
    for change in files:
        if parse_definition_path(change.path) or (
            change.old_path and parse_definition_path(change.old_path)
        ):
            old = _definition(change.old, change.old_path or change.path)
            new = _definition(change.new, change.path)
            if change.status == "renamed" and change.old_path:
                lines.append(f"renamed {change.old_path} → {change.path}")
            try:
                lines += semantic_diff(old, new)
            except Exception as error:
                lines.append(f"{change.path}: no semantic diff ({error})")
        elif "/schemas/" in change.path or change.path.startswith("common/schemas/"):
            lines += _schema_lines(change.path.rsplit("/", 1)[-1], change.old, change.new)
        else:
            lines.append(f"{change.status} {change.path}")
    return lines


def change_request_detail(change_request: ChangeRequest) -> ChangeRequestDetail:
    """Everything the change page shows: diff, semantic diff, governance, reviews, comments."""
    repo = config_repository()
    detail = ChangeRequestDetail(
        change_request=change_request,
        reviews=list(change_request.reviews.select_related("reviewer").order_by("created_at")),
        comments=list(change_request.comments.select_related("author").order_by("created_at")),
        approvers=approvers_at_head(change_request),
        required_approvals=change_request.application.required_approvals,
    )
    try:
        detail.branch_exists = bool(change_request.branch) and repo.branch_exists(
            change_request.branch
        )
        if change_request.base_commit and change_request.head_commit:
            base, head = change_request.base_commit, change_request.head_commit
            detail.files = list(change_diff(repo, base, head))
            detail.diff = "".join(c.patch for c in detail.files)
            detail.semantic_diff = change_semantic_diff(repo, base, head)
            if change_request.status in OPEN_STATUSES:
                detail.governance = change_request_findings(repo, change_request)
    except ConfigRepoError as error:
        detail.error = f"the change's commits cannot be read: {error}"
    return detail


# ---------------------------------------------------------------- catalog and history


@dataclass(frozen=True)
class CatalogEntry:
    application: str
    layer: str
    kind: str
    id: str
    path: str
    # the newest commit on main touching the file, as ``definition_history(...)[0]`` gives it
    # (None when ``catalog(with_commits=False)`` or the history cannot be read)
    last_commit: HistoryEntry | None = None
    commit: str = ""  # main's head the catalog was read at


def catalog(
    user,
    *,
    application: str | None = None,
    layer: str | None = None,
    kind: str | None = None,
    with_commits: bool = True,
) -> list[CatalogEntry]:
    """Definitions on ``main`` in the applications where ``user`` has any role.

    ``with_commits``: each entry carries its ``last_commit`` (author, date, change request,
    approvers), found for all definitions in one history walk (``ConfigRepository.last_commits``,
    cached per main head) and two or three database queries, instead of a ``git log`` per file.
    """
    visible = applications_for(user)
    if application is not None:
        if application not in visible:
            return []
        visible = [application]
    if layer is not None:
        proposals.check_layer(layer)
    if kind is not None and kind not in ("pipeline", "job"):
        proposals.check_kind(kind)
    repo = config_repository()
    head = repo.head("main")
    paths = [
        path
        for path in repo.definitions(head, layer=layer, kind=kind)
        if path.application in visible
    ]
    last: dict[str, HistoryEntry] = {}
    if with_commits and paths:
        try:
            commits = _last_commits_on_main(repo, head)
        except ConfigRepoError:
            commits = {}
        commits = {p.path: commits[p.path] for p in paths if p.path in commits}
        unique = list(dict.fromkeys(commits.values()))
        entries = dict(zip(unique, _history_entries(unique), strict=True))
        last = {path: entries[commit] for path, commit in commits.items()}
    return [
        CatalogEntry(
            path.application,
            path.layer,
            path.kind,
            path.id,
            path.path,
            last_commit=last.get(path.path),
            commit=head,
        )
        for path in paths
    ]


_main_last_commits = LRU(16)


def clear_caches() -> None:
    """Forget the in-process caches of reads (semantic diffs, last commits, governance
    findings): for benchmarks and tests; commits never change, so nothing else needs it."""
    global _semantic, _main_last_commits
    _semantic = LRU(256)
    _main_last_commits = LRU(16)
    governance.clear_caches()


def _last_commits_on_main(repo, head: str) -> dict:
    """path -> newest Commit for every definition on main at ``head``: one history walk per
    head, whoever asks and whatever they filter; kept per (repository, head). Do not mutate."""
    key = (str(repo.path), head)
    found = _main_last_commits.get(key)
    if found is None:
        paths = [d.path for d in repo.definitions(head)]
        found = repo.last_commits(head, "applications/", paths=paths)
        _main_last_commits.put(key, found)
    return found  # type: ignore[return-value]


@dataclass(frozen=True)
class DefinitionVersion:
    application: str
    layer: str
    kind: str
    id: str
    path: str
    xml: bytes
    commit: str
    version: str | None
    definition: object | None  # the parsed Pipeline | JobPipeline, None when it does not parse


def definition_get(
    *, application: str, layer: str, kind: str, id: str, rev: str = "main"
) -> DefinitionVersion:
    """One definition (or schema file) at ``rev``; NotFound when it is not there."""
    path = proposals.file_path(application, layer, kind, id)
    repo = config_repository()
    try:
        commit = repo.head(rev)
        data = repo.read(path, rev=commit)
    except ConfigRepoError:
        data, commit = None, ""
    if data is None:
        raise NotFound(f"there is no {kind} {id!r} in {application}/{layer} at {rev}")
    definition = _definition(data, path) if kind != "schema" else None
    return DefinitionVersion(
        application=application,
        layer=layer,
        kind=kind,
        id=id,
        path=path,
        xml=data,
        commit=commit,
        version=getattr(definition, "version", None),
        definition=definition,
    )


@dataclass(frozen=True)
class HistoryEntry:
    commit: str
    date: datetime
    author: str
    message: str
    change_request: int | None
    approvers: tuple[str, ...]
    merged_by: str | None


_CR_IN_MESSAGE = re.compile(r"^(?:Merge )?CR #(\d+):")


def definition_history(
    *, application: str, layer: str, kind: str, id: str, limit: int = 200
) -> list[HistoryEntry]:
    """Commits on ``main`` touching the file, newest first, with their change request,
    approvers and who merged it."""
    path = proposals.file_path(application, layer, kind, id)
    repo = config_repository()
    if limit == 1 and kind != "schema":
        # the newest commit only (catalog rows): from the one walk shared by all definitions
        try:
            head = repo.head("main")
            commit = _last_commits_on_main(repo, head).get(path)
        except ConfigRepoError:
            commit = None
        if commit is not None:
            return _history_entries([commit])
    commits = repo.log(path, "main", limit, follow=True)
    return _history_entries(commits)


def _history_entries(commits: list) -> list[HistoryEntry]:
    """``HistoryEntry`` for each commit (same order), with the change request each belongs to
    (by head or merge commit, else by the ``CR #n:`` in its message), its approvers and who
    merged it, in a fixed number of queries."""
    shas = list({c.sha for c in commits})
    by_sha: dict[str, ChangeRequest] = {}
    if shas:
        for change_request in ChangeRequest.objects.filter(
            Q(head_commit__in=shas) | Q(merge_commit__in=shas), status=Status.MERGED
        ).select_related("merged_by"):
            by_sha.setdefault(change_request.head_commit, change_request)
            by_sha[change_request.merge_commit] = change_request
    numbers = {
        int(m.group(1))
        for c in commits
        if c.sha not in by_sha and (m := _CR_IN_MESSAGE.match(c.message))
    }
    by_number = (
        {
            cr.number: cr
            for cr in ChangeRequest.objects.filter(number__in=numbers).select_related("merged_by")
        }
        if numbers
        else {}
    )
    merged = {
        cr.pk: cr for cr in [*by_sha.values(), *by_number.values()] if cr.status == Status.MERGED
    }
    approvers = _approvers_of(list(merged.values()))
    entries = []
    for commit in commits:
        change_request = by_sha.get(commit.sha)
        if change_request is None and (match := _CR_IN_MESSAGE.match(commit.message)):
            change_request = by_number.get(int(match.group(1)))
        entries.append(
            HistoryEntry(
                commit=commit.sha,
                date=commit.date,
                author=commit.author_name,
                message=commit.message,
                change_request=change_request.number if change_request else None,
                approvers=(
                    approvers.get(change_request.pk, ())
                    if change_request is not None and change_request.status == Status.MERGED
                    else ()
                ),
                merged_by=(
                    change_request.merged_by.username
                    if change_request is not None and change_request.merged_by
                    else None
                ),
            )
        )
    return entries


def _approvers_of(change_requests: list[ChangeRequest]) -> dict[int, tuple[str, ...]]:
    """``approvers_at_head`` (usernames) of several change requests in one query."""
    if not change_requests:
        return {}
    heads = {cr.pk: (cr.head_commit, cr.author_id) for cr in change_requests}
    found: dict[int, dict[int, str]] = {pk: {} for pk in heads}
    reviews = (
        Review.objects.filter(change_request_id__in=heads, decision=Decision.APPROVE)
        .select_related("reviewer")
        .order_by("created_at", "id")
    )
    for review in reviews:
        head, author = heads[review.change_request_id]
        if review.head_commit == head and review.reviewer_id != author:
            found[review.change_request_id].setdefault(review.reviewer_id, review.reviewer.username)
    return {pk: tuple(names.values()) for pk, names in found.items()}


def application_list(user) -> list[tuple[Application, list[str]]]:
    """Applications where ``user`` has a role, with their roles there."""
    from pipelines_app.permissions import roles_in

    names = applications_for(user)
    return [(a, roles_in(user, a)) for a in Application.objects.filter(name__in=names)]

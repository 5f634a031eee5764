"""History of a definition on ``main``: commits with their change request, approvers and
who merged it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from config_repo.errors import ConfigRepoError
from config_repo.gitcmd import LRU
from pipelines_app import file_changes
from pipelines_app.models import ChangeRequest, Decision, Review, Status
from pipelines_app.services import config_repository


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
    path = file_changes.file_path(application, layer, kind, id)
    repo = config_repository()
    if limit == 1 and kind != "schema":
        # the newest commit only (catalog rows): from the one walk shared by all definitions
        try:
            head = repo.head("main")
            commit = last_commits_on_main(repo, head).get(path)
        except ConfigRepoError:
            commit = None
        if commit is not None:
            return history_entries([commit])
    commits = repo.log(path, "main", limit, follow=True)
    return history_entries(commits)


def history_entries(commits: list) -> list[HistoryEntry]:
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


_main_last_commits = LRU(16)


def last_commits_on_main(repo, head: str) -> dict:
    """path -> newest Commit for every definition on main at ``head``: one history walk per
    head, whoever asks and whatever they filter; kept per (repository, head). Do not mutate."""
    key = (str(repo.path), head)
    found = _main_last_commits.get(key)
    if found is None:
        paths = [d.path for d in repo.definitions(head)]
        found = repo.last_commits(head, "applications/", paths=paths)
        _main_last_commits.put(key, found)
    return found  # type: ignore[return-value]


def forget_last_commits() -> None:
    global _main_last_commits
    _main_last_commits = LRU(16)

"""The change page: its diff, the diff in plain English, governance findings, reviews."""

from __future__ import annotations

from dataclasses import dataclass, field

from config_repo.errors import ConfigRepoError
from config_repo.gitcmd import LRU
from config_repo.layout import parse_definition_path
from pipelines_app.governance import (
    Finding,
    change_diff,
    change_request_findings,
    is_sha,
    parsed_or_none,
)
from pipelines_app.models import OPEN_STATUSES, ChangeRequest, Comment, Review, Status
from pipelines_app.selectors.changes import approvers_at_head
from pipelines_app.services import config_repository
from spark_runner.definition import SchemaError, semantic_diff
from spark_runner.definition.schemas import parse_schema


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
            old = parsed_or_none(change.old, change.old_path or change.path)
            new = parsed_or_none(change.new, change.path)
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
            # a merged change keeps its result: base and head are commits, they never change
            if change_request.status in (*OPEN_STATUSES, Status.MERGED):
                detail.governance = change_request_findings(repo, change_request)
    except ConfigRepoError as error:
        detail.error = f"the change's commits cannot be read: {error}"
    return detail


def forget_semantic_diffs() -> None:
    global _semantic
    _semantic = LRU(256)

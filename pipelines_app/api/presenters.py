"""Plain dicts for API answers (the page engineer may reuse them for JSON fragments)."""

from __future__ import annotations

from pipelines_app import selectors


def problem_data(problem) -> dict:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "message": problem.message,
    }


def change_request_data(change_request, user, roles: dict | None = None) -> dict:
    """``roles`` (``selectors.roles_by_application``) and ``selectors.with_approvers`` keep a
    list of these at a fixed number of queries."""
    approvers = selectors.approvers_at_head(change_request)
    return {
        "id": change_request.number,
        "number": change_request.number,
        "application": change_request.application.name,
        "layer": change_request.layer,
        "kind": change_request.kind,
        "action": change_request.action,
        "definition_id": change_request.definition_id,
        "path": change_request.path,
        "old_path": change_request.old_path,
        "title": change_request.title,
        "description": change_request.description,
        "status": change_request.status,
        "branch": change_request.branch,
        "base_commit": change_request.base_commit,
        "head_commit": change_request.head_commit,
        "merge_commit": change_request.merge_commit,
        "author": change_request.author.username,
        "merged_by": change_request.merged_by.username if change_request.merged_by else None,
        "lines_changed": change_request.lines_changed,
        "conflict_files": change_request.conflict_files,
        "approvals": [a.username for a in approvers],
        "required_approvals": change_request.application.required_approvals,
        "actions": selectors.actions_for(user, change_request, roles),
        "created_at": change_request.created_at,
        "updated_at": change_request.updated_at,
        "merged_at": change_request.merged_at,
        "errors": [],
    }


def detail_data(detail, user) -> dict:
    change_request = detail.change_request
    return {
        **change_request_data(change_request, user),
        "diff": detail.diff,
        "semantic_diff": detail.semantic_diff,
        "governance": [f.as_dict() for f in detail.governance],
        "files": [
            {"path": c.path, "old_path": c.old_path, "status": c.status} for c in detail.files
        ],
        "reviews": [
            {
                "reviewer": r.reviewer.username,
                "decision": r.decision,
                "comment": r.comment,
                "head_commit": r.head_commit,
                "override_reason": r.override_reason,
                "current": r.head_commit == change_request.head_commit,
                "created_at": r.created_at,
            }
            for r in detail.reviews
        ],
        "comments": [
            {"id": c.pk, "author": c.author.username, "comment": c.body, "created_at": c.created_at}
            for c in detail.comments
        ],
        "branch_exists": detail.branch_exists,
        "repository_error": detail.error,
    }

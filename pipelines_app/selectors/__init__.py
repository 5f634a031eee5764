"""Reads: review queue, change request detail, catalog of definitions on ``main``, history.

One job per module: ``changes`` (lists, queue, allowed actions), ``detail`` (the change page),
``catalog`` (definitions on ``main``), ``history`` (commits of a definition).
"""

from pipelines_app import governance
from pipelines_app.selectors import detail, history
from pipelines_app.selectors.catalog import (
    CatalogEntry,
    DefinitionVersion,
    application_list,
    catalog,
    definition_get,
)
from pipelines_app.selectors.changes import (
    QueueItem,
    actions_for,
    approvers_at_head,
    change_request_get,
    change_requests_for,
    review_queue,
    review_queue_queryset,
    roles_by_application,
    with_approvers,
)
from pipelines_app.selectors.detail import (
    ChangeRequestDetail,
    change_request_detail,
    change_semantic_diff,
    semantic_lines,
)
from pipelines_app.selectors.history import HistoryEntry, definition_history
from pipelines_app.selectors.history import history_entries as _history_entries

__all__ = [
    "CatalogEntry",
    "ChangeRequestDetail",
    "DefinitionVersion",
    "HistoryEntry",
    "QueueItem",
    "_history_entries",
    "actions_for",
    "application_list",
    "approvers_at_head",
    "catalog",
    "change_request_detail",
    "change_request_get",
    "change_requests_for",
    "change_semantic_diff",
    "clear_caches",
    "definition_get",
    "definition_history",
    "review_queue",
    "review_queue_queryset",
    "roles_by_application",
    "semantic_lines",
    "with_approvers",
]


def clear_caches() -> None:
    """Forget the in-process caches of reads (semantic diffs, last commits, governance
    findings): for benchmarks and tests; commits never change, so nothing else needs it."""
    detail.forget_semantic_diffs()
    history.forget_last_commits()
    governance.clear_caches()

"""Writes: proposing, updating and reviewing change requests, merging them into ``main``.

Every service checks the caller's role itself (the views check too), changes status with a
conditional update on a locked row, and writes an audit event. One job per module:
``repository`` (the configured config repository), ``authoring`` (the author opens, updates
and submits), ``reviews``, ``merging``, ``rebase``, ``restore``; ``shared`` holds the helpers
they have in common. Turning a proposal into file changes is ``pipelines_app.file_changes``.
"""

from pipelines_app.errors import (
    BadInput,
    ChangeMoved,
    ChangeRequestInvalid,
    GovernanceBlocked,
    InvalidState,
    NotAllowed,
    NotFound,
    RepositoryBusy,
    ServiceError,
)
from pipelines_app.services.authoring import (
    change_request_create,
    change_request_submit,
    change_request_update,
)
from pipelines_app.services.rebase import change_request_rebase
from pipelines_app.services.repository import (
    _MAX_REPOSITORIES,
    _repositories,
    config_repository,
)
from pipelines_app.services.restore import definition_restore
from pipelines_app.services.reviews import (
    change_request_approve,
    change_request_comment,
    change_request_reject,
    change_request_request_changes,
    change_request_withdraw,
)

__all__ = [
    "_MAX_REPOSITORIES",
    "BadInput",
    "ChangeMoved",
    "ChangeRequestInvalid",
    "GovernanceBlocked",
    "InvalidState",
    "NotAllowed",
    "NotFound",
    "RepositoryBusy",
    "ServiceError",
    "_repositories",
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

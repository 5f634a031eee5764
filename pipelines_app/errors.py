"""Errors the services raise; each carries the HTTP status the API answers with."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadInput(ServiceError):
    """A name, layer, path or field that is not acceptable (traversal, unknown layer, ...)."""


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class NotAllowed(ServiceError, PermissionDenied):
    status = 403
    code = "forbidden"


class InvalidState(ServiceError):
    """The change request is not in a state that allows this (merged, already approved, ...)."""

    status = 409
    code = "conflict"


class ChangeMoved(InvalidState):
    """The reviewer read an older head than the change has now; ``head_commit`` is the new one."""

    code = "moved"

    def __init__(self, number: int, head_commit: str):
        self.head_commit = head_commit
        super().__init__(
            f"change request #{number} moved since you opened it: its head is now "
            f"{head_commit[:12]}; read the new version and review again"
        )


class RepositoryBusy(ServiceError):
    status = 503
    code = "busy"


class ChangeRequestInvalid(ServiceError):
    """The proposal does not validate; ``problems`` are located (file, line, column, message)."""

    code = "invalid_definition"

    def __init__(self, problems):
        self.problems = tuple(problems)
        lines = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"the change does not validate: {lines}{more}")


class GovernanceBlocked(ServiceError):
    """Governance findings block approval unless the reviewer gives an override reason."""

    status = 409
    code = "governance"

    def __init__(self, findings):
        self.findings = tuple(findings)
        listed = "; ".join(f.message for f in self.findings)
        if any(getattr(f, "blocking", False) for f in self.findings):
            advice = (
                "The application's data policy cannot be overridden: change the definition, "
                "or ask staff to change the policy."
            )
        else:
            advice = "Give an override_reason to approve anyway."
        super().__init__(f"governance checks block this approval: {listed}. {advice}")

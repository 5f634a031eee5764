"""Who may see and act on runs: through ``pipelines_app.permissions`` (operators act; any role
in the application reads; staff everything). Operator actions are audited by
``runs_app.operations``."""

from __future__ import annotations


def can_operate(user, application: str) -> bool:
    from pipelines_app.permissions import has_role

    return has_role(user, application, "operator")


def can_read(user, application: str) -> bool:
    from pipelines_app.permissions import has_role

    return has_role(user, application)


def readable_applications(user) -> list[str] | None:
    """None means every application (staff)."""
    if user.is_authenticated and user.is_staff:
        return None
    from pipelines_app.permissions import applications_for

    return applications_for(user)

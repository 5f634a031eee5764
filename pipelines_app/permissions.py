"""Who may do what, per application. Staff administrators hold every role everywhere.

Anything of an application where the user holds no role "does not exist": 404, for reads and
actions alike, so a 403 never tells an outsider that an application or a change request exists.
Members without the named role get 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.permissions import BasePermission

from pipelines_app.models import Application, Membership, Role

ROLES = tuple(Role.values)


def _app_name(application) -> str:
    return application.name if isinstance(application, Application) else str(application)


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def has_role(user, application, role: str | None = None) -> bool:
    """True when ``user`` holds ``role`` in ``application`` (any role when ``role`` is None)."""
    if not _active(user):
        return False
    if user.is_staff:
        return True
    memberships = Membership.objects.filter(user=user, application__name=_app_name(application))
    if role is not None:
        memberships = memberships.filter(role=role)
    return memberships.exists()


def roles_in(user, application) -> list[str]:
    if not _active(user):
        return []
    if user.is_staff:
        return list(ROLES)
    return sorted(
        Membership.objects.filter(user=user, application__name=_app_name(application))
        .values_list("role", flat=True)
        .distinct()
    )


def applications_for(user, role: str | None = None) -> list[str]:
    """Names of the applications where ``user`` holds ``role`` (any role when None)."""
    if not _active(user):
        return []
    if user.is_staff:
        return list(Application.objects.order_by("name").values_list("name", flat=True))
    memberships = Membership.objects.filter(user=user)
    if role is not None:
        memberships = memberships.filter(role=role)
    return sorted(set(memberships.values_list("application__name", flat=True)))


def application_for(user, name: str, role: str | None = None) -> Application:
    """The application, or Http404 when it is unknown or the user has no role in it,
    or PermissionDenied when the user is a member without ``role``."""
    application = Application.objects.filter(name=str(name)).first()
    if application is None or not has_role(user, application):
        raise Http404("No such application")
    if role is not None and not has_role(user, application, role):
        raise PermissionDenied(f"You are not a {role} of application {application.name}.")
    return application


def require_role(user, application, role: str) -> None:
    """Http404 when ``user`` has no role in ``application``; PermissionDenied when a member
    lacks ``role``."""
    if not has_role(user, application):
        raise Http404("No such application")
    if not has_role(user, application, role):
        raise PermissionDenied(f"You are not a {role} of application {_app_name(application)}.")


class HasApplicationRole(BasePermission):
    """DRF permission for views that name ``required_role`` and return the object's application
    from ``get_permission_application(request)`` (or for object views, ``obj.application``)."""

    message = "You do not have the role this needs in that application."

    def has_object_permission(self, request, view, obj) -> bool:
        application = getattr(obj, "application", obj)
        role = getattr(view, "required_role", None)
        return has_role(request.user, application, role)

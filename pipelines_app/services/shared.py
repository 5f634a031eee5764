"""Helpers every change-request service uses: roles, git calls, locked rows, status changes."""

from __future__ import annotations

import contextlib
import re

from django.db import transaction
from django.utils import timezone

from config_repo.errors import ConfigRepoError, InvalidPath, LockTimeout
from pipelines_app.errors import BadInput, InvalidState, NotAllowed, NotFound, RepositoryBusy
from pipelines_app.models import Application, ChangeRequest
from pipelines_app.permissions import has_role
from pipelines_app.services.repository import config_repository


def actor_for(user):
    from config_repo import Actor

    name = (user.get_full_name() or user.username).strip() or user.username
    return Actor(name=name, email=user.email or f"{user.username}@datahub.invalid")


def application_get(application) -> Application:
    if isinstance(application, Application):
        return application
    found = Application.objects.filter(name=str(application)).first()
    if found is None:
        raise NotFound(f"there is no application {application!r}")
    return found


def require(user, application, role: str) -> None:
    if not has_role(user, application):
        # Outsiders learn nothing, not even that the application exists.
        raise NotFound(f"there is no application {_name(application)!r}")
    if not has_role(user, application, role):
        raise NotAllowed(f"{user.username} is not a {role} of application {application}")


def _name(application) -> str:
    return application.name if isinstance(application, Application) else str(application)


def lines_changed(repo, base: str, head: str) -> int:
    count = 0
    for change in repo.diff(base, head):
        for line in (change.patch or "").splitlines():
            if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
                count += 1
    return count


def branch_name(number: int, definition_id: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", definition_id).strip("-")[:60] or "change"
    return f"cr/{number}-{slug}"


def git_call(call, *args, **kwargs):
    """Run a repository write, turning lock waits and path refusals into service errors."""
    try:
        return call(*args, **kwargs)
    except LockTimeout as error:
        raise RepositoryBusy(f"the config repository is busy, try again: {error}") from None
    except InvalidPath as error:
        raise BadInput(str(error)) from None


def locked(change_request: ChangeRequest | int) -> ChangeRequest:
    pk = change_request.pk if isinstance(change_request, ChangeRequest) else change_request
    try:
        return (
            ChangeRequest.objects.select_for_update(of=("self",))
            .select_related("application", "author")
            .get(pk=pk)
        )
    except ChangeRequest.DoesNotExist:
        raise NotFound(f"there is no change request {pk}") from None


def set_status(change_request: ChangeRequest, old, new: str, **fields) -> None:
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


def delete_branch_later(branch: str) -> None:
    def delete():
        with contextlib.suppress(ConfigRepoError):  # already gone: nothing to tidy
            config_repository().delete_branch(branch)

    transaction.on_commit(delete)

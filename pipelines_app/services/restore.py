"""Restoring: a change request that puts back an earlier version of a definition."""

from __future__ import annotations

import re

from config_repo.errors import ConfigRepoError
from pipelines_app import file_changes
from pipelines_app.audit import NO_CLIENT, Client
from pipelines_app.errors import BadInput, InvalidState, NotFound
from pipelines_app.models import Action, ChangeRequest, Role
from pipelines_app.services.authoring import change_request_create
from pipelines_app.services.repository import config_repository
from pipelines_app.services.shared import application_get, require


def definition_restore(
    *, author, application, layer: str, kind: str, id: str, commit: str, client: Client = NO_CLIENT
) -> ChangeRequest:
    """Open a change request that puts back the version of a definition found at ``commit``."""
    application = application_get(application)
    require(author, application, Role.AUTHOR)
    if not isinstance(commit, str) or not re.fullmatch(r"[0-9a-fA-F]{7,40}", commit):
        raise BadInput("commit must be a hexadecimal commit id")
    path = file_changes.file_path(application.name, layer, kind, id)
    repo = config_repository()
    commit = _version_on_main(repo, path, commit.lower())
    try:
        data = repo.read(path, rev=commit)
    except ConfigRepoError:
        data = None
    if data is None:
        raise NotFound(f"{path} does not exist at commit {commit[:12]}")
    exists = repo.files("main").read(path) is not None
    if exists and repo.files("main").read(path) == data:
        raise InvalidState(f"main already holds this version of {id}")
    return change_request_create(
        author=author,
        application=application,
        layer=layer,
        kind=kind,
        xml=data,
        title=f"Restore {id} to {commit[:12]}",
        description=f"Restores {path} as it was at commit {commit}.",
        action=Action.EDIT if exists else Action.CREATE,
        definition_id=id,
        client=client,
    )


def _version_on_main(repo, path: str, commit: str) -> str:
    """The full id of ``commit`` when it is one of the commits on ``main``'s history that changed
    ``path``; any other commit (an unmerged branch, another file's change) could put back
    something no reviewer approved for this definition."""
    for version in repo.log(path, rev="main"):
        if version.sha.startswith(commit):
            return version.sha
    raise BadInput(
        f"commit {commit[:12]} is not a version of {path} on main: restore takes one of the "
        "commits listed in its history"
    )

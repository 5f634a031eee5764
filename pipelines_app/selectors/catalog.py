"""The catalog: definitions on ``main`` a user may see, one definition at a revision, and the
applications of a user."""

from __future__ import annotations

from dataclasses import dataclass

from config_repo.errors import ConfigRepoError
from pipelines_app import file_changes
from pipelines_app.errors import NotFound
from pipelines_app.governance import parsed_or_none
from pipelines_app.models import Application
from pipelines_app.permissions import applications_for, roles_in
from pipelines_app.selectors.history import HistoryEntry, history_entries, last_commits_on_main
from pipelines_app.services import config_repository


@dataclass(frozen=True)
class CatalogEntry:
    application: str
    layer: str
    kind: str
    id: str
    path: str
    # the newest commit on main touching the file, as ``definition_history(...)[0]`` gives it
    # (None when ``catalog(with_commits=False)`` or the history cannot be read)
    last_commit: HistoryEntry | None = None
    commit: str = ""  # main's head the catalog was read at


def catalog(
    user,
    *,
    application: str | None = None,
    layer: str | None = None,
    kind: str | None = None,
    with_commits: bool = True,
) -> list[CatalogEntry]:
    """Definitions on ``main`` in the applications where ``user`` has any role.

    ``with_commits``: each entry carries its ``last_commit`` (author, date, change request,
    approvers), found for all definitions in one history walk (``ConfigRepository.last_commits``,
    cached per main head) and two or three database queries, instead of a ``git log`` per file.
    """
    visible = applications_for(user)
    if application is not None:
        if application not in visible:
            return []
        visible = [application]
    if layer is not None:
        file_changes.check_layer(layer)
    if kind is not None and kind not in ("pipeline", "job"):
        file_changes.check_kind(kind)
    repo = config_repository()
    head = repo.head("main")
    paths = [
        path
        for path in repo.definitions(head, layer=layer, kind=kind)
        if path.application in visible
    ]
    last: dict[str, HistoryEntry] = {}
    if with_commits and paths:
        try:
            commits = last_commits_on_main(repo, head)
        except ConfigRepoError:
            commits = {}
        commits = {p.path: commits[p.path] for p in paths if p.path in commits}
        unique = list(dict.fromkeys(commits.values()))
        entries = dict(zip(unique, history_entries(unique), strict=True))
        last = {path: entries[commit] for path, commit in commits.items()}
    return [
        CatalogEntry(
            path.application,
            path.layer,
            path.kind,
            path.id,
            path.path,
            last_commit=last.get(path.path),
            commit=head,
        )
        for path in paths
    ]


@dataclass(frozen=True)
class DefinitionVersion:
    application: str
    layer: str
    kind: str
    id: str
    path: str
    xml: bytes
    commit: str
    version: str | None
    definition: object | None  # the parsed Pipeline | JobPipeline, None when it does not parse


def definition_get(
    *, application: str, layer: str, kind: str, id: str, rev: str = "main"
) -> DefinitionVersion:
    """One definition (or schema file) at ``rev``; NotFound when it is not there."""
    path = file_changes.file_path(application, layer, kind, id)
    repo = config_repository()
    try:
        commit = repo.head(rev)
        data = repo.read(path, rev=commit)
    except ConfigRepoError:
        data, commit = None, ""
    if data is None:
        raise NotFound(f"there is no {kind} {id!r} in {application}/{layer} at {rev}")
    definition = parsed_or_none(data, path) if kind != "schema" else None
    return DefinitionVersion(
        application=application,
        layer=layer,
        kind=kind,
        id=id,
        path=path,
        xml=data,
        commit=commit,
        version=getattr(definition, "version", None),
        definition=definition,
    )


def application_list(user) -> list[tuple[Application, list[str]]]:
    """Applications where ``user`` has a role, with their roles there."""
    names = applications_for(user)
    return [(a, roles_in(user, a)) for a in Application.objects.filter(name__in=names)]

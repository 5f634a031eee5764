"""Reading published definitions from the config repository, parsed once per commit SHA.

The XML on ``main`` is the only source of truth; what we keep here is a cache keyed by commit,
so a merge takes effect on the next read without a restart.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings

from pipelines_app.services import config_repository
from spark_runner.definition import DefinitionInvalid, parse


class DefinitionNotFound(LookupError):
    """No pipeline or job of that id in that application at that commit."""


@dataclass(frozen=True)
class Published:
    application: str
    layer: str
    kind: str  # pipeline | job
    id: str
    path: str
    commit: str
    definition: object  # spark_runner.definition.model.Pipeline | JobPipeline


def repository():
    """The config repository, shared with pipelines_app (one writer lock per process)."""
    return config_repository()


def head() -> str:
    return repository().head("main")


def _kind(value: str) -> str:
    return "job" if str(value).rstrip("s") == "job" else "pipeline"


@functools.lru_cache(maxsize=512)
def _parse(repo_path: str, commit: str, path: str):
    return parse(repository().read(path, commit), path)


@functools.lru_cache(maxsize=16)
def _index(repo_path: str, commit: str) -> tuple:
    return tuple(repository().definitions(commit))


def _paths(commit: str):
    return _index(str(settings.HUB_CONFIG_REPO), commit)


def find(commit: str, application: str, kind: str, id: str) -> Published:
    for d in _paths(commit):
        if d.application == application and _kind(d.kind) == kind and d.id == id:
            definition = _parse(str(settings.HUB_CONFIG_REPO), commit, d.path)
            return Published(application, d.layer, kind, d.id, d.path, commit, definition)
    known = sorted(
        d.id for d in _paths(commit) if d.application == application and _kind(d.kind) == kind
    )
    raise DefinitionNotFound(
        f'no {kind} "{id}" in application "{application}" at commit {commit[:10]}'
        f"; {kind}s there: {', '.join(known) or 'none'}"
    )


def exists(commit: str, application: str, kind: str, id: str) -> bool:
    return any(
        d.application == application and _kind(d.kind) == kind and d.id == id
        for d in _paths(commit)
    )


def scheduled(commit: str) -> list[Published]:
    """Every published definition with a ``<schedule>`` at ``commit`` (parsed once per SHA)."""
    return list(_scheduled(str(settings.HUB_CONFIG_REPO), commit))


@functools.lru_cache(maxsize=8)
def _scheduled(repo_path: str, commit: str) -> tuple[Published, ...]:
    found = []
    for d in _index(repo_path, commit):
        try:
            definition = _parse(repo_path, commit, d.path)
        except DefinitionInvalid:
            continue  # main is validated on merge; a broken file is not scheduled
        if definition.metadata.schedule:
            found.append(
                Published(d.application, d.layer, _kind(d.kind), d.id, d.path, commit, definition)
            )
    return tuple(found)


def files(commit: str):
    return repository().files(commit)

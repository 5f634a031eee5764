"""The catalog: what is on main in the user's applications."""

from __future__ import annotations

from django.core.cache import cache

from config_repo.errors import ConfigRepoError
from pipelines_app import permissions, selectors, services
from pipelines_app.errors import ServiceError
from pipelines_app.views.common import page
from spark_runner.definition import model as m
from webkit.responses import respond

# ---------------------------------------------------------------- catalog and definitions


def _summary(entry, head: str) -> dict:
    """One catalog row: the definition at main's ``head`` with its metadata and last commit.

    A commit never changes, so the row is cached by (head, path): the catalog costs git reads
    only for what changed since the last look.
    """
    # Keyed by repository too: two repositories can hold commits with the same id.
    key = f"pipelines:catalog-row:{services.config_repository().path}:{head}:{entry.path}"
    row = cache.get(key)
    if row is None:
        row = _read_summary(entry, head)
        cache.set(key, row, timeout=24 * 3600)
    return row


def _read_summary(entry, head: str) -> dict:
    row = {
        "entry": entry,
        "version": "",
        "owner": "",
        "schedule": "",
        "sla": "",
        "commit": None,
        "invalid": False,
    }
    try:
        found = selectors.definition_get(
            application=entry.application,
            layer=entry.layer,
            kind=entry.kind,
            id=entry.id,
            rev=head,
        )
    except (ServiceError, ConfigRepoError):
        return row
    if found.definition is None:
        row["invalid"] = True
    else:
        meta = found.definition.metadata
        row.update(
            version=found.definition.version,
            owner=meta.owner or "",
            sla=meta.sla or "",
            schedule=meta.schedule or "",
        )
    row["commit"] = getattr(entry, "last_commit", None)
    return row


@page
def catalog(request):
    """The definitions on main of every application the user belongs to."""
    applications = permissions.applications_for(request.user)
    chosen = request.GET.get("application", "")
    layer = request.GET.get("layer", "")
    query = request.GET.get("q", "").strip()[:100]
    entries, error, head = [], "", ""
    if applications:
        try:
            head = services.config_repository().head("main")
            entries = selectors.catalog(
                request.user, application=chosen or None, layer=layer if layer in m.LAYERS else None
            )
        except (ServiceError, ConfigRepoError) as failure:
            error = str(failure)
    entries = [e for e in entries if query.lower() in e.id.lower()]
    groups = {name: [] for name in applications if not chosen or name == chosen}
    for entry in entries:
        groups.setdefault(entry.application, []).append(_summary(entry, head))
    context = {
        "applications": applications,
        "groups": groups,
        "chosen_app": chosen,
        "layer": layer,
        "query": query,
        "layers": m.LAYERS,
        "total": len(entries),
        "error": error,
        "can_author": bool(permissions.applications_for(request.user, "author")),
    }
    return respond(
        request,
        "pipelines_app/catalog.html",
        context,
        fragments="pipelines_app/partials/catalog_table.html",
    )

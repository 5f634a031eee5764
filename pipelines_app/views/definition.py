"""One definition on main: view, history, edit, restore, delete."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config_repo.errors import ConfigRepoError
from config_repo.layout import definition_path
from pipelines_app import permissions, selectors, services
from pipelines_app.drafting.checking import parse_any
from pipelines_app.drafting.drafts import open_draft
from pipelines_app.errors import ServiceError
from pipelines_app.views.common import highlighted_xml, page, problem_text, service_call


def _place(request, application, layer, kind, def_id, role=None) -> str:
    """The definition's path, after checking the user's role (404 for outsiders)."""
    permissions.application_for(request.user, application, role)
    try:
        return definition_path(application, layer, kind, def_id)
    except (ConfigRepoError, ValueError):
        raise Http404("No such definition") from None


@page
def definition_detail(request, application, layer, kind, def_id):
    _place(request, application, layer, kind, def_id)
    rev = request.GET.get("rev", "main")
    if rev != "main" and not re.fullmatch(r"[0-9a-f]{7,40}", rev):
        raise Http404("No such version")
    try:
        found = selectors.definition_get(
            application=application, layer=layer, kind=kind, id=def_id, rev=rev
        )
        history = selectors.definition_history(
            application=application, layer=layer, kind=kind, id=def_id
        )
    except (ServiceError, ConfigRepoError):
        raise Http404("No such definition or version") from None
    problems = []
    if found.definition is None:
        _, problems = parse_any(found.xml, found.path)
    context = {
        "application": application,
        "layer": layer,
        "kind": kind,
        "def_id": def_id,
        "found": found,
        "rev": rev,
        "xml": highlighted_xml(found.xml),
        "definition": found.definition,
        "problems": [problem_text(p) for p in problems],
        "history": history,
        "on_main": rev == "main",
        "is_author": permissions.has_role(request.user, application, "author"),
    }
    return render(request, "pipelines_app/definition.html", context)


@page
def definition_edit(request, application, layer, kind, def_id):
    """Opens the wizard (or the XML editor for a job) on the definition as it is on main."""
    path = _place(request, application, layer, kind, def_id, role="author")
    try:
        found = selectors.definition_get(application=application, layer=layer, kind=kind, id=def_id)
    except (ServiceError, ConfigRepoError):
        raise Http404("No such definition") from None
    common = {
        "locked": True,
        "application": application,
        "layer": layer,
        "path": path,
        "definition_id": def_id,
    }
    xml_mode = request.GET.get("mode") == "xml"
    return open_draft(request, found.xml, found.definition, xml_mode=xml_mode, **common)


def _open_change(request, where: tuple, call, *, failed: str, done: str, **kwargs):
    """Propose a change to the definition at ``where``; its page on success, back otherwise."""
    application, layer, kind, _ = where
    change, error = service_call(
        request,
        call,
        author=request.user,
        application=application,
        layer=layer,
        kind=kind,
        **kwargs,
    )
    if error:
        messages.error(request, f"{failed}: {error}")
        return redirect("pipelines:definition", *where)
    messages.success(request, f"Change request #{change.number} {done}.")
    return redirect("pipelines:change_detail", change.number)


@page
@require_POST
def definition_restore(request, application, layer, kind, def_id):
    _place(request, application, layer, kind, def_id, role="author")
    return _open_change(
        request,
        (application, layer, kind, def_id),
        services.definition_restore,
        failed="Could not restore",
        done="opens the restore for review",
        id=def_id,
        commit=request.POST.get("commit", ""),
    )


@page
@require_POST
def definition_delete(request, application, layer, kind, def_id):
    _place(request, application, layer, kind, def_id, role="author")
    return _open_change(
        request,
        (application, layer, kind, def_id),
        services.change_request_create,
        failed="Could not propose the deletion",
        done="proposes the deletion",
        action="delete",
        definition_id=def_id,
        title=f"Delete {kind} {def_id}",
        description=request.POST.get("description", "").strip()[:5000],
    )

"""A CSV source row's view of the data: browse the application's storage, count what a path
matches, sample a file and keep its inferred schema as a file of the change request.

Each works as an htmx fragment inside the Sources step and, without JavaScript, as a page of
its own (the step's buttons post the rows first, so nothing typed is lost)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from pipelines_app import permissions, storage_browser
from pipelines_app.data_policy import policy_for
from pipelines_app.drafting.checking import main_files
from pipelines_app.drafting.drafts import get_draft, lost_draft
from pipelines_app.drafting.rows import rows_from_post
from pipelines_app.views.common import page
from spark_runner.definition.files import resolve_schema_path
from spark_runner.definition.sampling import avro_schema, sample_csv
from webkit.responses import respond

SCHEMA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
MAX_DRAFT_FILES = 20


class _Lost(Exception):
    pass


def _open(request, key: str):
    """(draft, policy) for an author of the draft's application; refuses everyone else."""
    try:
        draft = get_draft(request, key)
    except Http404:
        raise _Lost from None
    application = draft["basics"].get("application") or ""
    if not application or not permissions.has_role(request.user, application, "author"):
        raise PermissionDenied("Only authors of the pipeline's application may look at its data.")
    policy = policy_for(application)
    if policy is None:
        raise PermissionDenied("Choose one of your applications on Basics first.")
    return draft, policy


def _keep_posted_rows(request, draft: dict) -> None:
    """The Sources step posted here (a button with formaction): keep what was typed."""
    if "r0-kind" in request.POST:
        draft["sources"] = rows_from_post(request.POST, "sources")
        request.session.modified = True


def _row(request, draft: dict, source=None) -> int:
    source = source if source is not None else request.GET
    raw = source.get("row", "")
    if not raw.isdigit() or int(raw) >= len(draft["sources"]):
        raise Http404("No such source row")
    return int(raw)


def _value(request, draft: dict, row: int, name: str) -> str:
    """A row field as the page has it now (htmx sends the inputs), else as the draft keeps it."""
    posted = request.GET.get(f"r{row}-{name}")
    if posted is not None:
        return posted
    if name == "header" and f"r{row}-id" in request.GET:
        return ""  # an unchecked box is not sent
    return draft["sources"][row]["data"].get(name, "")


def _sources_url(key: str) -> str:
    return reverse("pipelines:wizard_step", args=[key, "sources"])


def _guarded(view):
    def wrapper(request, key: str, *args, **kwargs):
        try:
            draft, policy = _open(request, key)
        except _Lost:
            return lost_draft(request, reverse("pipelines:wizard"))
        return view(request, key, draft, policy, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return page(wrapper)


@require_http_methods(["GET", "POST"])
@_guarded
def storage_browse(request, key: str, draft: dict, policy):
    """The folders and files of one root; a POST (the step's own button) keeps the rows and
    comes back here as a GET."""
    if request.method == "POST":
        _keep_posted_rows(request, draft)
        row = _row(request, draft, request.POST)
        return redirect(f"{reverse('pipelines:storage_browse', args=[key])}?row={row}")
    row = _row(request, draft)
    roots = storage_browser.local_roots(policy)
    root_index = request.GET.get("root", "0")
    context = {"key": key, "row": row, "roots": roots, "draft": draft}
    try:
        root, folder, entries = storage_browser.listing(
            policy, int(root_index) if root_index.isdigit() else -1, request.GET.get("dir", "")
        )
    except storage_browser.Refused as refused:
        context["refused"] = str(refused)
    else:
        parents = []
        parts = folder.split("/") if folder else []
        for i, part in enumerate(parts):
            parents.append({"name": part, "folder": "/".join(parts[: i + 1])})
        context.update(root=root, folder=folder, entries=entries, parents=parents)
    return respond(
        request,
        "pipelines_app/storage_page.html",
        context,
        fragments="pipelines_app/partials/storage_panel.html",
    )


@require_POST
@_guarded
def storage_pick(request, key: str, draft: dict, policy):
    """A file chosen without JavaScript: it becomes the row's path."""
    row = _row(request, draft, request.POST)
    path = request.POST.get("path", "")
    found = storage_browser.matches(policy, path)
    if found.problem is None and found.count:
        draft["sources"][row]["data"]["path"] = path
        request.session.modified = True
    return redirect(_sources_url(key))


@_guarded
def storage_match(request, key: str, draft: dict, policy):
    """How many files the row's path matches now (the line under the Path field)."""
    row = _row(request, draft)
    path = _value(request, draft, row, "path")
    context = {"matches": storage_browser.matches(policy, path) if path.strip() else None}
    context["path"] = path
    return respond(request, "pipelines_app/partials/path_matches.html", context)


@require_http_methods(["GET", "POST"])
@_guarded
def storage_sample(request, key: str, draft: dict, policy):
    """The first rows of the row's file parsed with the row's options, and their types."""
    if request.method == "POST":
        _keep_posted_rows(request, draft)
        row = _row(request, draft, request.POST)
        return redirect(f"{reverse('pipelines:storage_sample', args=[key])}?row={row}")
    row = _row(request, draft)
    path = _value(request, draft, row, "path").strip()
    header = _value(request, draft, row, "header") == "on"
    delimiter = _value(request, draft, row, "delimiter") or ","
    source_id = _value(request, draft, row, "id").strip()
    context = {"key": key, "row": row, "path": path, "draft": draft, "source_id": source_id}
    try:
        data, complete = storage_browser.first_bytes(policy, path)
    except storage_browser.Refused as refused:
        context["refused"] = str(refused)
    else:
        sample = sample_csv(data, header=header, delimiter=delimiter, complete=complete)
        context["sample"] = sample
        context["columns"] = list(zip(sample.columns, sample.types, strict=True))
        context["schema_name"] = (SCHEMA_NAME.fullmatch(source_id) and source_id) or "sample"
        remember_sample(draft, row, source_id, path, sample.typed_columns(), header, delimiter)
        request.session.modified = True
    return respond(
        request,
        "pipelines_app/storage_sample_page.html",
        context,
        fragments="pipelines_app/partials/storage_sample.html",
    )


def remember_sample(draft, row, source_id, path, columns, header, delimiter) -> None:
    """What the column pickers use until a schema is saved (spark_runner columns.py)."""
    draft.setdefault("sampled", {})[str(row)] = {
        "id": source_id,
        "path": path,
        "columns": columns,
        "header": header,
        "delimiter": delimiter,
    }


@require_POST
@_guarded
def storage_schema(request, key: str, draft: dict, policy):
    """Keep the sampled columns as ``schemas/<name>.avsc`` of this draft's change request and
    set it as the row's schemaRef."""
    _keep_posted_rows(request, draft)
    row = _row(request, draft, request.POST)
    sampled = draft.get("sampled", {}).get(str(row))
    name = request.POST.get("schema_name", "").strip().removesuffix(".avsc")
    problem = None
    if not sampled:
        problem = "Show the file's sample first: the schema is made from it."
    elif not SCHEMA_NAME.fullmatch(name):
        problem = (
            f"“{name}” cannot be a schema name: use letters, digits, '_' or '-', "
            "starting with a letter."
        )
    else:
        ref = f"schemas/{name}.avsc"
        layer = draft["basics"].get("layer") or ""
        repo_path = resolve_schema_path(draft["basics"]["application"], layer, ref)
        data = avro_schema(name, sampled["columns"]).decode()
        files = draft.setdefault("files", {})
        if repo_path not in files and len(files) >= MAX_DRAFT_FILES:
            problem = "This draft already writes 20 schema files; remove a source first."
        elif repo_path not in files and _on_main(repo_path):
            problem = (
                f"{ref} already exists in the {layer} layer: choose another name, or type "
                "it as the schemaRef to use that one."
            )
        else:
            files[repo_path] = data
            draft["sources"][row]["data"]["schema_ref"] = ref
    request.session.modified = True
    if problem:
        messages.error(request, problem)
    return redirect(_sources_url(key))


def _on_main(path: str) -> bool:
    return main_files().read(path) is not None

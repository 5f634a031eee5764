"""Template tags of the wizard's data aids: what a source path matches, the column pickers, and
the problem count on each step of the step bar. Each is computed once per request."""

from __future__ import annotations

from django import template

from pipelines_app import permissions, storage_browser
from pipelines_app.column_picker import FIELDS, DraftColumns, problem_count
from pipelines_app.data_policy import policy_for
from pipelines_app.draft_files import draft_repo_files
from pipelines_app.drafting.checking import main_files

register = template.Library()


def _memo(context, name: str, compute):
    request = context.get("request")
    store = getattr(request, "_authoring_data", None) if request is not None else None
    if store is None:
        store = {}
        if request is not None:
            request._authoring_data = store
    if name not in store:
        store[name] = compute()
    return store[name]


def _author_policy(context, draft):
    """The draft application's policy when the signed-in user authors it, else None."""
    application = (draft or {}).get("basics", {}).get("application") or ""

    def compute():
        request = context.get("request")
        if not application or request is None:
            return None
        if not permissions.has_role(request.user, application, "author"):
            return None
        return policy_for(application)

    return _memo(context, f"policy:{application}", compute)


def _columns(context, draft) -> DraftColumns | None:
    if not draft or _author_policy(context, draft) is None:
        return None

    def compute():
        return DraftColumns(draft, main_files(), draft_repo_files(draft))

    return _memo(context, "columns", compute)


@register.simple_tag(takes_context=True)
def path_matches(context, draft, path):
    policy = _author_policy(context, draft)
    if policy is None or not (path or "").strip():
        return None
    return storage_browser.matches(policy, path)


@register.simple_tag(takes_context=True)
def column_field(context, draft, section, index, name):
    """None when the field names no column; else ``{"picker": Picker or None}``."""
    if section not in ("transformations", "targets") or index is None or not draft:
        return None
    rows = draft.get(section, [])
    if index >= len(rows) or name not in FIELDS.get(rows[index]["kind"], {}):
        return None
    columns = _columns(context, draft)
    return {"picker": columns.picker(section, index, name) if columns is not None else None}


@register.simple_tag(takes_context=True)
def step_problem_count(context, draft, step) -> int:
    if not draft or "problems" not in draft:
        return 0
    return problem_count(draft, step, _columns(context, draft))


@register.simple_tag(takes_context=True)
def source_path_warnings(context, draft) -> list[dict]:
    """CSV sources whose path matches no file now: the run would fail unless one arrives."""
    policy = _author_policy(context, draft)
    if policy is None:
        return []
    warnings = []
    for index, row in enumerate(draft.get("sources", [])):
        path = (row["data"].get("path") or "").strip()
        if row["kind"] != "csv" or not path:
            continue
        found = storage_browser.matches(policy, path)
        if found.counted and not found.problem and not found.count:
            warnings.append({"index": index, "path": path})
    return warnings


@register.simple_tag(takes_context=True)
def column_warnings(context, draft) -> list[dict]:
    """Columns the steps name that their dataset, known only from a sample, does not have (the
    validator reports those a schema rules out; these it cannot see)."""
    columns = _columns(context, draft)
    if columns is None:
        return []
    stored = draft.get("problems", {})
    found = []
    for step in ("transformations", "targets"):
        for index, row in enumerate(draft.get(step, [])):
            for name in FIELDS.get(row["kind"], {}):
                if f"{step}:{index}:{name}" in stored:
                    continue
                picker = columns.picker(step, index, name)
                for text in picker.unknown if picker else ():
                    found.append({"step": step, "index": index, "text": text})
    return found

"""Pages of the pipelines app: catalog, wizard, XML editor, change requests, review queue, audit.

Every view fetches with a permission helper, calls one service or selector, and renders through
``respond``: one URL serves both the page and, for htmx, its fragment (netbox's pattern).
"""

from __future__ import annotations

import logging
import re
import secrets
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from lxml import etree
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import XmlLexer

from config_repo.errors import ConfigRepoError
from config_repo.layout import definition_path
from pipelines_app import forms as f
from pipelines_app import permissions, selectors, services
from pipelines_app.errors import ServiceError
from pipelines_app.governance import change_request_findings
from pipelines_app.models import AuditEvent, Status
from spark_runner.definition import DefinitionInvalid, Problem, parse, validate
from spark_runner.definition import model as m
from spark_runner.definition import render as render_xml

logger = logging.getLogger(__name__)

STEPS = (
    ("basics", "Basics"),
    ("sources", "Sources"),
    ("transformations", "Transformations"),
    ("targets", "Targets"),
    ("review", "Review"),
)
STEP_NAMES = tuple(name for name, _ in STEPS)
ROW_STEPS = ("sources", "transformations", "targets")
MAX_DRAFTS = 10
MAX_ROWS = 100


# ---------------------------------------------------------------- shared helpers


def respond(request, template: str, context: dict, *, fragment: str | None = None, status=200):
    """The page, or only its fragment when htmx asked for a part of it."""
    htmx = getattr(request, "htmx", None)
    if fragment and htmx and not htmx.boosted:
        return render(request, fragment, context, status=status)
    return render(request, template, context, status=status)


def forbidden(request, reason: str):
    return render(request, "pipelines_app/forbidden.html", {"reason": reason}, status=403)


def page(view):
    """Signed-in users only; a refused permission becomes a friendly 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as refused:
            return forbidden(request, str(refused) or "You may not do this.")

    return wrapper


def highlighted_xml(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    formatter = HtmlFormatter(nowrap=False, linenos="table", cssclass="xml", wrapcode=True)
    return mark_safe(highlight(text, XmlLexer(), formatter))  # noqa: S308 - pygments escapes


def diff_lines(patch: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, text) lines for the template to colour."""
    lines = []
    for line in (patch or "").splitlines():
        if line.startswith(("+++", "---", "diff ", "index ")):
            kind = "meta"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append((kind, line))
    return lines


def problem_text(problem: Problem) -> str:
    return f"{problem.line}:{problem.column}: {problem.message}"


# ---------------------------------------------------------------- checking a definition


class _WithFile:
    """The files on main, with one file replaced by the one being written."""

    def __init__(self, base, path: str, data: bytes):
        self.base, self.path, self.data = base, path, data

    def read(self, path: str) -> bytes | None:
        return self.data if path == self.path else self.base.read(path)

    def list(self, prefix: str) -> list[str]:
        found = set(self.base.list(prefix))
        if self.path.startswith(prefix.rstrip("/") + "/") or not prefix.strip("/"):
            found.add(self.path)
        return sorted(found)


class _NoFiles:
    def read(self, path):
        return None

    def list(self, prefix):
        return []


def main_files():
    try:
        return services.config_repository().files("main")
    except Exception:  # an empty or missing repository: validate against nothing
        return _NoFiles()


def check_definition(path: str, data: bytes) -> list[Problem]:
    """Every problem of the definition at ``path``, as it would stand on main."""
    try:
        report = validate(_WithFile(main_files(), path, data), [path])
    except DefinitionInvalid as invalid:
        return list(invalid.problems)
    except Exception:  # a validator bug must not cost the author their page
        logger.exception("validation failed on %s", path)
        return [
            Problem(
                path,
                1,
                1,
                "The portal could not validate this definition; nothing "
                "was saved. Try again, or tell the platform team.",
            )
        ]
    return list(report.problems)


def parse_any(data: bytes, name: str = "definition.xml"):
    """(definition, problems): the parsed definition, or None and the located problems."""
    try:
        return parse(data, name), []
    except DefinitionInvalid as invalid:
        return None, list(invalid.problems)


# ---------------------------------------------------------------- wizard drafts (session)


def _drafts(request) -> dict:
    return request.session.setdefault("pipeline_drafts", {})


def new_draft(request, **values) -> str:
    drafts = _drafts(request)
    while len(drafts) >= MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    key = secrets.token_urlsafe(6)
    drafts[key] = {
        "basics": {"version": "1.0"},
        "sources": [],
        "transformations": [],
        "targets": [],
        "submit": {},
        "problems": {},
        "locked": False,
        "change_request": None,
        "original_xml": "",
        "xml": "",
        "application": "",
        "layer": "",
    } | values
    request.session.modified = True
    return key


def get_draft(request, key: str) -> dict:
    draft = _drafts(request).get(key)
    if draft is None:
        raise Http404("This draft is no longer in your session.")
    return draft


def drop_draft(request, key: str) -> None:
    _drafts(request).pop(key, None)
    request.session.modified = True


def draft_from_definition(definition, **values) -> dict:
    """The wizard's raw values for an existing definition; ``values`` name its application."""
    application = values["application"]
    xml = render_xml(definition).decode()
    meta = definition.metadata
    basics = {
        "application": application,
        "layer": definition.layer,
        "id": definition.id,
        "version": definition.version,
        "owner": meta.owner or "",
        "sla": meta.sla or "",
        "schedule": meta.schedule or "",
        "description": meta.description or "",
    }
    rows = {}
    for section in ROW_STEPS:
        rows[section] = [
            {"kind": form.kind, "data": form.raw_from_model(obj)}
            for obj in getattr(definition, section)
            for form in [f.row_form_for(section, obj)]
        ]
    return {
        "basics": basics,
        "original_xml": xml,
        "locked": True,
        "xml": xml,
        "application": application,
        "layer": definition.layer,
        **rows,
        **values,
    }


def row_form(section: str, row: dict, index: int) -> f.RowForm:
    cls = f.ROW_FORMS[section][row["kind"]]
    prefix = f"r{index}"
    return cls(data={f"{prefix}-{k}": v for k, v in row["data"].items()}, prefix=prefix)


def rows_from_post(post, section: str) -> list[dict]:
    rows = []
    for index in range(MAX_ROWS):
        kind = post.get(f"r{index}-kind")
        if kind is None:
            break
        cls = f.ROW_FORMS[section].get(kind)
        if cls is None:
            continue
        data = {
            name: post.get(f"r{index}-{name}")
            for name in cls.base_fields
            if f"r{index}-{name}" in post
        }
        rows.append({"kind": kind, "data": data})
    return rows


def basics_form(request, draft: dict, data=None) -> f.BasicsForm:
    applications = permissions.applications_for(request.user, "author")
    chosen = draft["basics"].get("application")
    if draft["locked"] and chosen and chosen not in applications:
        applications = [*applications, chosen]
    return f.BasicsForm(
        data if data is not None else draft["basics"],
        initial=draft["basics"],
        applications=applications,
        locked=draft["locked"],
    )


def build_pipeline(draft: dict):
    """(Pipeline, []) from the wizard's values, or (None, issues) naming the step to fix."""
    issues: list[dict] = []
    basics = f.BasicsForm(draft["basics"], applications=[draft["basics"].get("application", "")])
    if not basics.is_valid():
        for name, errors in basics.errors.items():
            label = basics.fields[name].label or name if name in basics.fields else ""
            issues.append({"step": "basics", "index": None, "text": f"{label}: {errors[0]}"})
    built: dict[str, list] = {}
    for section in ROW_STEPS:
        built[section] = []
        for index, row in enumerate(draft[section]):
            form = row_form(section, row, index)
            if form.is_valid():
                built[section].append(form.to_model())
                continue
            for name, errors in form.errors.items():
                where = form.fields[name].label or name if name in form.fields else ""
                what = f"{where}: " if where else ""
                issues.append(
                    {
                        "step": section,
                        "index": index,
                        "text": f"{form.label} {index + 1}: {what}{errors[0]}",
                    }
                )
    if not draft["sources"]:
        issues.append(
            {
                "step": "sources",
                "index": None,
                "text": "Add at least one source: the data this pipeline reads.",
            }
        )
    if not draft["targets"]:
        issues.append(
            {
                "step": "targets",
                "index": None,
                "text": "Add at least one target: where the result is written.",
            }
        )
    if issues:
        return None, issues
    data = basics.cleaned_data
    parameters, notifications = (), ()
    if draft["original_xml"]:
        original, _ = parse_any(draft["original_xml"].encode())
        if original is not None:  # the wizard does not edit these: keep them as they were
            parameters, notifications = original.parameters, original.notifications
    pipeline = m.Pipeline(
        id=data["id"],
        version=data["version"],
        layer=data["layer"],
        metadata=m.Metadata(
            owner=data["owner"],
            sla=data["sla"] or None,
            schedule=data["schedule"] or None,
            description=data["description"] or None,
        ),
        parameters=parameters,
        sources=tuple(built["sources"]),
        transformations=tuple(built["transformations"]),
        targets=tuple(built["targets"]),
        notifications=notifications,
    )
    return pipeline, []


def locate_rows(data: bytes) -> list[tuple[int, str, int | None]]:
    """(line, step, row index) of each element the wizard made, in the rendered XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return []
    places = [(root.sourceline or 1, "basics", None)]
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name in ROW_STEPS:
            places.append((child.sourceline, name, None))
            rows = [c for c in child if isinstance(c.tag, str)]
            places.extend((row.sourceline, name, i) for i, row in enumerate(rows))
        else:
            places.append((child.sourceline, "basics", None))
    return sorted(places, key=lambda place: place[0])


def place_problems(path: str, data: bytes, problems: list[Problem]) -> list[dict]:
    places = locate_rows(data)
    placed = []
    for problem in problems:
        step, index = None, None
        if problem.file == path:
            for line, place_step, place_index in places:
                if line <= problem.line:
                    step, index = place_step, place_index
        placed.append({"step": step, "index": index, "text": problem_text(problem)})
    return placed


def problems_by_place(issues: list[dict]) -> dict[str, list[str]]:
    """``{"sources:0": [...], "basics": [...]}``: what each step shows next to its rows."""
    grouped: dict[str, list[str]] = {}
    for issue in issues:
        if issue["step"] is None:
            continue
        key = issue["step"] if issue["index"] is None else f"{issue['step']}:{issue['index']}"
        grouped.setdefault(key, []).append(issue["text"])
    return grouped


# ---------------------------------------------------------------- wizard pages


def _step_url(key: str, step: str) -> str:
    return reverse("pipelines:wizard_step", args=[key, step])


def _datasets(draft: dict) -> list[str]:
    names = [row["data"].get("id", "") for row in draft["sources"]]
    names += [row["data"].get("output", "") for row in draft["transformations"]]
    return [name for name in names if name]


@page
def wizard_start(request):
    """A new, empty pipeline draft: Basics first (or the XML editor with ?mode=xml, which
    starts from the wizard draft named by ?from= when that one is complete)."""
    if request.GET.get("mode") == "xml":
        xml, values = XML_STARTER, {}
        source = _drafts(request).get(request.GET.get("from", ""))
        if source is not None:
            pipeline, _ = build_pipeline(source)
            if pipeline is not None:
                xml = render_xml(pipeline).decode()
                values = {
                    "application": source["basics"].get("application", ""),
                    "layer": pipeline.layer,
                }
        key = new_draft(request, mode="xml", xml=xml, **values)
        return redirect("pipelines:wizard_xml", key)
    key = new_draft(request)
    return redirect("pipelines:wizard_step", key, "basics")


@page
def wizard_step(request, key: str, step: str):
    if step not in STEP_NAMES:
        raise Http404("No such step")
    try:
        draft = get_draft(request, key)
    except Http404:
        messages.info(request, "That draft is no longer in your session: start again here.")
        return redirect("pipelines:wizard")
    if not permissions.applications_for(request.user, "author") and not draft["locked"]:
        return render(request, "pipelines_app/wizard_not_author.html", status=200)
    if step == "review":
        return wizard_review(request, key, draft)
    if request.method == "POST":
        return _wizard_post(request, key, draft, step)
    return _wizard_render(request, key, draft, step)


def _wizard_post(request, key: str, draft: dict, step: str):
    action = request.POST.get("action", "next")
    if step == "basics":
        posted = {n: request.POST[n] for n in f.BasicsForm.base_fields if n in request.POST}
        if draft["locked"]:
            for name in ("application", "layer", "id"):
                posted[name] = draft["basics"].get(name, "")
        draft["basics"] = posted
    else:
        rows = rows_from_post(request.POST, step)
        kind, _, arg = action.partition(":")
        if kind == "add" and arg in f.ROW_FORMS[step] and len(rows) < MAX_ROWS:
            rows.append({"kind": arg, "data": f.ROW_FORMS[step][arg].initial_raw()})
        elif kind in ("remove", "up", "down") and arg.isdigit() and int(arg) < len(rows):
            index = int(arg)
            if kind == "remove":
                rows.pop(index)
            else:
                other = index - 1 if kind == "up" else index + 1
                if 0 <= other < len(rows):
                    rows[index], rows[other] = rows[other], rows[index]
        draft[step] = rows
        if kind in ("add", "remove", "up", "down"):
            draft["problems"] = {}  # row numbers moved: old findings no longer point right
            request.session.modified = True
            return _wizard_render(request, key, draft, step)
    request.session.modified = True
    position = STEP_NAMES.index(step)
    if action == "back":
        return redirect(_step_url(key, STEP_NAMES[max(position - 1, 0)]))
    if action.startswith("goto:") and action[5:] in STEP_NAMES:
        return redirect(_step_url(key, action[5:]))
    if not _step_valid(request, draft, step):
        return _wizard_render(request, key, draft, step, show_errors=True)
    return redirect(_step_url(key, STEP_NAMES[position + 1]))


def _step_valid(request, draft: dict, step: str) -> bool:
    if step == "basics":
        return basics_form(request, draft).is_valid()
    return all(row_form(step, row, i).is_valid() for i, row in enumerate(draft[step]))


def _wizard_render(request, key: str, draft: dict, step: str, show_errors: bool = False):
    context = {
        "key": key,
        "draft": draft,
        "step": step,
        "steps": _steps_nav(step),
        "show_errors": show_errors,
        "problems": draft["problems"].get(step, []),
        "editing": draft["locked"],
    }
    if step == "basics":
        context["form"] = basics_form(request, draft)  # errors shown only with show_errors
        schedule = draft["basics"].get("schedule", "")
        context["cron"] = cron_context(schedule)
        return respond(request, "pipelines_app/wizard_basics.html", context)
    context["rows"] = [
        {
            "form": row_form(step, row, i),
            "kind": row["kind"],
            "index": i,
            "problems": draft["problems"].get(f"{step}:{i}", []),
        }
        for i, row in enumerate(draft[step])
    ]
    context["kinds"] = [(kind, cls.label) for kind, cls in f.ROW_FORMS[step].items()]
    context["datasets"] = _datasets(draft)
    return respond(
        request,
        "pipelines_app/wizard_rows.html",
        context,
        fragment="pipelines_app/partials/wizard_rows.html",
    )


def _steps_nav(current: str) -> list[dict]:
    position = STEP_NAMES.index(current)
    return [
        {
            "name": name,
            "label": label,
            "state": "current" if i == position else "done" if i < position else "",
        }
        for i, (name, label) in enumerate(STEPS)
    ]


def cron_context(schedule: str) -> dict:
    schedule = " ".join((schedule or "").split())
    if not schedule:
        return {"empty": True}
    problem = f.cron_problem(schedule)
    if problem:
        return {"problem": problem}
    return {
        "words": f.describe_cron(schedule),
        "runs": f.next_runs(schedule, timezone.now()),
    }


@login_required
def cron_preview(request):
    """Live preview of a schedule as the author types it (htmx)."""
    context = {"cron": cron_context(request.GET.get("schedule", "")[:200])}
    return render(request, "pipelines_app/partials/cron_preview.html", context)


def wizard_review(request, key: str, draft: dict):
    pipeline, issues = build_pipeline(draft)
    xml, placed, path = b"", [], ""
    if pipeline is not None:
        try:
            xml = render_xml(pipeline)
        except Exception:  # a renderer bug must not cost the author their draft
            logger.exception("rendering the wizard's pipeline failed")
            pipeline = None
            issues = [
                {
                    "step": None,
                    "index": None,
                    "text": "The portal could not generate "
                    "the XML; your draft is kept. Try again, or use Edit XML.",
                }
            ]
    if pipeline is not None:
        application = draft["basics"]["application"]
        path = definition_path(application, pipeline.layer, "pipeline", pipeline.id)
        placed = place_problems(path, xml, check_definition(path, xml))
    draft["problems"] = problems_by_place(issues or placed)
    request.session.modified = True
    form = f.SubmitForm(request.POST or None, initial=draft["submit"] or _default_title(draft))
    if request.method == "POST" and pipeline is not None and not placed and form.is_valid():
        draft["submit"] = form.cleaned_data
        response = _propose(
            request,
            key,
            draft,
            application=draft["basics"]["application"],
            layer=pipeline.layer,
            kind="pipeline",
            xml=xml,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
        )
        if response is not None:
            return response
    context = {
        "key": key,
        "draft": draft,
        "step": "review",
        "steps": _steps_nav("review"),
        "issues": issues or placed,
        "xml": highlighted_xml(xml) if xml else "",
        "path": path,
        "form": form,
        "can_submit": pipeline is not None and not placed,
        "editing": draft["locked"],
    }
    return render(request, "pipelines_app/wizard_review.html", context)


def _default_title(draft: dict) -> dict:
    basics = draft["basics"]
    verb = "Update" if draft["locked"] else "Add"
    return {"title": f"{verb} pipeline {basics.get('id', '')}".strip()}


XML_STARTER = """<jobPipeline id="my_job" version="1.0">
  <metadata>
    <owner>my-team</owner>
    <sla>PT2H</sla>
    <schedule>0 2 * * *</schedule>
  </metadata>
  <pipelines>
    <pipelineRef id="first_pipeline" onFailure="halt"/>
    <pipelineRef id="second_pipeline" dependsOn="first_pipeline" onFailure="halt"/>
  </pipelines>
</jobPipeline>
"""


def _xml_target(draft: dict, form: f.XmlForm, definition) -> tuple[str, str, str]:
    """(application, layer, path) of what the XML editor's text defines."""
    application = form.cleaned_data["application"]
    layer = definition.layer if isinstance(definition, m.Pipeline) else form.cleaned_data["layer"]
    return application, layer, definition_path(application, layer, definition.kind, definition.id)


def xml_problems(draft: dict, form: f.XmlForm):
    """(definition, application, layer, path, problems) for the XML editor's text."""
    data = form.cleaned_data["xml"].encode("utf-8")
    definition, problems = parse_any(data)
    if definition is None:
        return None, "", "", "", problems
    application, layer, path = _xml_target(draft, form, definition)
    if draft["locked"] and path != draft.get("path", path):
        problems = [
            Problem(
                path,
                1,
                1,
                "The id, layer or kind changed: this would be another "
                f"file. Keep it as it was ({draft['path']}), or start a new one.",
            )
        ]
        return definition, application, layer, path, problems
    return definition, application, layer, path, check_definition(path, data)


@page
def wizard_xml(request, key: str):
    """The expert's way: the XML itself, validated on demand, then proposed."""
    try:
        draft = get_draft(request, key)
    except Http404:
        messages.info(request, "That draft is no longer in your session: start again here.")
        return redirect(reverse("pipelines:wizard") + "?mode=xml")
    applications = permissions.applications_for(request.user, "author")
    if draft["application"] and draft["application"] not in applications:
        applications = [*applications, draft["application"]]
    if not applications:
        return render(request, "pipelines_app/wizard_not_author.html")
    initial = {
        "application": draft["application"],
        "layer": draft["layer"] or "staging",
        "xml": draft["xml"],
    }
    form = f.XmlForm(
        request.POST or None, initial=initial, applications=applications, locked=draft["locked"]
    )
    submit = f.SubmitForm(request.POST or None, initial=draft["submit"] or {})
    problems, checked = [], False
    if request.method == "POST" and form.is_valid():
        draft["xml"] = form.cleaned_data["xml"]
        draft["application"] = form.cleaned_data["application"]
        draft["layer"] = form.cleaned_data["layer"]
        request.session.modified = True
        definition, application, layer, _path, problems = xml_problems(draft, form)
        checked = True
        if request.POST.get("action") == "submit" and not problems and submit.is_valid():
            response = _propose(
                request,
                key,
                draft,
                application=application,
                layer=layer,
                kind=definition.kind,
                xml=form.cleaned_data["xml"].encode(),
                title=submit.cleaned_data["title"],
                description=submit.cleaned_data["description"],
            )
            if response is not None:
                return response
    context = {
        "key": key,
        "form": form,
        "submit": submit,
        "checked": checked,
        "submitted": request.POST.get("action") == "submit",
        "problems": [problem_text(p) for p in problems],
        "editing": draft["locked"],
        "draft": draft,
    }
    return respond(
        request,
        "pipelines_app/wizard_xml.html",
        context,
        fragment="pipelines_app/partials/xml_problems.html",
    )


def _propose(
    request, key: str, draft: dict, *, application, layer, kind, xml: bytes, title, description
):
    """Create (or update) the change request; None with an error message when refused."""
    try:
        if draft["change_request"]:
            change = services.change_request_update(
                change_request=draft["change_request"],
                author=request.user,
                xml=xml,
                title=title,
                description=description,
                request=request,
            )
        else:
            change = services.change_request_create(
                author=request.user,
                application=application,
                layer=layer,
                kind=kind,
                xml=xml,
                title=title,
                description=description,
                action="edit" if draft["locked"] else "create",
                definition_id=(draft.get("definition_id") or draft["basics"].get("id"))
                if draft["locked"]
                else None,
                request=request,
            )
    except services.ChangeRequestInvalid as invalid:
        for problem in invalid.problems[:10]:
            messages.error(request, str(problem))
        return None
    except services.ServiceError as refused:
        messages.error(request, f"{refused.message[:1].upper()}{refused.message[1:]}.")
        return None
    drop_draft(request, key)
    verb = "updated" if draft["change_request"] else "created"
    messages.success(request, f"Change request #{change.number} {verb}: it now waits for review.")
    return redirect("pipelines:change_detail", change.number)


# ---------------------------------------------------------------- catalog and definitions


def _summary(entry, head: str) -> dict:
    """One catalog row: the definition at main's ``head`` with its metadata and last commit.

    A commit never changes, so the row is cached by (head, path): the catalog costs git reads
    only for what changed since the last look.
    """
    key = f"pipelines:catalog-row:{head}:{entry.path}"
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
        history = selectors.definition_history(
            application=entry.application, layer=entry.layer, kind=entry.kind, id=entry.id, limit=1
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
    row["commit"] = history[0] if history else None
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
        fragment="pipelines_app/partials/catalog_table.html",
    )


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
    if found.definition is None or kind == "job" or request.GET.get("mode") == "xml":
        key = new_draft(request, mode="xml", xml=found.xml.decode("utf-8", "replace"), **common)
        return redirect("pipelines:wizard_xml", key)
    key = new_draft(request, **draft_from_definition(found.definition, **common))
    return redirect("pipelines:wizard_step", key, "basics")


def _service_call(request, call, **kwargs):
    """Run one service: (result, None), or (None, why) when refused; NotAllowed becomes 403."""
    try:
        return call(request=request, **kwargs), None
    except services.NotAllowed:
        raise
    except services.ChangeRequestInvalid as invalid:
        return None, "; ".join(str(p) for p in invalid.problems[:5])
    except services.ServiceError as refused:
        return None, refused.message


@page
@require_POST
def definition_restore(request, application, layer, kind, def_id):
    _place(request, application, layer, kind, def_id, role="author")
    change, error = _service_call(
        request,
        services.definition_restore,
        author=request.user,
        application=application,
        layer=layer,
        kind=kind,
        id=def_id,
        commit=request.POST.get("commit", ""),
    )
    if error:
        messages.error(request, f"Could not restore: {error}")
        return redirect("pipelines:definition", application, layer, kind, def_id)
    messages.success(request, f"Change request #{change.number} opens the restore for review.")
    return redirect("pipelines:change_detail", change.number)


@page
@require_POST
def definition_delete(request, application, layer, kind, def_id):
    _place(request, application, layer, kind, def_id, role="author")
    change, error = _service_call(
        request,
        services.change_request_create,
        author=request.user,
        application=application,
        layer=layer,
        kind=kind,
        action="delete",
        definition_id=def_id,
        title=f"Delete {kind} {def_id}",
        description=request.POST.get("description", "").strip()[:5000],
    )
    if error:
        messages.error(request, f"Could not propose the deletion: {error}")
        return redirect("pipelines:definition", application, layer, kind, def_id)
    messages.success(request, f"Change request #{change.number} proposes the deletion.")
    return redirect("pipelines:change_detail", change.number)


# ---------------------------------------------------------------- change requests

SEVERITY = {"pii_unmasked": "high", "schema_column_dropped": "high", "schema_type_changed": "high"}


def _change(request, number: int):
    try:
        return selectors.change_request_get(request.user, number)
    except ServiceError:
        raise Http404("No such change request") from None


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@page
def change_list(request):
    applications = permissions.applications_for(request.user)
    form = f.ChangeFilterForm(
        request.GET or None, applications=applications, statuses=Status.values
    )
    data = form.cleaned_data if form.is_valid() else {}
    changes = selectors.change_requests_for(
        request.user, status=data.get("status") or None, application=data.get("application") or None
    )
    if data.get("mine"):
        changes = changes.filter(author=request.user)
    paginator = Paginator(changes, 50)
    context = {
        "form": form,
        "page_obj": paginator.get_page(request.GET.get("page")),
        "applications": applications,
        "query": _query_without_page(request),
    }
    return respond(
        request,
        "pipelines_app/change_list.html",
        context,
        fragment="pipelines_app/partials/change_table.html",
    )


def _conversation(change) -> list[dict]:
    events = [
        {"kind": "review", "at": r.created_at, "item": r}
        for r in change.reviews.select_related("reviewer")
    ]
    events += [
        {"kind": "comment", "at": c.created_at, "item": c}
        for c in change.comments.select_related("author")
    ]
    return sorted(events, key=lambda e: e["at"])


def _files(detail) -> list[dict]:
    return [
        {"path": c.path, "old_path": c.old_path, "status": c.status, "lines": diff_lines(c.patch)}
        for c in detail.files
    ]


@page
def change_detail(request, number: int):
    change = _change(request, number)
    detail = selectors.change_request_detail(change)
    actions = selectors.actions_for(request.user, change)
    findings = [
        {
            "code": x.code,
            "file": x.file,
            "message": x.message,
            "severity": SEVERITY.get(x.code, "medium"),
        }
        for x in detail.governance
    ]
    context = {
        "change": change,
        "detail": detail,
        "files": _files(detail),
        "findings": findings,
        "conversation": _conversation(change),
        "actions": actions,
        "can_review": "approve" in actions or "request_changes" in actions,
        "can_rebase": "rebase" in actions and change.status == Status.NEEDS_REBASE,
        "already_approved": any(a.pk == request.user.pk for a in detail.approvers),
        "review_form": f.ReviewActionForm(),
        "comment_form": f.CommentForm(),
    }
    return render(request, "pipelines_app/change_detail.html", context)


REVIEW_ACTIONS = {
    "approve": (services.change_request_approve, "approved"),
    "request-changes": (services.change_request_request_changes, "sent back for changes"),
    "reject": (services.change_request_reject, "rejected"),
}


@page
@require_POST
def change_review(request, number: int, decision: str):
    change = _change(request, number)
    if decision not in REVIEW_ACTIONS:
        raise Http404("No such action")
    if change.author_id == request.user.pk:
        raise PermissionDenied("Four eyes: you cannot review your own change request.")
    permissions.require_role(request.user, change.application, "reviewer")
    form = f.ReviewActionForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    call, verb = REVIEW_ACTIONS[decision]
    kwargs = {
        "change_request": change,
        "reviewer": request.user,
        "comment": data.get("comment", ""),
    }
    if decision == "approve":
        kwargs["override_reason"] = data.get("override_reason", "")
    elif not kwargs["comment"].strip():
        messages.error(request, "Say what the author should change: a comment is required.")
        return redirect("pipelines:change_detail", number)
    _, error = _service_call(request, call, **kwargs)
    if error:
        messages.error(request, f"Not {verb}: {error}")
    else:
        change.refresh_from_db()
        done = "merged into main" if change.status == Status.MERGED else verb
        messages.success(request, f"Change request #{change.number} {done}.")
    return redirect("pipelines:change_detail", number)


AUTHOR_ACTIONS = {
    "withdraw": services.change_request_withdraw,
    "rebase": services.change_request_rebase,
    "submit": services.change_request_submit,
}


@page
@require_POST
def change_author_action(request, number: int, action: str):
    change = _change(request, number)
    if action not in AUTHOR_ACTIONS:
        raise Http404("No such action")
    if action not in selectors.actions_for(request.user, change):
        raise PermissionDenied(f"Only the author of an open change request can {action} it.")
    _, error = _service_call(
        request, AUTHOR_ACTIONS[action], change_request=change, author=request.user
    )
    if error:
        messages.error(request, f"Could not {action}: {error}")
    else:
        messages.success(request, f"Change request #{change.number}: {action} done.")
    return redirect("pipelines:change_detail", number)


@page
@require_POST
def change_comment(request, number: int):
    change = _change(request, number)
    form = f.CommentForm(request.POST)
    error = "Write a comment first."
    if form.is_valid():
        _, error = _service_call(
            request,
            services.change_request_comment,
            change_request=change,
            author=request.user,
            body=form.cleaned_data["body"],
        )
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("pipelines:change_detail", number)
    context = {
        "change": change,
        "conversation": _conversation(change),
        "comment_form": form if error else f.CommentForm(),
        "comment_error": error,
        "actions": ["comment"],
    }
    return render(request, "pipelines_app/partials/conversation.html", context)


@page
def change_update(request, number: int):
    """Opens the wizard (or the XML editor) on the change's file as it is on its branch."""
    change = _change(request, number)
    if "update" not in selectors.actions_for(request.user, change) or change.action == "delete":
        raise PermissionDenied("Only the author can update an open change request.")
    data = services.config_repository().read(change.path, rev=change.head_commit)
    if data is None:
        raise Http404("The change's file is not on its branch")
    definition, _ = parse_any(data, change.path)
    common = {
        "change_request": change.pk,
        "path": change.path,
        "locked": True,
        "definition_id": change.definition_id,
        "layer": change.layer,
        "application": change.application.name,
        "submit": {"title": change.title, "description": change.description},
    }
    if definition is None or change.kind != "pipeline":
        key = new_draft(request, mode="xml", xml=data.decode("utf-8", "replace"), **common)
        return redirect("pipelines:wizard_xml", key)
    key = new_draft(request, **draft_from_definition(definition, **common))
    return redirect("pipelines:wizard_step", key, "basics")


# ---------------------------------------------------------------- review queue and audit


@page
def review_queue(request):
    items = selectors.review_queue(request.user)
    rows = []
    repo = services.config_repository() if items else None
    for item in items:
        try:
            flags = len(change_request_findings(repo, item.change_request))
        except Exception:
            flags = None
        rows.append({"item": item, "change": item.change_request, "flags": flags})
    context = {
        "rows": rows,
        "is_reviewer": bool(permissions.applications_for(request.user, "reviewer")),
    }
    return render(request, "pipelines_app/review_queue.html", context)


@page
def audit_log(request):
    if not request.user.is_staff:
        raise PermissionDenied("The audit log is for administrators (staff) only.")
    form = f.AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.order_by("-created_at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            events = events.filter(actor_name__icontains=data["actor"])
        if data["action"]:
            events = events.filter(action__icontains=data["action"])
        if data["since"]:
            events = events.filter(created_at__date__gte=data["since"])
        if data["until"]:
            events = events.filter(created_at__date__lte=data["until"])
    paginator = Paginator(events, 50)
    context = {
        "form": form,
        "page_obj": paginator.get_page(request.GET.get("page")),
        "query": _query_without_page(request),
    }
    return respond(
        request,
        "pipelines_app/audit.html",
        context,
        fragment="pipelines_app/partials/audit_table.html",
    )

"""The guided pipeline wizard: Basics, rows of sources/steps/targets, Review."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from config_repo.layout import definition_path
from pipelines_app import forms as f
from pipelines_app import permissions
from pipelines_app.draft_files import draft_repo_files
from pipelines_app.drafting.checking import check_definition
from pipelines_app.drafting.drafts import (
    basics_form,
    build_pipeline,
    foreign_application,
    get_draft,
    lost_draft,
    new_draft,
    review_page,
    session_drafts,
)
from pipelines_app.drafting.placing import field_problems, place_problems
from pipelines_app.drafting.rows import (
    apply_row_action,
    row_cards,
    row_form,
    rows_from_post,
)
from pipelines_app.views.common import page
from pipelines_app.views.xml_editor import PIPELINE_STARTER, STARTERS
from spark_runner.definition import render as render_xml
from webkit.responses import respond

logger = logging.getLogger(__name__)

STEPS = (
    ("basics", "Basics"),
    ("sources", "Sources"),
    ("transformations", "Transformations"),
    ("targets", "Targets"),
    ("parameters", "Parameters & notifications"),
    ("review", "Review"),
)
STEP_NAMES = tuple(name for name, _ in STEPS)


def _step_url(key: str, step: str) -> str:
    return reverse("pipelines:wizard_step", args=[key, step])


def _datasets(draft: dict) -> list[str]:
    names = [row["data"].get("id", "") for row in draft["sources"]]
    names += [row["data"].get("output", "") for row in draft["transformations"]]
    return [name for name in names if name]


@page
def wizard_start(request):
    """A new, empty pipeline draft: Basics first (or the XML editor with ?mode=xml, which
    starts from a pipeline skeleton, a job's with &kind=job, or from the wizard draft named by
    ?from= when that one is complete)."""
    if request.GET.get("mode") == "xml":
        xml, values = STARTERS.get(request.GET.get("kind", ""), PIPELINE_STARTER), {}
        source = session_drafts(request).get(request.GET.get("from", ""))
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
        return lost_draft(request, reverse("pipelines:wizard"))
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
        moved = apply_row_action(rows, step, action)
        draft[step] = rows
        if moved:
            draft["problems"] = {}  # row numbers moved: old findings no longer point right
            request.session.modified = True
            return _wizard_render(request, key, draft, step)
    request.session.modified = True
    position = STEP_NAMES.index(step)
    if action == "back":
        return redirect(_step_url(key, STEP_NAMES[max(position - 1, 0)]))
    if action.startswith("goto:") and action[5:] in STEP_NAMES:
        return redirect(_step_url(key, action[5:]))
    if action == "check":  # a field changed after a failed Next: show what is still wrong
        return _wizard_render(request, key, draft, step, show_errors=True, whole=True)
    if not _step_valid(request, draft, step):
        return _wizard_render(request, key, draft, step, show_errors=True)
    return redirect(_step_url(key, STEP_NAMES[position + 1]))


def _step_valid(request, draft: dict, step: str) -> bool:
    if step == "basics":
        return basics_form(request, draft).is_valid()
    return all(row_form(step, row, i).is_valid() for i, row in enumerate(draft[step]))


def _wizard_render(
    request, key: str, draft: dict, step: str, show_errors: bool = False, whole: bool = False
):
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
        context["fp"] = field_problems(draft["problems"], "basics")
        schedule = draft["basics"].get("schedule", "")
        context["cron"] = cron_context(schedule)
        return respond(request, "pipelines_app/wizard_basics.html", context)
    context["rows"] = row_cards(step, draft[step], draft["problems"])
    context["kinds"] = [(kind, cls.label) for kind, cls in f.ROW_FORMS[step].items()]
    context["datasets"] = _datasets(draft)
    return respond(
        request,
        "pipelines_app/wizard_rows.html",
        context,
        fragments=None if whole else "pipelines_app/partials/wizard_rows.html",
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
    issues = foreign_application(request, draft)
    pipeline, issues = build_pipeline(draft) if not issues else (None, issues)
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
        found = check_definition(path, xml, draft_repo_files(draft))
        placed = place_problems(path, xml, found, draft)
    return review_page(
        request,
        key,
        draft,
        template="pipelines_app/wizard_review.html",
        kind="pipeline",
        layer=pipeline.layer if pipeline is not None else "",
        xml=xml,
        path=path,
        issues=issues or placed,
        title=_default_title(draft)["title"],
        step="review",
        steps=_steps_nav("review"),
    )


def _default_title(draft: dict) -> dict:
    basics = draft["basics"]
    verb = "Update" if draft["locked"] else "Add"
    return {"title": f"{verb} pipeline {basics.get('id', '')}".strip()}

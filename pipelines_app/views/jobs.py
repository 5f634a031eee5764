"""The guided job pipeline form: basics, the pipelines the job runs (chosen among the
application's pipelines on main), their order and what happens when one fails, parameters and
notifications; then the canonical XML, its validation, and a change request of kind "job"."""

from __future__ import annotations

import logging
from itertools import pairwise

from django.http import Http404
from django.shortcuts import redirect, render

from config_repo.errors import ConfigRepoError
from config_repo.layout import definition_path
from pipelines_app import forms as f
from pipelines_app import permissions, services
from pipelines_app.drafting.checking import check_definition
from pipelines_app.drafting.drafts import (
    authored_applications,
    foreign_application,
    get_draft,
    metadata_of,
    new_draft,
    review_page,
    with_draft,
)
from pipelines_app.drafting.placing import field_problems, place_problems
from pipelines_app.drafting.rows import (
    apply_row_action,
    build_rows,
    form_issues,
    row_cards,
    row_form,
    rows_from_post,
)
from pipelines_app.errors import ServiceError
from pipelines_app.views.common import page
from pipelines_app.views.wizard import cron_context
from spark_runner.definition import model as m
from spark_runner.definition import render as render_xml
from spark_runner.definition.rules import find_cycle
from webkit.responses import respond

logger = logging.getLogger(__name__)

JOB_SECTIONS = {"pipelines": "pipelines", "parameters": "parameters", "notifications": "parameters"}
PREFIXES = {"pipelines": "p", "parameters": "x"}
CYCLE_MESSAGE = "the dependencies form a cycle"


def application_pipelines(application: str) -> list[str]:
    """Ids of the application's pipelines on main (any layer): what a job may run."""
    if not application:
        return []
    try:
        found = services.config_repository().definitions(
            "main", application=application, kind="pipeline"
        )
    except (ServiceError, ConfigRepoError, ValueError):
        return []
    return sorted({entry.id for entry in found})


def ref_forms(draft: dict, pipelines: list[str]) -> list[f.PipelineRefForm]:
    """A form per pipeline row; "Runs after" offers the rows above it (and keeps any choice
    already made, so a job written in XML opens as it is)."""
    forms, above = [], []
    for index, row in enumerate(draft["pipelines"]):
        chosen = [d for d in row["data"].get("depends_on") or [] if d not in above]
        options = [*above, *chosen]
        form = row_form("pipelines", row, index, "p", pipelines=pipelines, above=options)
        forms.append(form)
        if row["data"].get("id") and row["data"]["id"] not in above:
            above.append(row["data"]["id"])
    return forms


def cycle_in_words(cycle: list[str]) -> str:
    steps = [f"{a} runs after {b}" for a, b in pairwise(cycle)]
    said = steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " and " + steps[-1]
    return (
        f"{said[:1].upper()}{said[1:]}: these pipelines wait for each other, so none of them "
        "could ever start. Remove one of these “Runs after” choices."
    )


def build_job(draft: dict, pipelines: list[str]):
    """(JobPipeline, []) from the form's values, or (None, issues) naming the row to fix."""
    application = draft["basics"].get("application", "")
    basics = f.JobBasicsForm(draft["basics"], applications=[application])
    issues = form_issues(basics, "basics")
    refs, found = build_rows("pipelines", draft["pipelines"], forms=ref_forms(draft, pipelines))
    issues += found
    extras, found = build_rows("parameters", draft["parameters"], "x")
    issues += found
    if not draft["pipelines"]:
        text = "Add at least one pipeline for the job to run."
        issues.append({"step": "pipelines", "index": None, "field": None, "text": text})
    cycle = find_cycle({ref.id: ref.depends_on for ref in refs}) if not issues else None
    if cycle:
        index = next(i for i, ref in enumerate(refs) if ref.id == cycle[0])
        text = cycle_in_words(cycle)
        issues.append({"step": "pipelines", "index": index, "field": "depends_on", "text": text})
    if issues:
        return None, issues
    data = basics.cleaned_data
    parameters, notifications = f.split_extras(extras)
    job = m.JobPipeline(
        id=data["id"],
        version=data["version"],
        metadata=metadata_of(data),
        parameters=parameters,
        pipelines=tuple(refs),
        notifications=notifications,
    )
    return job, []


@page
def job_start(request):
    """A new, empty job draft."""
    applications = permissions.applications_for(request.user, "author")
    if not applications:
        return render(request, "pipelines_app/wizard_not_author.html")
    basics = {"application": applications[0], "layer": "staging", "version": "1.0"}
    key = new_draft(request, mode="job", pipelines=[], basics=basics)
    return redirect("pipelines:job", key)


def _job_draft(request, key: str) -> dict:
    draft = get_draft(request, key)
    if draft.get("mode") != "job":
        raise Http404("This draft is not a job.")
    draft.setdefault("pipelines", [])
    return draft


@page
@with_draft("pipelines:job_new", load=_job_draft)
def job_form(request, key: str, draft: dict):
    show_errors = False
    if request.method == "POST":
        action = request.POST.get("action", "review")
        _read_post(request, draft)
        request.session.modified = True
        section, _, row_action = action.partition("/")
        if section in PREFIXES and apply_row_action(draft[section], section, row_action):
            draft["problems"] = {}  # rows moved: old findings no longer point right
        elif action == "review":
            if _job_complete(request, draft):
                return redirect("pipelines:job_review", key)
            show_errors = True
    return _render_job(request, key, draft, show_errors)


def _read_post(request, draft: dict) -> None:
    posted = {n: request.POST[n] for n in f.JobBasicsForm.base_fields if n in request.POST}
    if draft["locked"]:
        for name in ("application", "layer", "id"):
            posted[name] = draft["basics"].get(name, "")
    draft["basics"] = posted
    for section, prefix in PREFIXES.items():
        draft[section] = rows_from_post(request.POST, section, prefix)


def _basics(request, draft: dict) -> f.JobBasicsForm:
    return f.JobBasicsForm(
        draft["basics"],
        initial=draft["basics"],  # what a locked (disabled) field shows
        applications=authored_applications(request, draft),
        locked=draft["locked"],
    )


def _job_complete(request, draft: dict) -> bool:
    pipelines = application_pipelines(draft["basics"].get("application", ""))
    forms = [_basics(request, draft), *ref_forms(draft, pipelines)]
    forms += [row_form("parameters", r, i, "x") for i, r in enumerate(draft["parameters"])]
    return all(form.is_valid() for form in forms) and bool(draft["pipelines"])


def _render_job(request, key: str, draft: dict, show_errors: bool):
    application = draft["basics"].get("application") or ""
    allowed = application in authored_applications(request, draft)
    pipelines = application_pipelines(application) if allowed else []
    problems = draft["problems"]
    ref_problems = problems.get("pipelines", [])
    if show_errors and not draft["pipelines"]:
        ref_problems = ["Add at least one pipeline for the job to run."]
    context = {
        "key": key,
        "draft": draft,
        "editing": draft["locked"],
        "form": _basics(request, draft),
        "fp": field_problems(problems, "basics"),
        "cron": cron_context(draft["basics"].get("schedule", "")),
        "refs": row_cards(
            "pipelines",
            draft["pipelines"],
            problems,
            "p",
            forms=ref_forms(draft, pipelines),
        ),
        "ref_problems": ref_problems,
        "extras": row_cards("parameters", draft["parameters"], problems, "x"),
        "kinds": [(k, c.label) for k, c in f.ROW_FORMS["parameters"].items()],
        "pipelines": pipelines,
        "application": application if allowed else "",
        "show_errors": show_errors,
        "problems": problems.get("basics", []),
    }
    return respond(
        request,
        "pipelines_app/job_form.html",
        context,
        fragments="pipelines_app/partials/job_body.html",
    )


@page
@with_draft("pipelines:job_new", load=_job_draft)
def job_review(request, key: str, draft: dict):
    """The job's canonical XML and its validation; submitting opens a change request."""
    application = draft["basics"].get("application", "")
    issues = foreign_application(request, draft)
    job, issues = (
        build_job(draft, application_pipelines(application)) if not issues else (None, issues)
    )
    xml, placed, path = b"", [], ""
    if job is not None:
        xml = render_xml(job)
        path = definition_path(application, draft["basics"]["layer"], "job", job.id)
        problems = [p for p in check_definition(path, xml) if CYCLE_MESSAGE not in p.message]
        rows = {"pipelines": draft["pipelines"], "parameters": draft["parameters"]}
        placed = place_problems(path, xml, problems, rows, JOB_SECTIONS)
    verb = "Update" if draft["locked"] else "Add"
    return review_page(
        request,
        key,
        draft,
        template="pipelines_app/job_review.html",
        kind="job",
        layer=draft["basics"].get("layer", ""),
        xml=xml,
        path=path,
        issues=issues or placed,
        title=f"{verb} job {draft['basics'].get('id', '')}".strip(),
    )

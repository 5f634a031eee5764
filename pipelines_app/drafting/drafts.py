"""Drafts in the session, and proposing a finished draft as a change request."""

from __future__ import annotations

import functools
import secrets

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from pipelines_app import forms as f
from pipelines_app import permissions, services
from pipelines_app.audit import client_of
from pipelines_app.draft_files import draft_repo_files
from pipelines_app.drafting.placing import problems_by_place
from pipelines_app.drafting.rows import build_rows, form_issues, raw_rows
from pipelines_app.views.common import highlighted_xml
from spark_runner.definition import model as m
from spark_runner.definition import render as render_xml

ROW_STEPS = ("sources", "transformations", "targets", "parameters")
MAX_DRAFTS = 10


def session_drafts(request) -> dict:
    return request.session.setdefault("pipeline_drafts", {})


def new_draft(request, **values) -> str:
    drafts = session_drafts(request)
    while len(drafts) >= MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    key = secrets.token_urlsafe(6)
    drafts[key] = {
        "basics": {"version": "1.0"},
        "sources": [],
        "transformations": [],
        "targets": [],
        "parameters": [],
        "submit": {},
        "problems": {},
        "locked": False,
        "change_request": None,
        "xml": "",
        "application": "",
        "layer": "",
    } | values
    request.session.modified = True
    return key


def get_draft(request, key: str) -> dict:
    draft = session_drafts(request).get(key)
    if draft is None:
        raise Http404("This draft is no longer in your session.")
    draft.setdefault("parameters", [])  # drafts begun before the step existed
    return draft


def lost_draft(request, url: str):
    """Where a person lands when their draft is gone (signed out, or more than ten drafts)."""
    messages.info(request, "That draft is no longer in your session: start again here.")
    return redirect(url)


def with_draft(lost: str, query: str = "", *, load=get_draft):
    """Hands the view (``request, key``) the session's draft ``key`` as ``draft``, loaded by
    ``load``; a person whose draft is gone lands on the page named ``lost`` (plus ``query``)."""

    def decorate(view):
        @functools.wraps(view)
        def with_the_draft(request, key: str, *args, **kwargs):
            try:
                draft = load(request, key)
            except Http404:
                return lost_draft(request, reverse(lost) + query)
            return view(request, key, *args, draft=draft, **kwargs)

        return with_the_draft

    return decorate


def open_draft(request, data: bytes, definition, *, xml_mode: bool = False, **common):
    """A draft on an existing file, opened in the editor that fits it: the wizard for a
    pipeline, the job form for a job, the XML editor for anything unreadable or when asked."""
    if definition is None or xml_mode:
        key = new_draft(request, mode="xml", xml=data.decode("utf-8", "replace"), **common)
        return redirect(reverse("pipelines:wizard_xml", args=[key]))
    if definition.kind == "job":
        key = new_draft(request, **draft_from_job(definition, **common))
        return redirect(reverse("pipelines:job", args=[key]))
    key = new_draft(request, **draft_from_definition(definition, **common))
    return redirect(reverse("pipelines:wizard_step", args=[key, "basics"]))


def drop_draft(request, key: str) -> None:
    session_drafts(request).pop(key, None)
    request.session.modified = True


def basics_of(definition, application: str, layer: str) -> dict:
    """The Basics values a person would have typed to get ``definition``."""
    meta = definition.metadata
    return {
        "application": application,
        "layer": layer,
        "id": definition.id,
        "version": definition.version,
        "owner": meta.owner or "",
        "sla": meta.sla or "",
        "schedule": meta.schedule or "",
        "description": meta.description or "",
    }


def metadata_of(basics: dict) -> m.Metadata:
    """The ``<metadata>`` of a valid Basics form's cleaned data."""
    return m.Metadata(
        owner=basics["owner"],
        sla=basics["sla"] or None,
        schedule=basics["schedule"] or None,
        description=basics["description"] or None,
    )


def draft_from_definition(definition, **values) -> dict:
    """The wizard's raw values for an existing definition; ``values`` name its application."""
    application = values["application"]
    xml = render_xml(definition).decode()
    basics = basics_of(definition, application, definition.layer)
    rows = {
        section: raw_rows(section, section_objects(definition, section)) for section in ROW_STEPS
    }
    return {
        "basics": basics,
        "locked": True,
        "xml": xml,
        "application": application,
        "layer": definition.layer,
        **rows,
        **values,
    }


def draft_from_job(job: m.JobPipeline, **values) -> dict:
    """The job form's raw values for a job on main or on a change's branch."""
    basics = basics_of(job, values["application"], values["layer"])
    return {
        "mode": "job",
        "basics": basics,
        "pipelines": raw_rows("pipelines", job.pipelines),
        "parameters": raw_rows("parameters", f.extras_of(job)),
        "locked": True,
        **values,
    }


def section_objects(definition, section: str) -> list:
    if section == "parameters":  # one step edits both <parameters> and <notifications>
        return f.extras_of(definition)
    return list(getattr(definition, section))


def authored_applications(request, draft: dict) -> list[str]:
    """The applications a draft may name: the user's as author, and a locked draft's own."""
    applications = permissions.applications_for(request.user, "author")
    chosen = draft["basics"].get("application")
    if draft["locked"] and chosen and chosen not in applications:
        applications = [*applications, chosen]
    return applications


def foreign_application(request, draft: dict) -> list[dict]:
    """An issue when the draft names an application the user may not write to; then nothing of
    that application (its pipelines, schemas, files) is looked at or shown."""
    application = draft["basics"].get("application") or ""
    if application in authored_applications(request, draft):
        return []
    text = f"You are not an author of “{application}”: choose one of your applications."
    return [{"step": "basics", "index": None, "field": "application", "text": text}]


def basics_form(request, draft: dict, data=None) -> f.BasicsForm:
    return f.BasicsForm(
        data if data is not None else draft["basics"],
        initial=draft["basics"],
        applications=authored_applications(request, draft),
        locked=draft["locked"],
    )


def build_pipeline(draft: dict):
    """(Pipeline, []) from the wizard's values, or (None, issues) naming the step to fix."""
    basics = f.BasicsForm(draft["basics"], applications=[draft["basics"].get("application", "")])
    issues = form_issues(basics, "basics")
    built: dict[str, list] = {}
    for section in ROW_STEPS:
        built[section], found = build_rows(section, draft[section])
        issues += found
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
    parameters, notifications = f.split_extras(built["parameters"])
    pipeline = m.Pipeline(
        id=data["id"],
        version=data["version"],
        layer=data["layer"],
        metadata=metadata_of(data),
        parameters=parameters,
        sources=tuple(built["sources"]),
        transformations=tuple(built["transformations"]),
        targets=tuple(built["targets"]),
        notifications=notifications,
    )
    return pipeline, []


def propose(request, key: str, draft: dict, submitted: dict, *, application, layer, kind, xml):
    """Create (or update) the change request from a valid SubmitForm's ``submitted`` values;
    the change request's page, or None with an error message when refused."""
    draft["submit"] = submitted
    title, description = submitted["title"], submitted["description"]
    extra_files = draft_repo_files(draft) if kind == "pipeline" else {}
    try:
        if draft["change_request"]:
            change = services.change_request_update(
                change_request=draft["change_request"],
                author=request.user,
                xml=xml,
                title=title,
                description=description,
                extra_files=extra_files,
                client=client_of(request),
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
                extra_files=extra_files,
                client=client_of(request),
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


def review_page(
    request, key: str, draft: dict, *, template, kind, layer, xml, path, issues, title, **extra
):
    """A draft's Review: the XML, its issues (kept for the form to show on the right fields) and
    the Submit form; a valid submit proposes the change."""
    draft["problems"] = problems_by_place(issues)
    request.session.modified = True
    form = f.SubmitForm(request.POST or None, initial=draft["submit"] or {"title": title})
    can_submit = bool(xml) and not issues
    if request.method == "POST" and can_submit and form.is_valid():
        application = draft["basics"]["application"]
        response = propose(
            request,
            key,
            draft,
            form.cleaned_data,
            application=application,
            layer=layer,
            kind=kind,
            xml=xml,
        )
        if response is not None:
            return response
    context = {
        "key": key,
        "draft": draft,
        "issues": issues,
        "xml": highlighted_xml(xml) if xml else "",
        "path": path,
        "form": form,
        "can_submit": can_submit,
        "editing": draft["locked"],
        **extra,
    }
    return render(request, template, context)

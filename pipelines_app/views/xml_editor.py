"""The expert's way: the XML itself, validated on demand, then proposed."""

from __future__ import annotations

from django.shortcuts import render

from config_repo.layout import definition_path
from pipelines_app import forms as f
from pipelines_app import permissions
from pipelines_app.drafting.checking import check_definition, parse_any
from pipelines_app.drafting.drafts import propose, with_draft
from pipelines_app.views.common import page, problem_text
from spark_runner.definition import Problem
from spark_runner.definition import model as m
from spark_runner.definition.outline import editor_schema
from webkit.responses import respond

PIPELINE_STARTER = """<pipeline id="my_pipeline" version="1.0" layer="staging">
  <metadata>
    <owner>my-team</owner>
    <sla>PT2H</sla>
    <schedule>0 2 * * *</schedule>
  </metadata>
  <sources>
    <csv id="orders" path="landing/orders/*.csv" header="true"/>
  </sources>
  <transformations>
    <deduplicate source="orders" keys="order_id"/>
  </transformations>
  <targets>
    <hive table="staging.orders" mode="overwrite"/>
  </targets>
</pipeline>
"""

JOB_STARTER = """<jobPipeline id="my_job" version="1.0">
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

STARTERS = {"pipeline": PIPELINE_STARTER, "job": JOB_STARTER}


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


def _located(problem: Problem, path: str) -> dict:
    """A problem for the page: its text, and where the editor underlines it: in this file only
    (``path`` is empty when the text did not parse; then every problem is in it)."""
    here = problem.line > 0 and (not path or problem.file == path)
    return {
        "text": problem_text(problem),
        "line": problem.line if here else None,
        "column": max(problem.column, 1),
    }


@page
@with_draft("pipelines:wizard", "?mode=xml")
def wizard_xml(request, key: str, draft: dict):
    """The expert's way: the XML itself, validated on demand, then proposed."""
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
    problems, checked, path = [], False, ""
    if request.method == "POST" and form.is_valid():
        draft["xml"] = form.cleaned_data["xml"]
        draft["application"] = form.cleaned_data["application"]
        draft["layer"] = form.cleaned_data["layer"]
        request.session.modified = True
        definition, application, layer, path, problems = xml_problems(draft, form)
        checked = True
        if request.POST.get("action") == "submit" and not problems and submit.is_valid():
            xml = form.cleaned_data["xml"].encode()
            response = propose(
                request,
                key,
                draft,
                submit.cleaned_data,
                application=application,
                layer=layer,
                kind=definition.kind,
                xml=xml,
            )
            if response is not None:
                return response
    too_large = form.is_bound and form.too_large
    context = {
        "key": key,
        "form": form,
        "submit": submit,
        "checked": checked or too_large,
        "submitted": request.POST.get("action") == "submit",
        "problems": (
            [{"text": e} for e in form.errors["xml"]]
            if too_large
            else [_located(p, path) for p in problems]
        ),
        "editing": draft["locked"],
        "draft": draft,
        "editor_schema": editor_schema(),
    }
    return respond(
        request,
        "pipelines_app/wizard_xml.html",
        context,
        fragments="pipelines_app/partials/xml_problems.html",
        status=413 if too_large else 200,
    )

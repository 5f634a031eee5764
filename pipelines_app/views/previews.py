"""Previews in the wizard (a step of the draft, or a database source's sample) and the dry runs
on the change page: started here, run in the preview queue, polled with htmx until done."""

from __future__ import annotations

import copy

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from pipelines_app import selectors
from pipelines_app.draft_files import draft_repo_files
from pipelines_app.drafting.drafts import build_pipeline, get_draft
from pipelines_app.drafting.rows import rows_from_post
from pipelines_app.errors import ServiceError
from pipelines_app.models import StepPreview
from pipelines_app.services import dry_runs, step_previews
from pipelines_app.views.common import page
from spark_runner.definition import render as render_xml

PARTIAL = "pipelines_app/partials/step_preview.html"
# The language needs a target; a step preview stops before the targets and never writes one.
_UNUSED_TARGET = {
    "kind": "csv",
    "data": {"path": "_preview", "mode": "overwrite", "compression": "none", "delimiter": ","},
}


def _as_on_page(request, draft: dict) -> dict:
    """The draft as it stands on the page (rows not yet saved included)."""
    draft = copy.deepcopy(draft)
    section = request.POST.get("section", "transformations")
    if section in ("sources", "transformations") and any(k.endswith("-kind") for k in request.POST):
        draft[section] = rows_from_post(request.POST, section)
    if not draft["targets"]:
        draft["targets"] = [_UNUSED_TARGET]
    return draft


@page
@require_POST
def step_preview_start(request, key: str):
    draft = _as_on_page(request, get_draft(request, key))
    target = request.POST.get("target", "step-preview")
    context = {"target": target}
    pipeline, issues = build_pipeline(draft)
    if pipeline is None:
        context["problems"] = [i["text"] for i in issues[:5]]
        return render(request, PARTIAL, context)
    step, source = request.POST.get("step", ""), _source_id(pipeline, request.POST)
    try:
        preview = step_previews.step_preview_request(
            user=request.user,
            application=draft["basics"].get("application", ""),
            pipeline=pipeline,
            xml=render_xml(pipeline).decode(),
            step=int(step) if step.isdigit() else None,
            source=source,
            files=draft_repo_files(draft),
        )
    except ServiceError as exc:
        context["problems"] = [str(exc)]
        return render(request, PARTIAL, context)
    context["preview"] = preview
    return render(request, PARTIAL, context)


def _source_id(pipeline, post) -> str:
    """The source a "Sample rows" button names by its row (the id may be edited on the page)."""
    row = post.get("source_row", "")
    if row.isdigit() and int(row) < len(pipeline.sources):
        return pipeline.sources[int(row)].id
    return post.get("source", "")


@page
def step_preview_show(request, preview_id):
    preview = StepPreview.objects.filter(id=preview_id, user=request.user).first()
    if preview is None:
        raise Http404("No such preview")
    preview = step_previews.step_preview_settle(preview)
    context = {
        "preview": preview,
        "target": request.GET.get("target", "step-preview"),
        "awaits_worker": step_previews.step_preview_awaits_worker(preview),
    }
    return render(request, PARTIAL, context)


def dry_run_context(change) -> dict:
    found = dry_runs.dry_runs_at_head(change)
    return {
        "dry_runs": [
            {"run": d, "targets": dry_runs.schema_difference(d), "result": d.result or {}}
            for d in found
        ],
        "dry_runs_pending": any(d.status in ("pending", "running") for d in found),
    }


@page
def change_dry_runs(request, number: int):
    try:
        change = selectors.change_request_get(request.user, number)
    except ServiceError:
        raise Http404("No such change request") from None
    context = {"change": change, **dry_run_context(change)}
    return render(request, "pipelines_app/partials/dry_runs.html", context)

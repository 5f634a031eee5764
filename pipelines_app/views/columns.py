"""The column picker of one field, redrawn as the author types (htmx): the step's rows as the
page has them now, not as last saved, so a step sees the columns its earlier rows produce."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.decorators.http import require_http_methods

from pipelines_app import permissions
from pipelines_app.column_picker import FIELDS, DraftColumns, problem_count
from pipelines_app.draft_files import draft_repo_files
from pipelines_app.drafting.checking import main_files
from pipelines_app.drafting.drafts import with_draft
from pipelines_app.drafting.rows import rows_from_post
from pipelines_app.views.common import page
from webkit.responses import respond

STEPS = ("transformations", "targets")


@require_http_methods(["GET", "POST"])
@page
@with_draft("pipelines:wizard")
def column_picker(request, key: str, draft: dict):
    application = draft["basics"].get("application") or ""
    if not application or not permissions.has_role(request.user, application, "author"):
        raise PermissionDenied("Only authors of the pipeline's application may see its columns.")
    data = request.POST if request.method == "POST" else request.GET  # POST: the page's rows
    step, name, row = data.get("step"), data.get("field", ""), data.get("row")
    if step not in STEPS or not (row or "").isdigit():
        raise Http404("No such field")
    current = dict(draft)
    if "r0-kind" in data:
        current[step] = rows_from_post(data, step)
    index = int(row)
    rows = current[step]
    if index >= len(rows) or name not in FIELDS.get(rows[index]["kind"], {}):
        raise Http404("No such field")
    columns = DraftColumns(current, main_files(), draft_repo_files(draft))
    context = {
        "picker": columns.picker(step, index, name),
        "input_id": f"id_r{index}-{name}",
        # the step bar's mark follows (htmx out-of-band swap)
        "s": {"name": step},
        "count": problem_count(current, step, columns),
        "oob": True,
    }
    return respond(request, "pipelines_app/partials/column_picker.html", context)

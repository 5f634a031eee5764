"""Step previews of the wizard: a draft run so far on sample data in the preview queue.

The author's draft is sent as XML; whether the mask step's original values come back is decided
here, for the person asking (``data_access.may_see_originals``), before anything runs."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from pipelines_app import data_access, messages
from pipelines_app.errors import BadInput
from pipelines_app.file_changes import Overlay
from pipelines_app.models import Role, StepPreview
from pipelines_app.services.authoring import checked_extras
from pipelines_app.services.repository import config_repository
from pipelines_app.services.shared import application_get, require

log = logging.getLogger(__name__)

TASK = "pipelines_app.tasks.step_preview"
KEEP = timedelta(hours=1)
# A pending preview this old has found no worker yet; the page says so instead of spinning on.
WORKER_AWAITED = timedelta(seconds=30)


def step_preview_request(
    *,
    user,
    application,
    pipeline,
    xml: str,
    step: int | None = None,
    source: str = "",
    files: dict[str, bytes] | None = None,
) -> StepPreview:
    """Queues a preview of ``pipeline`` (its XML ``xml``): up to ``step``, or ``source`` alone.
    ``files``: schemas of the draft not yet in the repository, checked as a proposal's are."""
    application = application_get(application)
    require(user, application, Role.AUTHOR)
    if step is None and not source:
        raise BadInput("name a step or a source to preview")
    files = checked_extras(application.name, pipeline.layer, files)
    StepPreview.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    preview = StepPreview.objects.create(
        application=application,
        user=user,
        xml=xml,
        step=step,
        source=source or "",
        reveal=data_access.may_see_originals(user, application.name, pipeline),
        files={path: data.decode() for path, data in files.items()},
    )
    messages.send_on_commit(TASK, [str(preview.pk)])
    return preview


def step_preview_settle(preview: StepPreview) -> StepPreview:
    """A preview whose worker stopped mid-run would stay "running" for ever (its task, acked
    late, is not claimed twice): past twice its budget and a minute it ends as failed."""
    budget = timedelta(seconds=2 * float(getattr(settings, "HUB_PREVIEW_SECONDS", 20)) + 60)
    if preview.status != "running" or not preview.started_at:
        return preview
    if preview.started_at > timezone.now() - budget:
        return preview
    message = "its worker stopped before it finished; preview the step again"
    StepPreview.objects.filter(id=preview.id, status="running").update(
        status="failed",
        result={"status": "failed", "error": {"where": "preview", "message": message}},
        finished_at=timezone.now(),
    )
    preview.refresh_from_db()
    return preview


def step_preview_awaits_worker(preview: StepPreview) -> bool:
    return preview.status == "pending" and preview.created_at < timezone.now() - WORKER_AWAITED


def step_preview_execute(preview_id: str) -> StepPreview | None:
    from pipelines_app import preview_worker
    from spark_runner.definition import DefinitionInvalid, parse

    claimed = StepPreview.objects.filter(id=preview_id, status="pending").update(
        status="running", started_at=timezone.now()
    )
    if not claimed:
        return None
    preview = StepPreview.objects.select_related("application").get(id=preview_id)
    application = preview.application.name
    try:
        pipeline = parse(preview.xml.encode(), f"applications/{application}/preview.xml")
        repo = config_repository()
        result = preview_worker.preview(
            pipeline,
            application=application,
            files=_with_draft_files(repo.files(repo.head("main")), preview.files),
            step=preview.step,
            source=preview.source or None,
            reveal=preview.reveal,
        )
    except DefinitionInvalid as exc:
        problems = "; ".join(map(str, exc.problems[:3]))
        result = {"status": "failed", "error": {"where": "definition", "message": problems}}
    except Exception as exc:  # a preview always ends with a readable result
        log.exception("preview %s failed outside the engine", preview_id)
        result = {"status": "failed", "error": {"where": "preview", "message": str(exc)[:500]}}
    status = {"ok": "passed", "cut_short": "cut_short"}.get(result.get("status"), "failed")
    StepPreview.objects.filter(id=preview_id, status="running").update(
        status=status, result=result, finished_at=timezone.now()
    )
    return StepPreview.objects.get(id=preview_id)


def _with_draft_files(main_files, draft_files: dict[str, str]):
    if not draft_files:
        return main_files
    return Overlay(main_files, {path: text.encode() for path, text in draft_files.items()})

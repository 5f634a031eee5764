"""Dry runs: every pipeline a change request changes, run on sample data at the change's head
commit (the preview machinery, in the preview queue), and the same pipeline at ``main`` beside
it, so the reviewer sees what the change does to the data before approving. A failing dry run
is a governance finding (``governance.change_request_findings``)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from config_repo.layout import parse_definition_path
from pipelines_app import governance, messages
from pipelines_app.models import ChangeRequest, DryRun, PreviewStatus
from pipelines_app.services.repository import config_repository

log = logging.getLogger(__name__)

TASK = "pipelines_app.tasks.dry_run"
FINISHED = (PreviewStatus.PASSED, PreviewStatus.FAILED, PreviewStatus.CUT_SHORT)


def changed_pipelines(repo, change_request) -> list[str]:
    """Paths of the pipeline definitions of the change's application that the change adds or
    edits at its head."""
    base, head = change_request.base_commit, change_request.head_commit
    if not base or not head:
        return []
    paths = []
    for change in governance.change_diff(repo, base, head):
        where = parse_definition_path(change.path)
        if (
            change.status != "deleted"
            and where is not None
            and where.kind == "pipeline"
            and where.application == change_request.application.name
        ):
            paths.append(change.path)
    return sorted(paths)


def dry_runs_schedule(change_request: ChangeRequest) -> list[DryRun]:
    """A dry run of each changed pipeline at the change's head (once per head and path)."""
    if not getattr(settings, "HUB_DRY_RUNS", True):
        return []
    repo = config_repository()
    made = []
    for path in changed_pipelines(repo, change_request):
        where = parse_definition_path(path)
        dry_run, created = DryRun.objects.get_or_create(
            change_request=change_request,
            head_commit=change_request.head_commit,
            path=path,
            defaults={"pipeline_id": where.id},
        )
        if created:
            messages.send_on_commit(TASK, [dry_run.pk])
        made.append(dry_run)
    return made


def dry_run_execute(dry_run_id: int) -> DryRun | None:
    """pending -> running -> passed | failed | cut_short. None when it was not ours to run."""
    claimed = DryRun.objects.filter(id=dry_run_id, status=PreviewStatus.PENDING).update(
        status=PreviewStatus.RUNNING
    )
    if not claimed:
        return None
    dry_run = DryRun.objects.select_related("change_request__application").get(id=dry_run_id)
    application = dry_run.change_request.application.name
    repo = config_repository()
    main = repo.head("main")
    main_result = main_side_stored(main, dry_run.path)
    try:
        if main_result is not None:
            result = _preview_at(repo, dry_run.head_commit, dry_run.path, application)
        else:
            # main's preview runs beside the head's: small jobs leave the session's cores idle
            # between them, so the two overlap (the dry run takes about as long as the slower).
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dry-run-main") as pool:
                on_main = pool.submit(_preview_in_thread, repo, main, dry_run.path, application)
                result = _preview_at(repo, dry_run.head_commit, dry_run.path, application)
                main_result = on_main.result()
    except Exception as exc:  # a dry run always ends with a readable result
        log.exception("dry run %s failed outside the engine", dry_run_id)
        result = {"status": "failed", "error": {"where": "dry run", "message": str(exc)[:500]}}
        main_result = {}
    status = {
        "ok": PreviewStatus.PASSED,
        "cut_short": PreviewStatus.CUT_SHORT,
    }.get(result.get("status"), PreviewStatus.FAILED)
    with transaction.atomic():  # the result and the change's finding counts appear together
        DryRun.objects.filter(id=dry_run_id, status=PreviewStatus.RUNNING).update(
            status=status,
            result=result,
            main_result=main_result or {},
            main_commit=main,
            finished_at=timezone.now(),
        )
        _store_counts(dry_run.change_request_id, dry_run.head_commit)
    return DryRun.objects.get(id=dry_run_id)


def main_side_stored(main: str, path: str) -> dict | None:
    """The main side of ``path`` that an earlier dry run (of any change, at any head) previewed
    at the same ``main`` commit: the same definition, so it is not run again. Only a preview
    that ran to its end is reused (a failed or cut-short one may have been the moment's); it
    stays the sample as read then, until main moves."""
    return (
        DryRun.objects.filter(main_commit=main, path=path, main_result__status="ok")
        .order_by("-finished_at")
        .values_list("main_result", flat=True)
        .first()
    )


def _preview_in_thread(repo, commit: str, path: str, application: str) -> dict:
    try:
        return _preview_at(repo, commit, path, application)
    finally:
        connections.close_all()  # this thread's own database connections


def _preview_at(repo, commit: str, path: str, application: str) -> dict:
    from pipelines_app import preview_worker
    from spark_runner.definition import DefinitionInvalid, parse

    data = repo.read(path, commit)
    if data is None:
        return {}
    try:
        pipeline = parse(data, path)
    except DefinitionInvalid as exc:
        problems = "; ".join(map(str, exc.problems[:3]))
        return {"status": "failed", "error": {"where": "definition", "message": problems}}
    return preview_worker.preview(pipeline, application=application, files=repo.files(commit))


def _store_counts(change_request_id: int, head: str) -> None:
    """The change's stored governance counts include the dry run's finding (still at that head)."""
    change_request = ChangeRequest.objects.filter(id=change_request_id, head_commit=head).first()
    if change_request is None:
        return
    counts = governance.stored_counts(config_repository(), change_request)
    ChangeRequest.objects.filter(id=change_request_id, head_commit=head).update(**counts)


def dry_runs_at_head(change_request) -> list[DryRun]:
    return list(
        DryRun.objects.filter(
            change_request=change_request, head_commit=change_request.head_commit
        ).order_by("path")
    )


# ---------------------------------------------------------------- the difference from main


def schema_difference(dry_run: DryRun) -> list[dict]:
    """Per target of the change's pipeline: columns added, removed and retyped against the same
    target on ``main``, and the rows of each on the sample. A target not on main is new."""
    before = {(t["kind"], t["name"]): t for t in (dry_run.main_result or {}).get("targets", [])}
    found = []
    for target in (dry_run.result or {}).get("targets", []):
        old = before.get((target["kind"], target["name"]))
        new_types = dict(map(tuple, target["columns"]))
        entry = {
            "kind": target["kind"],
            "name": target["name"],
            "columns": target["columns"],
            "rows": target["rows"],
            "rows_out": target.get("rows_out"),
            "new": old is None,
            "added": [],
            "removed": [],
            "retyped": [],
            "main_rows_out": None,
        }
        if old is not None:
            old_types = dict(map(tuple, old["columns"]))
            entry["added"] = [c for c in new_types if c not in old_types]
            entry["removed"] = [c for c in old_types if c not in new_types]
            entry["retyped"] = [
                {"column": c, "was": old_types[c], "now": new_types[c]}
                for c in new_types
                if c in old_types and old_types[c] != new_types[c]
            ]
            entry["main_rows_out"] = old.get("rows_out")
        found.append(entry)
    return found

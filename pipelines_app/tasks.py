"""Celery tasks of previews and dry runs (the preview queue): thin, each loads by id and calls
one service."""

from __future__ import annotations

from celery import shared_task
from django.db import close_old_connections

from pipelines_app.services import dry_runs, step_previews


@shared_task(name="pipelines_app.tasks.step_preview", acks_late=True, ignore_result=True)
def step_preview(preview_id: str) -> None:
    close_old_connections()
    step_previews.step_preview_execute(preview_id)


@shared_task(name="pipelines_app.tasks.dry_run", acks_late=True, ignore_result=True)
def dry_run(dry_run_id: int) -> None:
    close_old_connections()
    dry_runs.dry_run_execute(dry_run_id)

"""Running a preview in a preview worker: the worker's warm SparkSession, a ``RunContext`` as a
run of the application would have (its data policy, its scoped secrets, the config files at a
commit), and ``spark_runner.engine.preview``. Nothing here writes."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings

from pipelines_app.data_policy import run_policy
from pipelines_app.engine_settings import engine_settings


def session():
    from spark_runner.engine import get_session
    from spark_runner.engine.warmup import wait_warm

    wait_warm()  # a warm-up under way (worker start, a JVM that died) finishes first
    return get_session(engine_settings())


def limits(**overrides):
    from spark_runner.engine.preview import PreviewLimits

    values = {
        "rows_per_source": int(getattr(settings, "HUB_PREVIEW_ROWS", 1000)),
        "seconds": float(getattr(settings, "HUB_PREVIEW_SECONDS", 20)),
    }
    return PreviewLimits(**(values | overrides))


def preview(
    pipeline,
    *,
    application: str,
    files,
    step: int | None = None,
    source: str | None = None,
    reveal: bool = False,
) -> dict:
    """The preview of ``pipeline`` of ``application`` as a dict (``PreviewResult.to_dict``)."""
    from spark_runner.engine import RunContext
    from spark_runner.engine.preview import preview_pipeline
    from spark_runner.engine.secrets import SecretResolver

    ctx = RunContext(
        spark=session(),
        application=application,
        layer=pipeline.layer,
        run_id=f"preview-{uuid.uuid4().hex[:12]}",
        run_date=date.today(),
        files=files,
        data_root=str(settings.HUB_DATA_ROOT),
        secrets=SecretResolver(getattr(settings, "HUB_SECRETS_FILE", "") or None),
        policy=run_policy(application),
    )
    result = preview_pipeline(
        pipeline, ctx, step=step, source=source, limits=limits(), reveal=reveal
    )
    return result.to_dict()

"""The Spark engine's settings, built from the portal's (spark_runner reads no Django settings).
Shared by the run worker (``runs_app.runner``) and the preview worker
(``pipelines_app.preview_worker``), so both warm and keep the same session."""

from __future__ import annotations

from django.conf import settings


def engine_settings(**overrides):
    """The engine's settings, from the portal's (spark_runner reads no Django settings)."""
    from spark_runner.engine import EngineSettings

    values = {
        "master": settings.SPARK_MASTER,
        "data_root": str(settings.HUB_DATA_ROOT),
        "warehouse_dir": str(settings.HUB_SPARK_WAREHOUSE),
        "metastore_url": settings.HUB_METASTORE_URL or "",
        "secrets_file": settings.HUB_SECRETS_FILE or "",
        "app_name": settings.HUB_SPARK_APP_NAME,
        "derby_dir": str(settings.HUB_METASTORE_DERBY_DIR),
        "shuffle_partitions": settings.HUB_SPARK_SHUFFLE_PARTITIONS or None,
        "spark_ui": settings.HUB_SPARK_UI,
        "java_options": settings.HUB_SPARK_JAVA_OPTIONS,
        "metastore_pool_size": settings.HUB_METASTORE_POOL_SIZE,
        "staging_max_age_seconds": settings.HUB_STAGING_MAX_AGE_SECONDS,
        "warmup_runs": settings.HUB_SPARK_WARMUP_RUNS,
    }
    return EngineSettings(**(values | overrides))

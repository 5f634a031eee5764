"""Engine settings as plain values (no Django here): the portal builds them from its settings
(``pipelines_app.engine_settings``); ``from_env`` serves the engine run without the portal."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class EngineSettings:
    master: str = "local[*]"
    data_root: str = str(_ROOT / "data")
    warehouse_dir: str = str(_ROOT / "var" / "spark-warehouse")
    # "": embedded Derby under var/ (one process only); jdbc:postgresql://...: shared metastore
    metastore_url: str = ""
    secrets_file: str = ""
    app_name: str = "datahub-engine"
    # Where embedded Derby keeps its files (only used without metastore_url).
    derby_dir: str = str(_ROOT / "var" / "metastore")
    shuffle_partitions: int | None = None
    # The Spark UI of the session (off: a worker needs no web server).
    spark_ui: bool = False
    # More options of the driver's JVM (heap, GC, JIT), after the engine's own.
    java_options: str = ""
    # PostgreSQL metastore: the connections of each of DataNucleus' two pools. The session's
    # catalog makes one metastore call at a time, so a few suffice; HikariCP's default (10 per
    # pool, kept open) made each driver hold 20 of PostgreSQL's max_connections.
    metastore_pool_size: int = 3
    # Staging nobody touched for this long is taken as left by a dead run and removed.
    staging_max_age_seconds: float = 3600.0
    # Runs of the warm-up pipeline when a worker starts its session (0: the session alone). The
    # first pays the cold JVM; the next two let the JIT compile what every run uses.
    warmup_runs: int = 3
    extra_conf: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> EngineSettings:
        env = os.environ if env is None else env
        var_dir = Path(env.get("HUB_VAR_DIR") or (_ROOT / "var"))
        values = {
            "master": env.get("SPARK_MASTER") or "local[*]",
            "data_root": env.get("HUB_DATA_ROOT") or str(_ROOT / "data"),
            "warehouse_dir": env.get("HUB_SPARK_WAREHOUSE") or str(var_dir / "spark-warehouse"),
            "metastore_url": env.get("HUB_METASTORE_URL") or "",
            "secrets_file": env.get("HUB_SECRETS_FILE") or "",
            "app_name": env.get("HUB_SPARK_APP_NAME") or "datahub-engine",
            "derby_dir": str(var_dir / "metastore"),
            "spark_ui": _truthy(env.get("HUB_SPARK_UI")),
            "java_options": env.get("HUB_SPARK_JAVA_OPTIONS") or "",
        }
        if env.get("HUB_METASTORE_POOL_SIZE"):
            values["metastore_pool_size"] = int(env["HUB_METASTORE_POOL_SIZE"])
        if env.get("HUB_SPARK_WARMUP_RUNS"):
            values["warmup_runs"] = int(env["HUB_SPARK_WARMUP_RUNS"])
        if env.get("HUB_STAGING_MAX_AGE_SECONDS"):
            values["staging_max_age_seconds"] = float(env["HUB_STAGING_MAX_AGE_SECONDS"])
        if env.get("HUB_SPARK_SHUFFLE_PARTITIONS"):
            values["shuffle_partitions"] = int(env["HUB_SPARK_SHUFFLE_PARTITIONS"])
        values.update(overrides)
        return cls(**values)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")

"""Building runs in tests: a config folder, a pipeline from XML text, a RunContext."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

from spark_runner.definition import DirectoryFileSource, parse
from spark_runner.engine import RunContext, run_pipeline
from spark_runner.engine.secrets import SecretResolver

PG = "postgresql://postgres@127.0.0.1:5432"
# One scratch database per test database, so suites run side by side do not drop each other's.
_SUFFIX = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].split("?")[0]
SCRATCH = "hub_engine_test" + (f"_{_SUFFIX}" if _SUFFIX.isidentifier() else "")
JDBC = f"jdbc:postgresql://127.0.0.1:5432/{SCRATCH}"


class Workspace:
    """A config repository folder and a data root under ``tmp``, for application ``app``."""

    def __init__(self, spark, tmp: Path, app: str = "shop", layer: str = "staging", env=None):
        self.spark = spark
        self.tmp = Path(tmp)
        self.app = app
        self.layer = layer
        self.config = self.tmp / "config"
        self.data = self.tmp / "data"
        self.app_root = self.data / "applications" / app
        self.app_root.mkdir(parents=True, exist_ok=True)
        self.config.mkdir(parents=True, exist_ok=True)
        self.env = env if env is not None else {}

    def file(self, relative: str, text: str | bytes) -> Path:
        """A data file under the application's data root."""
        path = self.app_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, str):
            path.write_text(text, encoding="utf-8")
        else:
            path.write_bytes(text)
        return path

    def config_file(self, relative: str, text: str) -> None:
        path = self.config / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def pipeline(self, body: str, pid: str = "p", params: str = ""):
        xml = (
            f'<pipeline id="{pid}" version="1.0" layer="{self.layer}">'
            f"<metadata><owner>team</owner></metadata>{params}{body}</pipeline>"
        )
        path = f"applications/{self.app}/{self.layer}/pipelines/{pid}.xml"
        self.config_file(path, xml)
        return parse(xml.encode(), path)

    def context(self, run_id: str | None = None, run_date="2024-03-05", params=None, policy=None):
        return RunContext(
            spark=self.spark,
            application=self.app,
            layer=self.layer,
            run_id=run_id or uuid.uuid4().hex[:12],
            run_date=date.fromisoformat(run_date),
            params=params or {},
            files=DirectoryFileSource(self.config),
            data_root=str(self.data),
            secrets=SecretResolver(None, environ=self.env),
            policy=policy,
        )

    def run(self, pipeline, **kw):
        return run_pipeline(pipeline, self.context(**kw))


def read_csv_dir(spark, path, header=True):
    return spark.read.option("header", str(header).lower()).csv(str(path))


def rows(df, *columns):
    cols = list(columns) or df.columns
    return sorted(tuple(r[c] for c in cols) for r in df.collect())

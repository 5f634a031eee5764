"""What one run needs besides its definition: session, names, parameters, config files, secrets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from spark_runner.definition.model import Pipeline
from spark_runner.definition.policy import DataPolicy

_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


@dataclass
class RunContext:
    spark: Any  # pyspark.sql.SparkSession, reused between runs
    application: str
    layer: str
    run_id: str
    run_date: date
    params: Mapping[str, str] = field(default_factory=dict)
    files: Any = None  # spark_runner.definition.FileSource: the config repository at a commit
    data_root: str = "data"
    secrets: Any = None  # spark_runner.engine.secrets.SecretResolver
    cancel_group: str | None = None  # Spark job group; default: the run id
    # Names what the run adds to append targets; a repeat with the same key replaces (CSV,
    # Hive) or skips (database) what that key added, never adds it twice. Default: the run id.
    # runs_app passes the first attempt's id to its retries.
    output_key: str | None = None
    # The application's data policy (spark_runner/definition/policy.py): what the run may read,
    # write, connect to and name. The portal always passes one; None (engine tests, benchmarks,
    # embedding the engine alone) leaves the run unconfined.
    policy: DataPolicy | None = None
    # How many targets are staged at once (spark_runner/engine/parallel.py); 1: one by one.
    parallel_targets: int = 4

    def __post_init__(self):
        if isinstance(self.run_date, str):
            self.run_date = date.fromisoformat(self.run_date)
        if self.secrets is None:
            from spark_runner.engine.secrets import SecretResolver

            self.secrets = SecretResolver(None)
        if self.policy is not None:
            from spark_runner.engine.secrets import ScopedSecrets

            if self.policy.application != self.application:
                raise ValueError(
                    f"the policy of {self.policy.application} given to a run of {self.application}"
                )
            self.secrets = ScopedSecrets(self.secrets, self.policy)

    @property
    def job_group(self) -> str:
        return self.cancel_group or self.run_id

    @property
    def key(self) -> str:
        return self.output_key or self.run_id

    @property
    def app_root(self) -> str:
        return _join(self.data_root, "applications", self.application)

    def resolve_path(self, path: str) -> str:
        """Relative data paths resolve under ``$HUB_DATA_ROOT/applications/<app>/``; absolute
        paths and URIs are used as they are."""
        if _URI.match(path) or path.startswith("/"):
            return path
        return _join(self.app_root, path)

    def parameters(self, pipeline: Pipeline) -> dict[str, str]:
        """Declared defaults, then the run's values, then the built-ins."""
        values = {p.name: p.default for p in pipeline.parameters if p.default is not None}
        values.update({k: str(v) for k, v in self.params.items()})
        values.update(
            {
                "runDate": self.run_date.isoformat(),
                "runId": self.run_id,
                "application": self.application,
                "pipelineId": pipeline.id,
            }
        )
        return values

    def vault_path(self) -> str:
        return _join(self.app_root, "_vault")

    def rejects_path(self, pipeline_id: str, source_id: str) -> str:
        return _join(self.app_root, self.layer, "_rejects", pipeline_id, source_id, self.run_id)


def _join(*parts: str) -> str:
    head, *rest = [str(p) for p in parts]
    return "/".join([head.rstrip("/")] + [p.strip("/") for p in rest if p])

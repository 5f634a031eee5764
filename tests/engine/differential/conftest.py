"""Differential tests: the shared SparkSession (tests/engine/conftest.py), a scratch folder per
example, and a step context whose lookups a test fills."""

import shutil
import tempfile
from pathlib import Path

import pytest

from spark_runner.engine.registry import StepContext
from spark_runner.engine.secrets import SecretResolver
from tests.engine.differential.tables import Tables


@pytest.fixture
def tables(spark):
    """A factory: ``with tables() as t`` gives a fresh folder and DuckDB per Hypothesis example."""

    class _Scope:
        def __enter__(self):
            self.root = Path(tempfile.mkdtemp(prefix="hub-diff-"))
            self.tables = Tables(spark, self.root)
            return self.tables

        def __exit__(self, *exc):
            self.tables.db.close()
            shutil.rmtree(self.root, ignore_errors=True)

    return _Scope


def step_context(lookups=None) -> StepContext:
    lookups = lookups or {}
    return StepContext(
        secrets=SecretResolver(None, environ={}),
        load_lookup=lambda reference: lookups[reference],
        run_id="diff",
    )

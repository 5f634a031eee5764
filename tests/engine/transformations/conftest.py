"""A step context for transformation tests: secrets from a fake environment, lookups from a dict."""

import pytest

from spark_runner.engine.masking.vault import TokenVault
from spark_runner.engine.registry import StepContext
from spark_runner.engine.secrets import SecretResolver

MASK_SECRET = "correct horse battery staple 0123456789"
OTHER_SECRET = "a different secret, also long enough"


@pytest.fixture
def lookups():
    """Reference DataFrames by name; a test fills it before applying a lookup."""
    return {}


@pytest.fixture
def ctx(lookups, tmp_path):
    environ = {"HUB_SECRET_MASK_KEY": MASK_SECRET, "HUB_SECRET_OTHER_KEY": OTHER_SECRET}
    return StepContext(
        secrets=SecretResolver(None, environ=environ),
        load_lookup=lambda reference: lookups[reference],
        vault=TokenVault(str(tmp_path / "vault")),
        run_id="run-1",
    )

"""A step context whose vault lives in the test's own folder."""

import pytest

from spark_runner.engine.masking.vault import TokenVault
from spark_runner.engine.registry import StepContext
from spark_runner.engine.secrets import SecretResolver

MASK_SECRET = "correct horse battery staple 0123456789"
OTHER_SECRET = "a different secret, also long enough"


@pytest.fixture
def vault_path(tmp_path):
    return str(tmp_path / "vault")


@pytest.fixture
def ctx(vault_path):
    environ = {"HUB_SECRET_MASK_KEY": MASK_SECRET, "HUB_SECRET_OTHER_KEY": OTHER_SECRET}
    return StepContext(
        secrets=SecretResolver(None, environ=environ),
        load_lookup=lambda reference: None,
        vault=TokenVault(vault_path),
        run_id="run-1",
    )

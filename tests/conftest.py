"""Shared fixtures. Each area has its own conftest (engine: Spark; browser: chromium)."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_hub_paths(settings, tmp_path):
    """Every test gets its own config repository and data root; nothing leaks between tests."""
    settings.HUB_CONFIG_REPO = tmp_path / "config-repo"
    settings.HUB_DATA_ROOT = tmp_path / "data"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Real hashing is slow on purpose; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

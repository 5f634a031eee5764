"""Shared fixtures. Each area has its own conftest (engine: Spark; browser: chromium)."""

import os

import pytest

# The Celery workers the tests start (they inherit this environment) warm their session with
# one run of the warm-up pipeline, not three: the later runs only feed the JIT, which no test
# measures, and a worker start costs 30-50 s of a loaded CI machine. tests/engine/test_warmup.py
# covers the default.
os.environ.setdefault("HUB_SPARK_WARMUP_RUNS", "1")
# ... and their JVMs, which live a minute or two, skip the optimising compiler (C2): a session
# and its first run take about 3 s less on an idle machine, more on a loaded one.
os.environ.setdefault("HUB_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1")


@pytest.fixture(autouse=True)
def _isolated_hub_paths(settings, tmp_path):
    """Every test gets its own config repository and data root; nothing leaks between tests."""
    settings.HUB_CONFIG_REPO = tmp_path / "config-repo"
    settings.HUB_DATA_ROOT = tmp_path / "data"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Dry runs need a preview worker; the tests of dry runs turn them on and start one.
    settings.HUB_DRY_RUNS = False
    # Real hashing is slow on purpose; tests sign in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Hypothesis (tests/engine/differential): a fixed seed and few examples by default, as in CI;
# `pytest --hypothesis-profile=deep` locally for many more. Registered here so that the option
# finds the profiles whichever folder pytest is pointed at.
def _hypothesis_profiles():
    from hypothesis import HealthCheck, settings

    quiet = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
    settings.register_profile(
        "ci", derandomize=True, max_examples=8, deadline=None, suppress_health_check=quiet
    )
    settings.register_profile("deep", max_examples=200, deadline=None, suppress_health_check=quiet)
    settings.load_profile("ci")


_hypothesis_profiles()

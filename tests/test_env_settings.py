"""Settings read from the environment are strict: a typo is an error that names the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_choice, env_float, env_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("YES", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("off", False),
        ("", True),
        (" ", True),
    ],
)
def test_a_boolean_reads_the_usual_words_and_empty_means_the_default(monkeypatch, value, expected):
    monkeypatch.setenv("HUB_SOME_FLAG", value)

    assert env_bool("HUB_SOME_FLAG", True) is expected


def test_a_misspelt_boolean_is_an_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "ture")

    with pytest.raises(ImproperlyConfigured, match=r"DEBUG='ture' is not a boolean"):
        env_bool("DEBUG", False)


def test_a_number_that_is_not_one_is_an_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("HUB_API_TOKEN_DAYS", "90d")

    with pytest.raises(ImproperlyConfigured, match=r"HUB_API_TOKEN_DAYS='90d' is not a whole"):
        env_int("HUB_API_TOKEN_DAYS", 90)


def test_an_unset_number_is_the_default(monkeypatch):
    monkeypatch.delenv("HUB_API_TOKEN_DAYS", raising=False)

    assert env_int("HUB_API_TOKEN_DAYS", 90) == 90


def test_a_decimal_reads_fractions_and_a_typo_is_an_error(monkeypatch):
    monkeypatch.setenv("HUB_HEARTBEAT_SECONDS", "2.5")
    assert env_float("HUB_HEARTBEAT_SECONDS", 10.0) == 2.5

    monkeypatch.setenv("HUB_HEARTBEAT_SECONDS", "10s")
    with pytest.raises(ImproperlyConfigured, match=r"HUB_HEARTBEAT_SECONDS='10s' is not a number"):
        env_float("HUB_HEARTBEAT_SECONDS", 10.0)


def test_a_choice_outside_the_list_is_an_error_naming_the_choices(monkeypatch):
    monkeypatch.setenv("HUB_MISSED_SLOTS", "All")
    assert env_choice("HUB_MISSED_SLOTS", "latest", ("latest", "all", "none")) == "all"

    monkeypatch.setenv("HUB_MISSED_SLOTS", "lastest")
    with pytest.raises(ImproperlyConfigured, match=r"is not one of latest, all, none"):
        env_choice("HUB_MISSED_SLOTS", "latest", ("latest", "all", "none"))


def test_the_beat_schedule_is_in_the_settings_with_periods_from_them():
    from django.conf import settings

    beat = settings.CELERY_BEAT_SCHEDULE
    assert beat["runs-schedule-tick"]["schedule"] == settings.HUB_SCHEDULE_TICK_SECONDS
    assert beat["runs-reap-lost-runs"]["schedule"] == settings.HUB_HEARTBEAT_SECONDS * 0.25
    assert beat["runs-sla-check"]["options"]["expires"] == settings.HUB_SLA_CHECK_SECONDS * 10

import json

import pytest

from spark_runner.engine.secrets import (
    SecretMissing,
    SecretResolver,
    SecretsFileInvalid,
    env_var_name,
    redact,
)


@pytest.fixture
def secrets_file(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"crm.db-password": "from-file", "only.file": "file-value"}))
    return path


def test_environment_variable_names_are_upper_case_with_dots_and_dashes_as_underscores():
    assert env_var_name("crm.db-password") == "HUB_SECRET_CRM_DB_PASSWORD"


def test_the_environment_wins_over_the_file(secrets_file):
    resolver = SecretResolver(secrets_file, environ={"HUB_SECRET_CRM_DB_PASSWORD": "from-env"})
    assert resolver.get("crm.db-password") == "from-env"
    assert resolver.get("only.file") == "file-value"
    assert resolver.get_bytes("only.file") == b"file-value"


def test_a_missing_secret_says_where_it_looked_and_no_value(secrets_file):
    resolver = SecretResolver(secrets_file, environ={})
    with pytest.raises(SecretMissing) as error:
        resolver.get("mask.key")
    assert str(error.value) == (
        f'secret "mask.key" not found: looked in environment variable HUB_SECRET_MASK_KEY '
        f"and secrets file {secrets_file}"
    )
    assert error.value.name == "mask.key"
    assert "from-file" not in str(error.value)


def test_a_missing_secrets_file_is_named(tmp_path):
    resolver = SecretResolver(tmp_path / "nope.json", environ={})
    with pytest.raises(SecretMissing, match=r"nope\.json is missing"):
        resolver.get("x")


def test_an_invalid_name_is_refused():
    with pytest.raises(SecretMissing, match="a secret name is letters"):
        SecretResolver(None, environ={}).get("../etc/passwd")


def test_an_invalid_secrets_file_is_reported_without_its_content(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text('{"a": "s3cr3t-value" "b": 1}')
    with pytest.raises(SecretsFileInvalid) as error:
        SecretResolver(path, environ={}).get("a")
    assert "not valid JSON (line 1" in str(error.value)
    assert "s3cr3t-value" not in str(error.value)


def test_values_in_the_file_must_be_strings(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"n": 1, "ok": "x"}))
    with pytest.raises(SecretsFileInvalid, match=r"values must be strings \(see n\)"):
        SecretResolver(path, environ={}).get("ok")


def test_redact_removes_every_known_value_and_the_password_of_a_credential():
    text = "login alice:pa55word failed; password pa55word; token abcdef123; unrelated"
    assert redact(text, ["alice:pa55word", "abcdef123", ""]) == (
        "login *** failed; password ***; token ***; unrelated"
    )


def test_the_resolver_remembers_the_values_it_handed_out(secrets_file):
    resolver = SecretResolver(secrets_file, environ={})
    resolver.get("only.file")
    assert resolver.resolved_values() == ("file-value",)
    assert redact("boom: file-value", resolver.resolved_values()) == "boom: ***"

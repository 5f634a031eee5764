"""Run-time secrets: named in definitions (``secretRef``, ``userSecretRef``), never written there.

A name resolves from the environment variable ``HUB_SECRET_<NAME>`` (upper case, ``.`` and ``-``
as ``_``) first, then from the JSON secrets file (``{"name": "value"}``, ``$HUB_SECRETS_FILE``).
Errors name the secret and where it was looked for, never a value.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

SECRET_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class SecretMissing(LookupError):
    """A secret that neither the environment nor the secrets file holds."""

    def __init__(self, name: str, looked_in: str = ""):
        self.name = name
        self.looked_in = looked_in
        where = f": looked in {looked_in}" if looked_in else ""
        super().__init__(f'secret "{name}" not found{where}')


class SecretsFileInvalid(ValueError):
    """The secrets file exists but is not a JSON object of string values."""


def env_var_name(name: str) -> str:
    """``crm.db-password`` -> ``HUB_SECRET_CRM_DB_PASSWORD``."""
    return "HUB_SECRET_" + re.sub(r"[.-]", "_", name).upper()


class SecretResolver:
    def __init__(self, secrets_file: Path | str | None, environ: Mapping[str, str] = os.environ):
        self.secrets_file = Path(secrets_file) if secrets_file else None
        self._environ = environ
        self._file_values: dict[str, str] | None = None
        self._handed_out: set[str] = set()

    def get(self, name: str) -> str:
        if not SECRET_NAME.fullmatch(name or ""):
            raise SecretMissing(name, "nowhere: a secret name is letters, digits, '_', '.', '-'")
        variable = env_var_name(name)
        value = self._environ.get(variable)
        if value is None:
            value = self._from_file().get(name)
        if value is None or value == "":
            raise SecretMissing(name, self._where(variable))
        self._handed_out.add(value)
        return value

    def get_bytes(self, name: str) -> bytes:
        return self.get(name).encode("utf-8")

    def resolved_values(self) -> tuple[str, ...]:
        """The values handed out so far: what ``redact`` must remove from error messages."""
        return tuple(self._handed_out)

    def _where(self, variable: str) -> str:
        if self.secrets_file is None:
            return f"environment variable {variable}; no secrets file is set (HUB_SECRETS_FILE)"
        if not self.secrets_file.is_file():
            return f"environment variable {variable}; secrets file {self.secrets_file} is missing"
        return f"environment variable {variable} and secrets file {self.secrets_file}"

    def _from_file(self) -> dict[str, str]:
        if self._file_values is None:
            self._file_values = _read_secrets_file(self.secrets_file)
        return self._file_values


class ScopedSecrets:
    """A resolver that hands out only the secrets the running application may name (its own
    ``<app>.<name>`` secrets and its connections' credentials): the rule holds even for a
    definition that never went through validation."""

    def __init__(self, inner: SecretResolver, policy):
        self._inner = inner
        self._policy = policy

    def get(self, name: str) -> str:
        if not self._policy.may_resolve_secret(name or ""):
            from spark_runner.definition.policy import PolicyViolation

            raise PolicyViolation(self._policy.secret_problem(name or ""))
        return self._inner.get(name)

    def get_bytes(self, name: str) -> bytes:
        return self.get(name).encode("utf-8")

    def resolved_values(self) -> tuple[str, ...]:
        return self._inner.resolved_values()


def _read_secrets_file(path: Path | None) -> dict[str, str]:
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = type(exc).__name__
        raise SecretsFileInvalid(f"secrets file {path} cannot be read: {reason}") from None
    except json.JSONDecodeError as exc:
        # The decoder's message holds a position, never the text around it.
        raise SecretsFileInvalid(
            f"secrets file {path} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise SecretsFileInvalid(f'secrets file {path} must hold a JSON object {{"name": "value"}}')
    bad = sorted(k for k, v in data.items() if not isinstance(v, str))
    if bad:
        names = ", ".join(bad)
        raise SecretsFileInvalid(f"secrets file {path}: values must be strings (see {names})")
    return data


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replaces every known secret value in ``text`` with ``***``.

    For a JDBC credential ``user:password`` the password alone is removed as well, since drivers
    quote it without the user name.
    """
    values: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        values.add(secret)
        _, colon, password = secret.partition(":")
        if colon and password:
            values.add(password)
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, "***")
    return text

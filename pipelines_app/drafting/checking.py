"""Checking a definition as it would stand on main, and placing its problems in the wizard."""

from __future__ import annotations

import logging

from pipelines_app import services
from spark_runner.definition import DefinitionInvalid, Problem, parse, validate

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------- checking a definition


class _WithFile:
    """The files on main, with one file replaced by the one being written."""

    def __init__(self, base, path: str, data: bytes):
        self.base, self.path, self.data = base, path, data

    def read(self, path: str) -> bytes | None:
        return self.data if path == self.path else self.base.read(path)

    def list(self, prefix: str) -> list[str]:
        found = set(self.base.list(prefix))
        if self.path.startswith(prefix.rstrip("/") + "/") or not prefix.strip("/"):
            found.add(self.path)
        return sorted(found)


class _NoFiles:
    def read(self, path):
        return None

    def list(self, prefix):
        return []


def main_files():
    try:
        return services.config_repository().files("main")
    except Exception:  # an empty or missing repository: validate against nothing
        return _NoFiles()


def check_definition(path: str, data: bytes, extra: dict | None = None) -> list[Problem]:
    """Every problem of the definition at ``path``, as it would stand on main (with the
    ``extra`` files its change request also writes, e.g. schemas made from samples)."""
    from pipelines_app.data_policy import policies
    from pipelines_app.file_changes import Overlay

    try:
        files = Overlay(main_files(), extra) if extra else main_files()
        report = validate(_WithFile(files, path, data), [path], policies())
    except DefinitionInvalid as invalid:
        return list(invalid.problems)
    except Exception:  # a validator bug must not cost the author their page
        logger.exception("validation failed on %s", path)
        return [
            Problem(
                path,
                1,
                1,
                "The portal could not validate this definition; nothing "
                "was saved. Try again, or tell the platform team.",
            )
        ]
    return list(report.problems)


def parse_any(data: bytes, name: str = "definition.xml"):
    """(definition, problems): the parsed definition, or None and the located problems."""
    try:
        return parse(data, name), []
    except DefinitionInvalid as invalid:
        return None, list(invalid.problems)

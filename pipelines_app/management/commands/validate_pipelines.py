"""``manage.py validate_pipelines [PATH ...]``: check pipeline and job definitions.

Without PATH: every definition on the config repository's ``main``. With PATHs (files or folders,
searched recursively): those files, each resolved in the application and layer its path shows
(``.../applications/<app>/<layer>/...``; the folder above ``applications/`` is the repository root).
A definition of an application the portal knows is checked against its data policy too.
Prints ``path:line:col: error: message`` per problem and a summary. Exit 0 valid, 1 not, 2 misuse.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from spark_runner.definition import DirectoryFileSource, Problem, validate
from spark_runner.definition.files import parse_definition_path

USAGE_EXIT = 2


def split_at_applications(path: Path) -> tuple[Path, str] | None:
    """(repository root, repo-relative path) when ``path`` lies in applications/<app>/<layer>/."""
    parts = path.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "applications" and len(parts) > i + 2:
            return Path(*parts[:i]), "/".join(parts[i:])
    return None


def _policies():
    """Applications' data policies, when the portal's database can be read; without it (a
    checkout with no database yet) definitions are checked without them."""
    from django.db import DatabaseError

    from pipelines_app.data_policy import policies
    from pipelines_app.models import Application

    try:
        Application.objects.exists()
    except DatabaseError:
        return None
    return policies()


def _display(root: Path, relative: str) -> str:
    full = root / relative
    shown = os.path.relpath(full)
    return str(full) if shown.startswith("..") else shown


class Command(BaseCommand):
    help = "Validate pipeline and job definitions; without PATH, those on the config repo's main."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="definition files or folders")

    def handle(self, *args, **options):
        paths = options["paths"]
        try:
            if paths:
                problems, checked = self._validate_paths(paths)
            else:
                problems, checked = self._validate_main()
        except (CommandError, KeyboardInterrupt):
            raise
        except Exception as error:  # a bug of ours: say so in one line, never a traceback
            raise CommandError(
                f"internal error while validating ({type(error).__name__}: {error}); please "
                "report it",
                returncode=USAGE_EXIT,
            ) from None
        for problem in problems:
            self.stdout.write(str(problem))
        files = len({p.file for p in problems})
        noun = "file" if checked == 1 else "files"
        if problems:
            errors = "error" if len(problems) == 1 else "errors"
            in_files = "file" if files == 1 else "files"
            self.stdout.write(
                f"{checked} {noun} checked, {len(problems)} {errors} in {files} {in_files}"
            )
            raise SystemExit(1)
        self.stdout.write(f"{checked} {noun} checked, no errors")

    def _validate_main(self) -> tuple[list[Problem], int]:
        from config_repo import ConfigRepoError, ConfigRepository

        repository = ConfigRepository(settings.HUB_CONFIG_REPO)
        if not repository.exists():
            raise CommandError(
                f"there is no config repository at {settings.HUB_CONFIG_REPO} (HUB_CONFIG_REPO)",
                returncode=USAGE_EXIT,
            )
        try:
            report = validate(repository.files("main"), policies=_policies())
        except ConfigRepoError as error:
            raise CommandError(
                f"cannot read the config repository: {error}", returncode=2
            ) from None
        finally:
            repository.close()
        return report.problems, report.files_checked

    def _validate_paths(self, paths: list[str]) -> tuple[list[Problem], int]:
        by_root: dict[Path, set[str]] = {}
        for given in paths:
            path = Path(given)
            if not path.exists():
                raise CommandError(f"{given}: no such file or folder", returncode=USAGE_EXIT)
            found = self._definitions_at(path.resolve())
            if found is None:
                raise CommandError(
                    f"{given}: not inside an applications/<app>/<layer>/ folder of a config "
                    "repository, and no such folder below it",
                    returncode=USAGE_EXIT,
                )
            for root, relative in found:
                by_root.setdefault(root, set()).add(relative)
        problems: list[Problem] = []
        checked = 0
        for root, relatives in sorted(by_root.items()):
            report = validate(DirectoryFileSource(root), sorted(relatives), _policies())
            checked += report.files_checked
            problems += [
                Problem(_display(root, p.file), p.line, p.column, p.message)
                for p in report.problems
            ]
        return problems, checked

    def _definitions_at(self, path: Path) -> list[tuple[Path, str]] | None:
        if path.is_file():
            split = split_at_applications(path)
            return [split] if split else None
        inside = split_at_applications(path / "_") is not None
        found = []
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                split = split_at_applications(Path(dirpath) / name)
                if split and name.endswith(".xml") and parse_definition_path(split[1]):
                    found.append(split)
        return found if found or inside else None

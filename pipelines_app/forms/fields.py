"""Small pieces every form uses: name rules, comma lists, choices, dataset inputs."""

from __future__ import annotations

import re

from django import forms

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
NAME_HELP = "Letters, digits, '_', '-' and '.', starting with a letter or digit."
LIST_HELP = "Comma-separated column names."


def validate_name(value: str) -> None:
    if not NAME_RE.match(value) or ".." in value:
        raise forms.ValidationError(f"“{value}” is not a valid name. {NAME_HELP}")


def validate_definition_id(value: str) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,127}", value):
        raise forms.ValidationError(
            f"“{value}” cannot be a pipeline id: use letters, digits, '_' or '-', "
            "starting with a letter (it is also the file name)."
        )


def split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def choices(*values: str, blank: str | None = None) -> list[tuple[str, str]]:
    options = [(v, v) for v in values]
    return [("", blank), *options] if blank is not None else options


def dataset_input(placeholder: str = "dataset id") -> forms.TextInput:
    return forms.TextInput(attrs={"list": "datasets", "placeholder": placeholder})


ISOLATION_LEVELS = choices(
    "READ_COMMITTED", "READ_UNCOMMITTED", "REPEATABLE_READ", "SERIALIZABLE", blank="default"
)

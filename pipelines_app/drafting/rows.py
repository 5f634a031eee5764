"""Rows of a page (a source, a step, a target, a parameter, a pipeline of a job): from the POST,
to the template, to model objects. Each row is kept as the raw values a person typed."""

from __future__ import annotations

from django import forms

from pipelines_app import forms as f

MAX_ROWS = 100
ROW_HEADINGS = {"parameter": "Parameters", "email": "Notifications", "webhook": "Notifications"}


def raw_rows(section: str, objects) -> list[dict]:
    """The rows a person would have typed to get ``objects``: used to edit a definition."""
    return [
        {"kind": form.kind, "data": form.raw_from_model(obj)}
        for obj in objects
        for form in [f.row_form_for(section, obj)]
    ]


def row_form(section: str, row: dict, index: int, prefix: str = "r", **extra) -> f.RowForm:
    cls = f.ROW_FORMS[section][row["kind"]]
    name = f"{prefix}{index}"
    return cls(data={f"{name}-{k}": v for k, v in row["data"].items()}, prefix=name, **extra)


def rows_from_post(post, section: str, prefix: str = "r") -> list[dict]:
    rows = []
    for index in range(MAX_ROWS):
        name = f"{prefix}{index}"
        kind = post.get(f"{name}-kind")
        if kind is None:
            break
        cls = f.ROW_FORMS[section].get(kind)
        if cls is None:
            continue
        data = {
            k: post.getlist(key) if isinstance(field, forms.MultipleChoiceField) else post.get(key)
            for k, field in cls.base_fields.items()
            for key in [f"{name}-{k}"]
            if key in post or isinstance(field, forms.MultipleChoiceField)
        }
        rows.append({"kind": kind, "data": data})
    return rows


def apply_row_action(rows: list[dict], section: str, action: str) -> bool:
    """Add, remove or move a row as ``action`` says (``add:csv``, ``remove:2``, ``up:1``);
    True when the rows changed place (then the page is shown again, not left)."""
    kind, _, arg = action.partition(":")
    if kind == "add" and arg in f.ROW_FORMS[section] and len(rows) < MAX_ROWS:
        rows.append({"kind": arg, "data": f.ROW_FORMS[section][arg].initial_raw()})
    elif kind in ("remove", "up", "down") and arg.isdigit() and int(arg) < len(rows):
        index = int(arg)
        if kind == "remove":
            rows.pop(index)
        else:
            other = index - 1 if kind == "up" else index + 1
            if 0 <= other < len(rows):
                rows[index], rows[other] = rows[other], rows[index]
    else:
        return False
    if section == "parameters":  # parameters first, as in the XML (a stable sort)
        rows.sort(key=lambda row: row["kind"] != "parameter")
    return True


def row_cards(
    section: str, rows: list[dict], problems: dict, prefix: str = "r", forms=None
) -> list[dict]:
    """What the template shows of each row: its form, its problems (per field when the
    message names the field, else above the row) and, on the mixed step, group headings."""
    cards, heading = [], None
    for i, row in enumerate(rows):
        form = forms[i] if forms is not None else row_form(section, row, i, prefix)
        place = f"{section}:{i}"
        group = ROW_HEADINGS.get(row["kind"]) if section == "parameters" else None
        cards.append(
            {
                "form": form,
                "kind": row["kind"],
                "index": i,
                "name": f"{prefix}{i}",
                "heading": group if group != heading else None,
                "problems": problems.get(place, []),
                "fields": [(field, problems.get(f"{place}:{field.name}", [])) for field in form],
            }
        )
        heading = group
    return cards


def form_issues(form, step: str, index: int | None = None) -> list[dict]:
    """A form's errors as issues: the step, the row, the field and what to fix."""
    lead = "" if index is None else f"{form.label} {index + 1}: "
    issues = []
    for name, errors in form.errors.items():
        label = form.fields[name].label or name if name in form.fields else ""
        what = f"{label}: " if label else ""
        field = name if name in form.fields else None
        issues.append(
            {"step": step, "index": index, "field": field, "text": f"{lead}{what}{errors[0]}"}
        )
    return issues


def build_rows(section: str, rows: list[dict], prefix: str = "r", forms=None):
    """(model objects, issues) of a step's rows, or of the given forms of them."""
    built, issues = [], []
    for index, row in enumerate(rows):
        form = forms[index] if forms is not None else row_form(section, row, index, prefix)
        if form.is_valid():
            built.append(form.to_model())
        else:
            issues += form_issues(form, section, index)
    return built, issues

"""Where a problem of the rendered XML belongs on the page: a step, a row and, when the message
names one of the row's attributes, the field itself (else the row, else the step)."""

from __future__ import annotations

import re

from lxml import etree

from pipelines_app import forms as f
from pipelines_app.views.common import problem_text
from spark_runner.definition import Problem

# XML section element -> the wizard step whose rows it holds
PIPELINE_SECTIONS = {
    "sources": "sources",
    "transformations": "transformations",
    "targets": "targets",
    "parameters": "parameters",
    "notifications": "parameters",
}
BASICS_FIELDS = ("id", "version", "layer", "owner", "sla", "schedule", "description")
QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|'[^']*'")


def xml_name(field: str) -> str:
    """The XML attribute of a form field: ``jdbc_url`` -> ``jdbcUrl``."""
    head, *rest = field.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def field_named(message: str, fields) -> str | None:
    """The form field whose XML name the message mentions first (quoted values ignored):
    ``sort: source dataset "x" ...`` -> source, ``fallback "x": ...`` -> fallback."""
    lead, _, rest = message.partition(": ")
    first = QUOTED.sub(" ", lead).split()
    for name in fields:
        if first and first[0] == xml_name(name):
            return name
    text = QUOTED.sub(" ", rest or message)
    found = []
    for name in fields:
        hit = re.search(rf"(?<![\w.]){re.escape(xml_name(name))}(?![\w])", text)
        if hit:
            found.append((hit.start(), name))
    return min(found)[1] if found else None


def locate_rows(data: bytes, sections=None) -> list[tuple[int, str, int | None]]:
    """(line, step, row index) of each element the page made, in the rendered XML."""
    sections = PIPELINE_SECTIONS if sections is None else sections
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return []
    places = [(root.sourceline or 1, "basics", None)]
    counts: dict[str, int] = {}
    for child in root:
        if not isinstance(child.tag, str):
            continue
        step = sections.get(etree.QName(child).localname)
        if step is None:
            places.append((child.sourceline, "basics", None))
            continue
        places.append((child.sourceline, step, None))
        rows = [c for c in child if isinstance(c.tag, str)]
        start = counts.get(step, 0)
        places.extend((row.sourceline, step, start + i) for i, row in enumerate(rows))
        counts[step] = start + len(rows)
    return sorted(places, key=lambda place: place[0])


def place_problems(
    path: str, data: bytes, problems: list[Problem], rows: dict, sections=None
) -> list[dict]:
    """Issues for ``problems``; ``rows`` is the draft (``{step: [row, ...]}``), read to know
    which fields a row has."""
    places = locate_rows(data, sections)
    placed = []
    for problem in problems:
        step, index, field = None, None, None
        if problem.file == path:
            for line, place_step, place_index in places:
                if line <= problem.line:
                    step, index = place_step, place_index
        if step == "basics":
            field = field_named(problem.message, BASICS_FIELDS)
        elif step is not None and index is not None and index < len(rows.get(step, [])):
            kind = rows[step][index]["kind"]
            form = f.ROW_FORMS[step].get(kind)
            field = field_named(problem.message, form.base_fields) if form else None
            if field is None:
                field = column_field(problem.message, rows[step][index])
        # On a step the field or row shows where; the line:column is for the XML editor.
        text = problem_text(problem) if step is None else problem.message
        placed.append({"step": step, "index": index, "field": field, "text": text})
    return placed


def column_field(message: str, row: dict) -> str | None:
    """The column field of ``row`` that holds the first column the message quotes, e.g.
    ``column "contry_code" is not in dataset "customers"`` -> keys."""
    from pipelines_app.column_picker import FIELDS

    quoted = re.findall(r'"([^"]+)"', message)
    if not quoted:
        return None
    name = quoted[0]
    for field in FIELDS.get(row["kind"], {}):
        value = row["data"].get(field) or ""
        words = re.findall(r"[A-Za-z0-9_$]+", value)
        if name in words:
            return field
    return None


def place_key(issue: dict) -> str:
    """``basics``, ``sources:0`` or ``sources:0:path``: where the page shows the issue."""
    key = issue["step"] if issue["index"] is None else f"{issue['step']}:{issue['index']}"
    return f"{key}:{issue['field']}" if issue.get("field") else key


def problems_by_place(issues: list[dict]) -> dict[str, list[str]]:
    """``{"sources:0": [...], "sources:0:path": [...], "basics:owner": [...]}``."""
    grouped: dict[str, list[str]] = {}
    for issue in issues:
        if issue["step"] is not None:
            grouped.setdefault(place_key(issue), []).append(issue["text"])
    return grouped


def field_problems(problems: dict[str, list[str]], place: str) -> dict[str, list[str]]:
    """``{field: [...]}`` of the problems placed on fields at ``place`` (e.g. ``basics``)."""
    start = f"{place}:"
    return {k[len(start) :]: v for k, v in problems.items() if k.startswith(start)}

"""Where a problem of the rendered XML belongs in the wizard: a step, a row, a field."""

from __future__ import annotations

from lxml import etree

from pipelines_app.views.common import problem_text
from pipelines_app.views.drafts import ROW_STEPS
from spark_runner.definition import Problem


def locate_rows(data: bytes) -> list[tuple[int, str, int | None]]:
    """(line, step, row index) of each element the wizard made, in the rendered XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return []
    places = [(root.sourceline or 1, "basics", None)]
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name in ROW_STEPS:
            places.append((child.sourceline, name, None))
            rows = [c for c in child if isinstance(c.tag, str)]
            places.extend((row.sourceline, name, i) for i, row in enumerate(rows))
        else:
            places.append((child.sourceline, "basics", None))
    return sorted(places, key=lambda place: place[0])


def place_problems(path: str, data: bytes, problems: list[Problem]) -> list[dict]:
    places = locate_rows(data)
    placed = []
    for problem in problems:
        step, index = None, None
        if problem.file == path:
            for line, place_step, place_index in places:
                if line <= problem.line:
                    step, index = place_step, place_index
        placed.append({"step": step, "index": index, "text": problem_text(problem)})
    return placed


def problems_by_place(issues: list[dict]) -> dict[str, list[str]]:
    """``{"sources:0": [...], "basics": [...]}``: what each step shows next to its rows."""
    grouped: dict[str, list[str]] = {}
    for issue in issues:
        if issue["step"] is None:
            continue
        key = issue["step"] if issue["index"] is None else f"{issue['step']}:{issue['index']}"
        grouped.setdefault(key, []).append(issue["text"])
    return grouped

"""XSD validation (schemas compiled once per process) with errors in plain English."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import xmlschema
from lxml import etree

XSD_DIR = Path(__file__).parent / "xsd"
ROOTS = {"pipeline": "pipeline.xsd", "jobPipeline": "job.xsd"}

# A place in the file: (element, attribute name or None) -> (line, column).
Place = Callable[[etree._Element, str | None], tuple[int, int]]

_ID_ATTRIBUTES = {"id", "output", "source", "left", "right", "name", "fallback"}
_SECRET_ATTRIBUTES = {"secretRef", "userSecretRef"}
_ATTR_VALUE = re.compile(r"attribute (\w+)='(.*?)': (.*)", re.DOTALL)
_MISSING_ATTR = re.compile(r"missing required attribute '(\w+)'")
_UNKNOWN_ATTR = re.compile(r"'([^']+)' attribute not allowed for element")
_ENUM = re.compile(r"value must be one of \[(.*)\]")


@cache
def compiled(root_tag: str) -> xmlschema.XMLSchema10:
    """The compiled XSD for a document root; compiled once per process."""
    return xmlschema.XMLSchema10(str(XSD_DIR / ROOTS[root_tag]))


@cache
def _fast(root_tag: str) -> etree.XMLSchema:
    """libxml2's validator of the same XSD: a quick yes for valid documents."""
    return etree.XMLSchema(etree.parse(str(XSD_DIR / ROOTS[root_tag])))


def errors(root: etree._Element, place: Place) -> Iterator[tuple[int, int, str]]:
    # libxml2 answers "valid" ~10x faster; xmlschema's structured errors explain the invalid.
    if _fast(root.tag).validate(root):
        return
    schema = compiled(root.tag)
    for error in schema.iter_errors(root):
        yield _translate(error, place)


def _allowed_attributes(error: xmlschema.XMLSchemaValidationError) -> list[str]:
    validator = error.validator
    names = getattr(validator, "keys", None)
    return sorted(str(n) for n in names()) if callable(names) else []


def _expected_tags(error: xmlschema.XMLSchemaValidationError) -> list[str]:
    expected = getattr(error, "expected", None) or []
    return [str(getattr(e, "name", e)) for e in expected if getattr(e, "name", None)]


def _translate(error: xmlschema.XMLSchemaValidationError, place: Place) -> tuple[int, int, str]:
    elem = error.elem
    tag = elem.tag if elem is not None and isinstance(elem.tag, str) else "document"
    reason = str(error.reason or "")
    where = tag

    if (match := _ATTR_VALUE.match(reason)) is not None:
        name, value, detail = match.groups()
        line, col = place(elem, name)
        return line, col, f'{where}: {name}="{value}": {_value_problem(name, value, detail)}'
    if (match := _MISSING_ATTR.match(reason)) is not None:
        line, col = place(elem, None)
        return line, col, f'{where}: the required attribute "{match.group(1)}" is missing'
    if (match := _UNKNOWN_ATTR.match(reason)) is not None:
        name = match.group(1)
        allowed = _allowed_attributes(error)
        hint = _did_you_mean(name, allowed)
        allowed_text = f"; allowed: {', '.join(allowed)}" if allowed else ""
        line, col = place(elem, name)
        return line, col, f'{where}: unknown attribute "{name}"{allowed_text}{hint}'
    if isinstance(error, xmlschema.XMLSchemaChildrenValidationError):
        return _children_problem(error, elem, tag, place)
    if "simple content" in reason:
        line, col = place(elem, None)
        return line, col, f"{where}: holds only text, not elements"
    if "character data" in reason or "mixed" in reason:
        line, col = place(elem, None)
        return line, col, f"{where}: text is not allowed here, only elements"
    if error.path and error.path.endswith(tag) and isinstance(error.obj, str):
        line, col = place(elem, None)
        return line, col, f"{where}: {_value_problem(tag, error.obj, reason)}"
    line, col = place(elem, None) if elem is not None else (1, 1)
    return line, col, f"{where}: {reason.rstrip('.')}"


def _children_problem(error, elem, tag: str, place: Place) -> tuple[int, int, str]:
    expected = _expected_tags(error)
    index = getattr(error, "index", None)
    children = [c for c in elem if isinstance(c.tag, str)]
    reason = str(error.reason or "")
    if "not complete" in reason:
        line, col = place(elem, None)
        missing = " or ".join(f"<{t}>" for t in expected) or "an element"
        return line, col, f"{tag}: {missing} is missing inside <{tag}>"
    child = children[index] if isinstance(index, int) and 0 <= index < len(children) else None
    if child is None:
        line, col = place(elem, None)
        return line, col, f"{tag}: {reason.rstrip('.')}"
    line, col = place(child, None)
    name = child.tag
    if any(c.tag == name for c in children[:index]) and name in _known_children(error):
        return line, col, f"{tag}: <{name}> may appear only once here"
    present = {c.tag for c in children}
    missing = [t for t in expected if t not in present]
    if name in _known_children(error) and expected and len(missing) == len(expected):
        wanted = " or ".join(f"<{t}>" for t in expected)
        return line, col, f"{tag}: {wanted} is missing (expected before <{name}>)"
    if name in _known_children(error):
        order = _ORDER.get(tag)
        hint = f"; the order is {order}" if order else ""
        return line, col, f"{tag}: <{name}> is out of place{hint}"
    allowed = sorted(_known_children(error))
    hint = _did_you_mean(name, allowed)
    allowed_text = f"; allowed here: {', '.join(allowed)}" if allowed else ""
    if not allowed:
        allowed_text = f"; <{tag}> takes no child elements"
    return line, col, f"{tag}: unknown element <{name}>{allowed_text}{hint}"


_ORDER = {
    "pipeline": "metadata, parameters, sources, transformations, targets, notifications",
    "jobPipeline": "metadata, parameters, pipelines, notifications",
}


def _known_children(error) -> set[str]:
    names: set[str] = set()
    group = getattr(error.validator, "iter_elements", None)
    if callable(group):
        names = {str(e.name) for e in group() if getattr(e, "name", None)}
    return names


def _value_problem(name: str, value: str, detail: str) -> str:
    if (match := _ENUM.search(detail)) is not None:
        options = [o.strip().strip("'\"") for o in match.group(1).split(",")]
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return f"not allowed; use one of: {', '.join(options)}{hint}"
    if name == "version":
        return "a version is major.minor or major.minor.patch, e.g. 1.0 or 2.1.3"
    if name in _SECRET_ATTRIBUTES:
        return "a secret name uses only letters, digits, '.', '_' and '-'"
    if "pattern" in detail and ("\\S" in detail or "[\\s" in detail):
        return "must not be empty"
    if name in _ID_ATTRIBUTES or "A-Za-z0-9_" in detail:
        return (
            "an id starts with a letter and uses only letters, digits, '_' and '-' "
            "(no spaces, dots, slashes or '..')"
        )
    if "positive" in detail:
        return "must be a whole number greater than zero"
    if "negative" in detail or "Integer" in detail or "int" in detail:
        return "must be a whole number (0 or more)"
    if "length" in detail:
        return "must not be empty"
    return detail.rstrip(".")


def _did_you_mean(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""

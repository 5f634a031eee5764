"""Hardened parsing: bytes -> checked XML -> XSD -> model -> the rules that need no other file."""

from __future__ import annotations

import itertools
import re
import time

from lxml import etree

from . import model as m
from . import xsdcheck
from .build import Builder
from .errors import DefinitionInvalid, Problem
from .locate import Locator

MAX_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 5000  # a large real pipeline has a few hundred
MAX_PROBLEMS = 100
MAX_ATTRIBUTES = 64  # per element; the widest element of the language has about a dozen
# Wall-clock seconds one document may take to check; past it the check stops with a problem,
# so no document can hold a web worker for long (the XSD library's errors cost O(attributes)).
TIME_BUDGET_SECONDS = 2.0
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_DOCTYPE = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        recover=False,
    )


def parse(data: bytes, file: str) -> m.Definition:
    """Parse a definition; raises DefinitionInvalid with every problem found, located."""
    definition, problems = parse_with_problems(data, file)
    if problems or definition is None:
        raise DefinitionInvalid(problems)
    return definition


def parse_with_problems(
    data: bytes, file: str, *, budget: float = TIME_BUDGET_SECONDS
) -> tuple[m.Definition | None, list[Problem]]:
    """Like parse, but returns the problems (and the model when the XML could be built).

    ``budget``: seconds the check may take; past it the answer is one problem saying so."""
    from .rules import local_problems

    deadline = time.monotonic() + budget

    def problem(line: int, column: int, message: str) -> list[Problem]:
        return [Problem(file, line, column, message)]

    if len(data) > MAX_BYTES:
        size = len(data) / (1024 * 1024)
        return None, problem(1, 1, f"the file is {size:.1f} MB; a definition may be at most 5 MB")
    if not data.strip():
        return None, problem(
            1, 1, "the file is empty; a definition starts with <pipeline> or <jobPipeline>"
        )
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).decode().lower().replace("_", "-") not in ("utf-8", "utf8"):
        return None, problem(
            1,
            1,
            f'encoding "{declared.group(1).decode()}" is not supported; save the file as UTF-8',
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        offset = error.start
        line = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        return None, problem(
            line, column, f"byte 0x{data[offset]:02x} is not valid UTF-8; save the file as UTF-8"
        )
    locator = Locator(text)
    doctype = _DOCTYPE.search(text)
    if doctype and _before_root(text, doctype.start()):
        line, column = locator.position(doctype.start())
        return None, problem(
            line,
            column,
            "DOCTYPE and ENTITY declarations are not allowed in a definition; remove them",
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (error.lineno or 1, 1)
        message = re.sub(r",\s*line \d+, column \d+$", "", error.msg or "syntax error")
        return None, problem(max(line, 1), max(column, 1), f"malformed XML: {message}")
    if root.getroottree().docinfo.doctype:
        return None, problem(1, 1, "DOCTYPE declarations are not allowed in a definition")
    if isinstance(root.tag, str) and root.tag.startswith("{"):
        line, column = locator.element(0)
        return None, problem(
            line, column, "definitions use no XML namespace; remove the xmlns attribute"
        )
    if root.tag not in xsdcheck.ROOTS:
        line, column = locator.element(0)
        name = root.tag if isinstance(root.tag, str) else "?"
        return None, problem(
            line, column, f"the root element must be <pipeline> or <jobPipeline>, not <{name}>"
        )

    elements = list(itertools.islice(root.iter(etree.Element), MAX_ELEMENTS + 1))
    if len(elements) > MAX_ELEMENTS:
        return None, problem(
            1,
            1,
            f"the definition has more than {MAX_ELEMENTS} elements; split it into several "
            "pipelines",
        )
    index = {el: i for i, el in enumerate(elements)}
    for i, el in enumerate(elements):
        if len(el.attrib) > MAX_ATTRIBUTES:
            line, column = locator.element(i)
            return None, problem(
                line,
                column,
                f"<{el.tag}> has {len(el.attrib)} attributes; an element may have at most "
                f"{MAX_ATTRIBUTES}",
            )

    def place(el, attribute):
        i = index.get(el, 0)
        return locator.attribute(i, attribute) if attribute else locator.element(i)

    def located(el) -> m.Location:
        line, column = locator.element(index.get(el, 0))
        return m.Location(file, line, column)

    def out_of_time() -> list[Problem]:
        return problem(
            1,
            1,
            f"checking this definition took longer than {budget:g} seconds, the limit per "
            "document; make it smaller or split it into several pipelines",
        )

    schema_errors = []
    for error in itertools.islice(xsdcheck.errors(root, place), MAX_PROBLEMS + 1):
        schema_errors.append(Problem(file, *error))
        if time.monotonic() > deadline:
            return None, out_of_time()
    if schema_errors:
        return None, unique_problems(schema_errors)
    builder = Builder(located)
    definition = builder.document(root)
    if time.monotonic() > deadline:
        return None, out_of_time()
    problems = [Problem(e.loc.file, e.loc.line, e.loc.column, e.message) for e in builder.problems]
    problems += local_problems(definition, file)
    return definition, unique_problems(problems)


def _before_root(text: str, offset: int) -> bool:
    first_element = re.search(r"<[A-Za-z_]", text)
    return first_element is None or offset < first_element.start()


def unique_problems(problems: list[Problem]) -> list[Problem]:
    found = sorted(set(problems))
    if len(found) <= MAX_PROBLEMS:
        return found
    last = found[MAX_PROBLEMS - 1]
    more = Problem(last.file, last.line, last.column, "too many problems; fix these and try again")
    return [*found[: MAX_PROBLEMS - 1], more]

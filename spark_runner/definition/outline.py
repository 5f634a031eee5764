"""The languages' XSDs as an editor schema: which elements may appear where, their attributes and
the values an enumerated attribute takes. The shape is @codemirror/lang-xml's `elements` config
(name, top, children, attributes: [{name, values, completion}]).

lang-xml keys elements by name, so an element that the XSD defines twice with different types
(`<csv>` as a source and as a target) is described once, with the union of both."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).parent / "xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"
DOCUMENTS = ("pipeline.xsd", "job.xsd")


def _load(name: str) -> list[etree._Element]:
    """The schema's root and the roots of the files it includes."""
    root = etree.parse(str(XSD_DIR / name)).getroot()
    roots = [root]
    for include in root.iter(f"{XS}include"):
        roots += _load(include.get("schemaLocation"))
    return roots


class _Collector:
    def __init__(self):
        self.complex: dict[str, etree._Element] = {}
        self.simple: dict[str, etree._Element] = {}
        self.elements: dict[str, dict] = {}
        self.seen: set[tuple[str, int]] = set()  # (element, type) pairs: recursive types end

    def use(self, roots: list[etree._Element]) -> None:
        """The named types of one document (its own file and the files it includes)."""
        self.complex = {t.get("name"): t for r in roots for t in r.findall(f"{XS}complexType")}
        self.simple = {t.get("name"): t for r in roots for t in r.findall(f"{XS}simpleType")}

    def values(self, type_name: str | None) -> list[str]:
        simple = self.simple.get(type_name or "")
        if simple is None:
            return []
        return [e.get("value") for e in simple.iter(f"{XS}enumeration")]

    def element(self, node: etree._Element, top: bool = False) -> str:
        name = node.get("name")
        entry = self.elements.setdefault(
            name, {"name": name, "top": False, "children": [], "attributes": []}
        )
        entry["top"] = entry["top"] or top
        ctype = node.find(f"{XS}complexType")
        if ctype is None:
            ctype = self.complex.get(node.get("type") or "")
        if ctype is not None and (name, id(ctype)) not in self.seen:
            self.seen.add((name, id(ctype)))
            self.content(ctype, entry)
        return name

    def content(self, ctype: etree._Element, entry: dict) -> None:
        for extension in ctype.iter(f"{XS}extension"):
            base = self.complex.get(extension.get("base") or "")
            if base is not None:
                self.content(base, entry)
        for attribute in _own(ctype, f"{XS}attribute"):
            self.attribute(attribute, entry)
        for child in _own(ctype, f"{XS}element"):
            name = self.element(child)
            if name not in entry["children"]:
                entry["children"].append(name)

    def attribute(self, node: etree._Element, entry: dict) -> None:
        name = node.get("name")
        known = next((a for a in entry["attributes"] if a["name"] == name), None)
        if known is None:
            known = {"name": name}
            entry["attributes"].append(known)
        values = [v for v in self.values(node.get("type")) if v not in known.get("values", [])]
        if values:
            known["values"] = [*known.get("values", []), *values]
        detail = _detail(node)
        if detail and "completion" not in known:
            known["completion"] = {"detail": detail}


def _own(ctype: etree._Element, tag: str):
    """`tag` descendants of a complex type that belong to it, not to a nested element's type."""
    stack = list(ctype)
    while stack:
        node = stack.pop(0)
        if node.tag == tag:
            yield node
        elif node.tag != f"{XS}element" and node.tag != f"{XS}complexType":
            stack.extend(node)


def _detail(node: etree._Element) -> str:
    if node.get("use") == "required":
        return "required"
    if node.get("default") is not None:
        return f"default {node.get('default')}"
    return ""


@lru_cache(maxsize=1)
def editor_schema() -> dict:
    """{"elements": [...]} for both languages (pipeline and job), element names unique."""
    collector = _Collector()
    for document in DOCUMENTS:
        roots = _load(document)
        collector.use(roots)
        for node in roots[0].findall(f"{XS}element"):
            collector.element(node, top=True)
    return {"elements": list(collector.elements.values())}

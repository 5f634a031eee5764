"""Canonical XML for a definition: same model, same bytes; parse(render(d)) == d.

Attributes come in a fixed order (the model's field order), values equal to their default are
left out, ``schemaRef`` is always written as an attribute, ``<sql>`` goes in CDATA, two-space
indent, UTF-8, a final newline. Comments of the original file are not kept.
"""

from __future__ import annotations

import textwrap
from dataclasses import MISSING, fields, is_dataclass

from . import model as m
from .build import metric_text

_XML_NAMES = {
    "infer_schema": "inferSchema",
    "load_policy": "loadPolicy",
    "schema_ref": "schemaRef",
    "on_invalid_rows": "onInvalidRows",
    "jdbc_url": "jdbcUrl",
    "user_secret_ref": "userSecretRef",
    "fetch_size": "fetchSize",
    "isolation_level": "isolationLevel",
    "order_by": "orderBy",
    "output_fields": "outputFields",
    "join_type": "joinType",
    "secret_ref": "secretRef",
    "group_by": "groupBy",
    "time_column": "timeColumn",
    "partition_by": "partitionBy",
    "write_batch_size": "writeBatchSize",
    "depends_on": "dependsOn",
    "on_failure": "onFailure",
    "max_retries": "maxRetries",
}
# Fields never written as attributes (child elements, or derived from others).
_NOT_ATTRIBUTES = {"loc", "terms", "metrics_text", "sql"}


def xml_name(field_name: str) -> str:
    return _XML_NAMES.get(field_name, field_name)


def attribute_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        if value and isinstance(value[0], m.Metric):
            return ",".join(metric_text(v) for v in value)
        return ",".join(str(v) for v in value)
    return str(value)


def _escape(text: str, quote: bool = True) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote:
        text = text.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
        text = text.replace("\r", "&#13;")
    return text


def attributes(obj: object, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(XML name, text) of the attributes to write: empty values and defaults left out."""
    pairs = []
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if f.name in _NOT_ATTRIBUTES or f.name in skip or _is_children(value):
            continue
        if value is None or value == () or (f.default is not MISSING and value == f.default):
            continue
        text = "\\t" if f.name == "delimiter" and value == "\t" else attribute_value(value)
        pairs.append((xml_name(f.name), text))
    return pairs


def _is_children(value: object) -> bool:
    """Document parts (metadata, sources, steps, ...) are child elements, not attributes."""
    if isinstance(value, tuple):
        return bool(value) and is_dataclass(value[0]) and not isinstance(value[0], m.Metric)
    return is_dataclass(value)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']

    def empty(self, depth: int, tag: str, attrs: list[tuple[str, str]]) -> None:
        self.lines.append(f"{'  ' * depth}<{tag}{_attrs(attrs)}/>")

    def open(self, depth: int, tag: str, attrs: list[tuple[str, str]] | None = None) -> None:
        self.lines.append(f"{'  ' * depth}<{tag}{_attrs(attrs or [])}>")

    def close(self, depth: int, tag: str) -> None:
        self.lines.append(f"{'  ' * depth}</{tag}>")

    def text(self, depth: int, tag: str, value: str) -> None:
        self.lines.append(f"{'  ' * depth}<{tag}>{_escape(value, quote=False)}</{tag}>")

    def cdata(self, depth: int, tag: str, value: str) -> None:
        pad = "  " * depth
        body = textwrap.indent(value, pad + "  ").replace("]]>", "]]]]><![CDATA[>")
        self.lines.append(f"{pad}<{tag}><![CDATA[\n{body}\n{pad}]]></{tag}>")


def _attrs(attrs) -> str:
    return "".join(f' {name}="{_escape(value)}"' for name, value in attrs)


def render(definition: m.Definition) -> bytes:
    """Canonical UTF-8 XML for a definition."""
    w = _Writer()
    root = "jobPipeline" if isinstance(definition, m.JobPipeline) else "pipeline"
    w.open(0, root, attributes(definition))
    _metadata(w, definition.metadata)
    if definition.parameters:
        w.open(1, "parameters")
        for parameter in definition.parameters:
            w.empty(2, "parameter", attributes(parameter))
        w.close(1, "parameters")
    if isinstance(definition, m.JobPipeline):
        w.open(1, "pipelines")
        for ref in definition.pipelines:
            w.empty(2, "pipelineRef", attributes(ref))
        w.close(1, "pipelines")
    else:
        _pipeline_body(w, definition)
    if definition.notifications:
        w.open(1, "notifications")
        for notification in definition.notifications:
            tag = "email" if isinstance(notification, m.EmailNotification) else "webhook"
            w.empty(2, tag, attributes(notification))
        w.close(1, "notifications")
    w.close(0, root)
    return ("\n".join(w.lines) + "\n").encode("utf-8")


def _metadata(w: _Writer, metadata: m.Metadata) -> None:
    values = [(n, getattr(metadata, n)) for n in ("owner", "sla", "schedule", "description")]
    if all(v is None for _, v in values):
        return
    w.open(1, "metadata")
    for name, value in values:
        if value is not None:
            w.text(2, name, value)
    w.close(1, "metadata")


def _pipeline_body(w: _Writer, pipeline: m.Pipeline) -> None:
    w.open(1, "sources")
    for source in pipeline.sources:
        if isinstance(source, m.CsvSource):
            w.empty(2, "csv", attributes(source))
            continue
        w.open(2, "database", attributes(source, skip=("table",)))
        if source.sql is not None:
            w.cdata(3, "sql", source.sql)
        if source.table is not None:
            w.empty(3, "table", [("name", source.table)])
        w.close(2, "database")
    w.close(1, "sources")
    if pipeline.transformations:
        w.open(1, "transformations")
        for step in pipeline.transformations:
            w.empty(2, step.tag, attributes(step))
        w.close(1, "transformations")
    w.open(1, "targets")
    for target in pipeline.targets:
        if isinstance(target, m.HiveTarget):
            w.empty(2, "hive", attributes(target))
        elif isinstance(target, m.CsvTarget):
            w.empty(2, "csv", attributes(target))
        else:
            w.open(2, "database", attributes(target, skip=("table",)))
            w.empty(3, "table", [("name", target.table)])
            w.close(2, "database")
    w.close(1, "targets")

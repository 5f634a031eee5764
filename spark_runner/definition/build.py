"""From a validated lxml tree to the frozen model. Nothing past this module touches lxml."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

from lxml import etree

from . import model as m

Located = Callable[[etree._Element], m.Location]

_TERM = re.compile(
    r"\s*([A-Za-z][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*(=|!=|<=|>=|<|>)\s*"
    r"([A-Za-z][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*"
)
_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
METRIC_FUNCTIONS = ("count", "sum", "avg", "min", "max")


class BuildError(ValueError):
    def __init__(self, loc: m.Location, message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


def split_list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_condition(condition: str) -> tuple[m.Comparison, ...]:
    """``a.x = b.y AND a.z <= b.w`` -> comparisons; raises ValueError with what is wrong."""
    terms = []
    for text in _AND.split(condition.strip()):
        match = _TERM.fullmatch(text)
        if match is None:
            raise ValueError(
                f'"{text.strip()}" is not a comparison; write dataset.column OP dataset.column '
                "with OP one of = != < <= > >=, several joined by AND"
            )
        ld, lc, op, rd, rc = match.groups()
        terms.append(m.Comparison(m.ColumnRef(ld, lc), op, m.ColumnRef(rd, rc)))  # type: ignore[arg-type]
    return tuple(terms)


def parse_metrics(text: str) -> tuple[m.Metric, ...]:
    """``count:customers,sum:revenue,avg:balance:avg_bal`` -> metrics; raises ValueError."""
    metrics = []
    for item in (part.strip() for part in text.split(",")):
        parts = [p.strip() for p in item.split(":")]
        if not item or len(parts) not in (2, 3) or not all(parts):
            raise ValueError(
                f'metric "{item}" must be written function:column[:alias] (or count:alias)'
            )
        function = parts[0]
        if function not in METRIC_FUNCTIONS:
            raise ValueError(
                f'metric "{item}": unknown function "{function}"; use one of: '
                + ", ".join(METRIC_FUNCTIONS)
            )
        if len(parts) == 2 and function == "count":
            metrics.append(m.Metric("count", None, parts[1]))
        elif len(parts) == 2:
            metrics.append(m.Metric(function, parts[1], f"{function}_{parts[1]}"))  # type: ignore[arg-type]
        else:
            metrics.append(m.Metric(function, parts[1], parts[2]))  # type: ignore[arg-type]
    return tuple(metrics)


def metric_text(metric: m.Metric) -> str:
    if metric.column is None:
        return f"count:{metric.alias}"
    if metric.alias == f"{metric.function}_{metric.column}":
        return f"{metric.function}:{metric.column}"
    return f"{metric.function}:{metric.column}:{metric.alias}"


def _bool(value: str | None, default: bool) -> bool:
    return default if value is None else value == "true"


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _delimiter(value: str | None) -> str:
    if value is None:
        return ","
    return "\t" if value == "\\t" else value


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    for c in _children(el):
        if c.tag == tag:
            return c
    return None


def _text(el: etree._Element | None) -> str | None:
    return None if el is None else (el.text or "").strip()


def _schema_ref(el: etree._Element, loc: m.Location) -> str | None:
    attribute = el.get("schemaRef")
    element = _text(_child(el, "schemaRef"))
    if attribute is not None and element is not None and attribute.strip() != element:
        raise BuildError(loc, f"<{el.tag}>: schemaRef is given twice (attribute and element)")
    return attribute.strip() if attribute is not None else element


class Builder:
    def __init__(self, located: Located):
        self.located = located
        self.problems: list[BuildError] = []

    def document(self, root: etree._Element) -> m.Definition:
        loc = self.located(root)
        metadata = self.metadata(_child(root, "metadata"))
        parameters = self.parameters(_child(root, "parameters"))
        notifications = self.notifications(_child(root, "notifications"))
        if root.tag == "jobPipeline":
            refs = tuple(self.pipeline_ref(c) for c in _children(_child(root, "pipelines")))
            return m.JobPipeline(
                root.get("id"), root.get("version"), metadata, parameters, refs, notifications, loc
            )
        sources = tuple(self.guard(self.source, c) for c in _children(_child(root, "sources")))
        steps_el = _child(root, "transformations")
        step_els = _children(steps_el) if steps_el is not None else []
        steps = tuple(self.guard(self.step, c) for c in step_els)
        targets = tuple(self.guard(self.target, c) for c in _children(_child(root, "targets")))
        return m.Pipeline(
            id=root.get("id"),
            version=root.get("version"),
            layer=root.get("layer"),  # type: ignore[arg-type]
            metadata=metadata,
            parameters=parameters,
            sources=tuple(s for s in sources if s is not None),
            transformations=tuple(s for s in steps if s is not None),
            targets=tuple(t for t in targets if t is not None),
            notifications=notifications,
            loc=loc,
        )

    def guard(self, build, el):
        try:
            return build(el)
        except BuildError as error:
            self.problems.append(error)
            return None

    def metadata(self, el: etree._Element | None) -> m.Metadata:
        if el is None:
            return m.Metadata()
        return m.Metadata(
            owner=_text(_child(el, "owner")),
            sla=_text(_child(el, "sla")),
            schedule=_text(_child(el, "schedule")),
            description=_text(_child(el, "description")),
            loc=self.located(el),
        )

    def parameters(self, el: etree._Element | None) -> tuple[m.Parameter, ...]:
        if el is None:
            return ()
        return tuple(
            m.Parameter(c.get("name"), c.get("default"), self.located(c)) for c in _children(el)
        )

    def notifications(self, el: etree._Element | None) -> tuple[m.Notification, ...]:
        if el is None:
            return ()
        found: list[m.Notification] = []
        for c in _children(el):
            on = c.get("on", "failure")
            if c.tag == "email":
                found.append(m.EmailNotification(split_list(c.get("to")), on, self.located(c)))
            else:
                url = c.get("url").strip()
                found.append(m.WebhookNotification(url, on, c.get("secretRef"), self.located(c)))
        return tuple(found)

    def pipeline_ref(self, el: etree._Element) -> m.PipelineRef:
        return m.PipelineRef(
            id=el.get("id"),
            depends_on=split_list(el.get("dependsOn")),
            on_failure=el.get("onFailure", "halt"),  # type: ignore[arg-type]
            max_retries=_int(el.get("maxRetries")),
            fallback=el.get("fallback"),
            loc=self.located(el),
        )

    def source(self, el: etree._Element) -> m.Source:
        loc = self.located(el)
        if el.tag == "csv":
            return m.CsvSource(
                id=el.get("id"),
                path=el.get("path").strip(),
                header=_bool(el.get("header"), True),
                delimiter=_delimiter(el.get("delimiter")),
                infer_schema=_bool(el.get("inferSchema"), False),
                load_policy=el.get("loadPolicy", "onDemand"),  # type: ignore[arg-type]
                schema_ref=_schema_ref(el, loc),
                on_invalid_rows=el.get("onInvalidRows", "fail"),  # type: ignore[arg-type]
                loc=loc,
            )
        sql = _child(el, "sql")
        table = _child(el, "table")
        return m.DatabaseSource(
            id=el.get("id"),
            jdbc_url=el.get("jdbcUrl").strip(),
            sql=None if sql is None else textwrap.dedent(sql.text or "").strip(),
            table=None if table is None else table.get("name").strip(),
            user_secret_ref=el.get("userSecretRef"),
            fetch_size=_int(el.get("fetchSize")),
            load_policy=el.get("loadPolicy", "onDemand"),  # type: ignore[arg-type]
            isolation_level=el.get("isolationLevel"),  # type: ignore[arg-type]
            schema_ref=_schema_ref(el, loc),
            loc=loc,
        )

    def step(self, el: etree._Element) -> m.Transformation:
        loc, get, output = self.located(el), el.get, el.get("output")
        tag = el.tag
        if tag == "deduplicate":
            return m.Deduplicate(
                get("source"),
                split_list(get("keys")),
                get("keep", "first"),  # type: ignore[arg-type]
                split_list(get("orderBy")),
                output,
                loc,
            )
        if tag == "sort":
            return m.Sort(
                get("source"),
                split_list(get("orderBy")),
                get("direction", "asc"),  # type: ignore[arg-type]
                get("nulls"),
                output,
                loc,  # type: ignore[arg-type]
            )
        if tag == "join":
            condition = get("condition").strip()
            try:
                terms = parse_condition(condition)
            except ValueError as error:
                raise BuildError(loc, f"<join>: condition {error}") from None
            return m.Join(get("left"), get("right"), get("type"), condition, terms, output, loc)  # type: ignore[arg-type]
        if tag == "lookup":
            return m.Lookup(
                get("source"),
                get("reference").strip(),
                split_list(get("outputFields")),
                get("joinType", "left"),
                split_list(get("keys")),
                output,
                loc,  # type: ignore[arg-type]
            )
        if tag == "merge":
            return m.Merge(
                split_list(get("sources")),
                get("mode", "union"),
                split_list(get("keys")),  # type: ignore[arg-type]
                split_list(get("orderBy")),
                output,
                loc,
            )
        if tag == "mask":
            return m.Mask(
                get("source"),
                split_list(get("columns")),
                get("strategy"),  # type: ignore[arg-type]
                get("secretRef"),
                output,
                loc,
            )
        text = get("metrics").strip()
        try:
            metrics = parse_metrics(text)
        except ValueError as error:
            raise BuildError(loc, f"<aggregate>: {error}") from None
        return m.Aggregate(
            get("source"),
            split_list(get("groupBy")),
            metrics,
            text,
            get("window"),  # type: ignore[arg-type]
            (get("timeColumn") or "").strip() or None,
            output,
            loc,
        )

    def target(self, el: etree._Element) -> m.Target:
        loc, get = self.located(el), el.get
        if el.tag == "hive":
            return m.HiveTarget(
                table=get("table").strip(),
                mode=get("mode", "append"),  # type: ignore[arg-type]
                partition_by=split_list(get("partitionBy")),
                format=get("format", "parquet"),  # type: ignore[arg-type]
                keys=split_list(get("keys")),
                schema_ref=_schema_ref(el, loc),
                source=get("source"),
                loc=loc,
            )
        if el.tag == "csv":
            return m.CsvTarget(
                path=get("path").strip(),
                mode=get("mode", "overwrite"),  # type: ignore[arg-type]
                compression=get("compression", "none"),  # type: ignore[arg-type]
                header=_bool(get("header"), True),
                delimiter=_delimiter(get("delimiter")),
                schema_ref=_schema_ref(el, loc),
                source=get("source"),
                loc=loc,
            )
        return m.DatabaseTarget(
            id=get("id"),
            jdbc_url=get("jdbcUrl").strip(),
            table=_child(el, "table").get("name").strip(),
            mode=get("mode", "append"),  # type: ignore[arg-type]
            user_secret_ref=get("userSecretRef"),
            write_batch_size=_int(get("writeBatchSize")),
            isolation_level=get("isolationLevel"),  # type: ignore[arg-type]
            keys=split_list(get("keys")),
            schema_ref=_schema_ref(el, loc),
            source=get("source"),
            loc=loc,
        )

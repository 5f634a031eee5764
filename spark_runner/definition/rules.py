"""Rules a definition must follow that need no other file: names, references, cron, SLA, ..."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import isodate
from croniter import croniter

from . import model as m
from .errors import Problem
from .files import check_relative_ref, lookup_path

_JDBC = re.compile(r"jdbc:[A-Za-z][A-Za-z0-9+._-]*:\S+")
_JDBC_SECRET = re.compile(r"(password|pwd|secret)\s*=|//[^/@\s]+:[^/@\s]+@", re.IGNORECASE)
_SQL_TOKENS = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|::[A-Za-z_]\w*|:([A-Za-z_]\w*)",
    re.DOTALL,
)
_HIVE_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
_EMAIL = re.compile(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+")
_URL = re.compile(r"https?://\S+")


def did_you_mean(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(set(options)), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def sql_parameters(sql: str) -> list[str]:
    """``:name`` parameters of a query, skipping ``::casts``, quoted text and comments."""
    return [match.group(1) for match in _SQL_TOKENS.finditer(sql) if match.group(1)]


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, loc: m.Location | None, message: str) -> None:
        line, column = (loc.line, loc.column) if loc else (1, 1)
        self.problems.append(Problem(self.file, line, column, message))


def local_problems(definition: m.Definition, file: str) -> list[Problem]:
    out = _Collector(file)
    _metadata(out, definition.metadata)
    declared = _parameters(out, definition.parameters)
    _notifications(out, definition.notifications)
    if isinstance(definition, m.JobPipeline):
        _job(out, definition)
    else:
        _sources(out, definition, declared)
        _flow(out, definition)
        _targets(out, definition)
    return out.problems


def _metadata(out: _Collector, metadata: m.Metadata) -> None:
    if metadata.schedule is not None:
        fields = metadata.schedule.split()
        if len(fields) != 5 or not croniter.is_valid(metadata.schedule):
            out.add(
                metadata.loc,
                f'schedule "{metadata.schedule}" is not a valid cron '
                'expression; write 5 fields "minute hour day-of-month month '
                'day-of-week", e.g. "0 2 * * *" for 02:00 every day',
            )
    if metadata.sla is not None:
        try:
            duration = isodate.parse_duration(metadata.sla)
            if not metadata.sla.startswith("P") or not duration:
                raise isodate.ISO8601Error
        except (isodate.ISO8601Error, ValueError):
            out.add(
                metadata.loc,
                f'sla "{metadata.sla}" is not an ISO-8601 duration; write e.g. '
                '"PT2H" (2 hours), "PT30M" or "P1D"',
            )


def _parameters(out: _Collector, parameters: tuple[m.Parameter, ...]) -> set[str]:
    seen: set[str] = set()
    for parameter in parameters:
        if parameter.name in m.BUILTIN_PARAMETERS:
            out.add(
                parameter.loc, f'parameter "{parameter.name}" is built in; remove the declaration'
            )
        elif parameter.name in seen:
            out.add(parameter.loc, f'parameter "{parameter.name}" is declared twice')
        seen.add(parameter.name)
    return seen | set(m.BUILTIN_PARAMETERS)


def _notifications(out: _Collector, notifications: tuple[m.Notification, ...]) -> None:
    for notification in notifications:
        if isinstance(notification, m.EmailNotification):
            for address in notification.to:
                if not _EMAIL.fullmatch(address):
                    out.add(notification.loc, f'email: "{address}" is not an email address')
            if not notification.to:
                out.add(notification.loc, "email: give at least one address in to")
        elif not _URL.fullmatch(notification.url):
            out.add(
                notification.loc,
                f'webhook: url "{notification.url}" must start with https:// or http://',
            )


def _check_jdbc(out: _Collector, loc: m.Location | None, what: str, url: str) -> None:
    if not _JDBC.fullmatch(url):
        out.add(
            loc,
            f'{what}: jdbcUrl "{url}" must look like jdbc:<driver>:<address>, '
            'e.g. "jdbc:postgresql://host:5432/db"',
        )
    elif _JDBC_SECRET.search(url):
        out.add(
            loc, f"{what}: jdbcUrl must not hold a password; name a secret in userSecretRef instead"
        )


def _check_delimiter(out: _Collector, loc: m.Location | None, what: str, delimiter: str) -> None:
    if len(delimiter) != 1:
        out.add(loc, f'{what}: delimiter "{delimiter}" must be one character (write \\t for tab)')


def _check_data_path(out: _Collector, loc: m.Location | None, what: str, path: str) -> None:
    if ".." in re.split(r"[\\/]", path):
        out.add(loc, f'{what}: path "{path}" must not contain ".."')


def _check_schema_ref(out: _Collector, loc: m.Location | None, what: str, ref: str | None) -> None:
    if ref is not None and (problem := check_relative_ref(ref, "schemaRef")):
        out.add(loc, f"{what}: {problem}")


def _sources(out: _Collector, pipeline: m.Pipeline, declared: set[str]) -> None:
    seen: set[str] = set()
    for source in pipeline.sources:
        what = f'source "{source.id}"'
        if source.id in seen:
            out.add(
                source.loc,
                f'{what}: the id "{source.id}" is used by another source; ids must be unique',
            )
        seen.add(source.id)
        _check_schema_ref(out, source.loc, what, source.schema_ref)
        if isinstance(source, m.CsvSource):
            _check_delimiter(out, source.loc, what, source.delimiter)
            _check_data_path(out, source.loc, what, source.path)
            if source.on_invalid_rows == "reject" and source.schema_ref is None:
                out.add(
                    source.loc,
                    f'{what}: onInvalidRows="reject" needs a schemaRef to '
                    "decide which rows are invalid",
                )
            continue
        _check_jdbc(out, source.loc, what, source.jdbc_url)
        if (source.sql is None) == (source.table is None):
            out.add(source.loc, f"{what}: give either <sql> or <table name=...>, exactly one")
        if source.sql is not None and not source.sql:
            out.add(source.loc, f"{what}: <sql> is empty")
        for name in sql_parameters(source.sql or ""):
            if name not in declared:
                out.add(
                    source.loc,
                    f'{what}: parameter ":{name}" in <sql> is not declared; declare it in '
                    "<parameters> or use a built-in one ("
                    + ", ".join(m.BUILTIN_PARAMETERS)
                    + ")"
                    + did_you_mean(name, declared),
                )


def step_inputs(step: m.Transformation) -> list[tuple[str, str]]:
    """(role, dataset id) a step reads."""
    if isinstance(step, m.Join):
        return [("left", step.left), ("right", step.right)]
    if isinstance(step, m.Merge):
        return [("source", s) for s in step.sources]
    return [("source", step.source)]


def step_result(step: m.Transformation) -> str:
    """The dataset id a step's result is known by."""
    if step.output:
        return step.output
    return step.left if isinstance(step, m.Join) else step.source


def _flow(out: _Collector, pipeline: m.Pipeline) -> None:
    available = {s.id: None for s in pipeline.sources}  # ordered, for suggestions
    later = {s.output: i for i, s in enumerate(pipeline.transformations, 1) if s.output}
    for number, step in enumerate(pipeline.transformations, 1):
        tag = step.tag
        for role, name in step_inputs(step):
            if name in available:
                continue
            if name in later and later[name] >= number:
                out.add(
                    step.loc,
                    f'{tag}: {role} dataset "{name}" is only produced later, by '
                    f"step {later[name]}; a step can use only datasets defined "
                    "before it",
                )
            else:
                out.add(
                    step.loc,
                    f'{tag}: {role} dataset "{name}" is not defined{did_you_mean(name, available)}',
                )
        if step.output is not None:
            if step.output in available:
                out.add(
                    step.loc,
                    f'{tag}: output "{step.output}" already names a dataset; choose a new id',
                )
            else:
                available[step.output] = None
        _step_rules(out, step)


_REQUIRED_LISTS = {
    m.Deduplicate: ("keys", "keys"),
    m.Sort: ("order_by", "orderBy"),
    m.Lookup: ("output_fields", "outputFields"),
    m.Mask: ("columns", "columns"),
}


def _step_rules(out: _Collector, step: m.Transformation) -> None:
    tag, loc = step.tag, step.loc
    required = _REQUIRED_LISTS.get(type(step))
    if required and not getattr(step, required[0]):
        out.add(loc, f"{tag}: {required[1]} must name at least one column")
    if isinstance(step, m.Join):
        if step.left == step.right:
            out.add(loc, "join: left and right name the same dataset; a join needs two datasets")
        for term in step.terms:
            for ref in (term.left, term.right):
                if ref.dataset not in (step.left, step.right):
                    out.add(
                        loc,
                        f'join: condition names "{ref.dataset}.{ref.column}" but the '
                        f'join is between "{step.left}" and "{step.right}"',
                    )
    elif isinstance(step, m.Merge):
        if len(step.sources) < 2:
            out.add(loc, "merge: sources needs two or more datasets, comma separated")
        if len(set(step.sources)) != len(step.sources):
            out.add(loc, "merge: a dataset is named twice in sources")
        if step.mode == "upsert" and not step.keys:
            out.add(loc, 'merge: mode="upsert" needs keys (the columns that identify a row)')
        if step.mode == "union" and (step.keys or step.order_by):
            out.add(loc, 'merge: keys and orderBy are used only with mode="upsert"')
    elif isinstance(step, m.Aggregate):
        if step.window and not step.time_column:
            out.add(
                loc,
                f'aggregate: window="{step.window}" needs timeColumn (the date or '
                "timestamp column to bucket by)",
            )
        if step.time_column and not step.window:
            out.add(loc, "aggregate: timeColumn is used only with window")
        aliases = [metric.alias for metric in step.metrics]
        for alias in sorted({a for a in aliases if aliases.count(a) > 1}):
            out.add(loc, f'aggregate: two metrics are named "{alias}"; give one an alias')
    elif isinstance(step, m.Lookup):
        try:
            table = lookup_path(step.reference) is None
        except ValueError as error:
            out.add(loc, f"lookup: {error}")
        else:
            if table and not step.keys:
                out.add(
                    loc,
                    f'lookup: reference "{step.reference}" is a Hive table; give keys '
                    "(the columns to join on)",
                )


def _targets(out: _Collector, pipeline: m.Pipeline) -> None:
    available = {s.id for s in pipeline.sources}
    available |= {s.output for s in pipeline.transformations if s.output}
    ids: set[str] = set()
    for target in pipeline.targets:
        what = target_label(target)
        if target.source is not None and target.source not in available:
            out.add(
                target.loc,
                f'{what}: source dataset "{target.source}" is not defined'
                f"{did_you_mean(target.source, available)}",
            )
        _check_schema_ref(out, target.loc, what, target.schema_ref)
        if isinstance(target, m.HiveTarget):
            if not _HIVE_TABLE.fullmatch(target.table):
                out.add(
                    target.loc,
                    f'{what}: table must be written database.table, e.g. "staging.customer"',
                )
            if target.mode == "merge" and not target.keys:
                out.add(
                    target.loc, f'{what}: mode="merge" needs keys (the columns that identify a row)'
                )
            if target.keys and target.mode != "merge":
                out.add(target.loc, f'{what}: keys is used only with mode="merge"')
        elif isinstance(target, m.CsvTarget):
            _check_delimiter(out, target.loc, what, target.delimiter)
            _check_data_path(out, target.loc, what, target.path)
        else:
            if target.id in ids:
                out.add(target.loc, f'{what}: the id "{target.id}" is used by another target')
            ids.add(target.id)
            _check_jdbc(out, target.loc, what, target.jdbc_url)
            if target.keys and target.mode != "merge":
                out.add(target.loc, f'{what}: keys is used only with mode="merge"')


def target_label(target: m.Target) -> str:
    if isinstance(target, m.HiveTarget):
        return f"hive target {target.table}"
    if isinstance(target, m.CsvTarget):
        return f"csv target {target.path}"
    return f"database target {target.id}"


def _job(out: _Collector, job: m.JobPipeline) -> None:
    ids = [ref.id for ref in job.pipelines]
    seen: set[str] = set()
    for ref in job.pipelines:
        what = f'pipelineRef "{ref.id}"'
        if ref.id in seen:
            out.add(ref.loc, f"{what}: the pipeline is listed twice in this job")
        seen.add(ref.id)
        for dependency in ref.depends_on:
            if dependency not in ids:
                out.add(
                    ref.loc,
                    f'{what}: dependsOn "{dependency}" is not a pipelineRef of '
                    f"this job{did_you_mean(dependency, ids)}",
                )
        if ref.max_retries is not None and ref.on_failure != "retry":
            out.add(ref.loc, f'{what}: maxRetries is used only with onFailure="retry"')
        if ref.fallback is not None and ref.on_failure != "fallback":
            out.add(ref.loc, f'{what}: fallback is used only with onFailure="fallback"')
        if ref.on_failure == "fallback" and ref.fallback is None:
            out.add(ref.loc, f'{what}: onFailure="fallback" needs fallback="<pipeline id>"')
        if ref.fallback is not None and ref.fallback == ref.id:
            out.add(ref.loc, f"{what}: a pipeline cannot be its own fallback")
    cycle = find_cycle({ref.id: ref.depends_on for ref in job.pipelines})
    if cycle:
        first = next(ref for ref in job.pipelines if ref.id == cycle[0])
        out.add(
            first.loc,
            "the dependencies form a cycle: "
            + " → ".join(cycle)
            + "; remove one dependsOn to break it",
        )


def find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """A dependency cycle as a path that ends where it starts, or None (iterative DFS)."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        pending = [iter(graph.get(start, ()))]
        while pending:
            nxt = next(pending[-1], None)
            if nxt is None:
                node = path.pop()
                on_path.discard(node)
                done.add(node)
                pending.pop()
                continue
            if nxt not in graph or nxt in done:
                continue
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            path.append(nxt)
            on_path.add(nxt)
            pending.append(iter(graph.get(nxt, ())))
    return None

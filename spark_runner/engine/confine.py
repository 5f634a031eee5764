"""The engine's door of the data policy: before a run reads or writes anything, every source,
lookup, target and secret of the pipeline is checked against ``ctx.policy``, with wildcards and
symbolic links resolved on the file system the run uses. A violation raises ``PolicyViolation``
(error category ``policy``)."""

from __future__ import annotations

from spark_runner.definition import model as m
from spark_runner.definition.policy import DataPolicy, PolicyViolation, local_realpath, place
from spark_runner.engine.connectors.csv import export_path
from spark_runner.engine.fs import FS

_MAX_FILES = 100_000


def element_where(element) -> str:
    if isinstance(element, m.CsvSource | m.DatabaseSource):
        return f"source {element.id}"
    if isinstance(element, m.HiveTarget):
        return f"target hive {element.table}"
    if isinstance(element, m.CsvTarget):
        return f"target csv {element.path}"
    if isinstance(element, m.DatabaseTarget):
        return f"target database {element.id}"
    tag = getattr(element, "tag", "")
    return f"step ({tag})" if tag else "notifications"


def check_pipeline(pipeline: m.Pipeline, ctx) -> None:
    """Refuses the run before it touches anything when the pipeline breaks its policy."""
    policy: DataPolicy | None = ctx.policy
    if policy is None:
        return
    for found in policy.problems(pipeline):
        where = _where_of(pipeline, found.loc)
        raise PolicyViolation(found.message, where)
    fs = None
    for source in pipeline.sources:
        if isinstance(source, m.CsvSource):
            fs = fs or FS(ctx.spark)
            check_read(fs, policy, source.path, ctx.resolve_path(source.path), source)
    for target in pipeline.targets:
        if isinstance(target, m.CsvTarget):
            destination = ctx.resolve_path(export_path(target.path, ctx.run_date))
            check_write(policy, target.path, destination, target)


def _where_of(pipeline: m.Pipeline, loc) -> str:
    elements = [
        *pipeline.sources,
        *pipeline.transformations,
        *pipeline.targets,
        *pipeline.notifications,
    ]
    for element in elements:
        if element.loc is not None and element.loc == loc:
            if element in pipeline.transformations:
                number = pipeline.transformations.index(element) + 1
                return f"step {number} ({element.tag})"
            return element_where(element)
    return "run"


def check_read(fs: FS, policy: DataPolicy, written: str, resolved: str, element) -> None:
    """Every file ``resolved`` (a path or pattern) reads must lie inside a root."""
    problem = policy.storage_problem(written, write=False)
    if problem is None:
        files: list[str] = []
        for match in fs.glob(resolved):
            files.append(match)
            if fs.is_dir(match):
                files += fs.list_files(match)
            if len(files) > _MAX_FILES:
                break
        problem = policy.resolved_problem(written, files, False, local_realpath)
    if problem:
        raise PolicyViolation(problem, element_where(element))


def check_write(policy: DataPolicy, written: str, destination: str, element) -> None:
    problem = policy.storage_problem(written, write=True)
    if problem is None and place(destination) is not None:
        problem = policy.resolved_problem(written, [destination], True, local_realpath)
    if problem:
        raise PolicyViolation(problem, element_where(element))


def check_connection(policy: DataPolicy | None, element) -> None:
    if policy is None:
        return
    problem = policy.connection_problem(element.jdbc_url, element.user_secret_ref)
    if problem:
        raise PolicyViolation(problem, element_where(element))


def check_table(policy: DataPolicy | None, table: str, write: bool, where: str) -> None:
    if policy is None:
        return
    problem = policy.hive_problem(table, write)
    if problem:
        raise PolicyViolation(problem, where)

"""The engine's door of the data policy: before a run reads or writes anything, every source,
lookup, target and secret of the pipeline is checked against ``ctx.policy``, with wildcards and
symbolic links resolved on the file system the run uses. A violation raises ``PolicyViolation``
(error category ``policy``)."""

from __future__ import annotations

from spark_runner.definition import model as m
from spark_runner.definition.policy import DataPolicy, PolicyViolation, local_realpath, place
from spark_runner.engine.fs import FS

_MAX_FILES = 100_000


def element_where(element) -> str:
    from spark_runner.engine import storage

    if storage.is_storage(element):
        return storage.where(element)
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
    from spark_runner.engine import storage

    for element in (*pipeline.sources, *pipeline.targets):
        storage.confine(element, ctx)


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

"""Validation of definitions in a repository: each file's own rules plus the rules that read other
files (schemas, lookups, the application's other pipelines) and the file's place in the layout."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import model as m
from .columns import Columns, check_columns
from .errors import Problem, position
from .files import FileSource, lookup_path, parse_definition_path
from .locate import attribute_after
from .parser import MAX_BYTES, parse_with_problems, unique_problems
from .policy import DataPolicy, Found, local_matches, local_realpath
from .rules import did_you_mean, target_label
from .schemas import SchemaError, load_schema

LAYOUT_HINT = (
    "applications/<app>/<layer>/pipelines/<id>.xml or applications/<app>/<layer>/jobs/<id>.xml"
)


@dataclass
class Report:
    """``problems`` sorted by file, line, column; ``definitions``: the files without problems."""

    problems: list[Problem] = field(default_factory=list)
    definitions: dict[str, m.Definition] = field(default_factory=dict)
    files_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def files_with_problems(self) -> list[str]:
        return sorted({p.file for p in self.problems})


def definition_paths(files: FileSource) -> list[str]:
    """Every definition file under ``applications/``."""
    return [p for p in files.list("applications/") if parse_definition_path(p)]


Policies = Callable[[str], DataPolicy | None]


def validate(
    files: FileSource, paths: Iterable[str] | None = None, policies: Policies | None = None
) -> Report:
    """Validate definitions (all when ``paths`` is None) against the repository ``files``.

    ``policies``: application name -> its data policy (None for an application the portal does
    not know); with it, whatever a definition reaches outside its policy is an error located at
    the attribute (see policy.py)."""
    context = _Context(files, policies)
    report = Report()
    for path in sorted(set(definition_paths(files) if paths is None else paths)):
        report.files_checked += 1
        problems, definition = context.check(path)
        report.problems += problems
        if definition is not None and not problems:
            report.definitions[path] = definition
    report.problems.sort(key=position)
    return report


class _Context:
    """Caches what several files share: schemas, lookup headers, each application's pipelines."""

    def __init__(self, files: FileSource, policies: Policies | None = None):
        self.files = files
        self.policies = policies
        self._schemas: dict[tuple[str, str, str], tuple[Columns, str | None]] = {}
        self._lookups: dict[str, tuple[Columns, str | None]] = {}
        self._pipelines: dict[str, dict[str, list[str]]] = {}

    def check(self, path: str) -> tuple[list[Problem], m.Definition | None]:
        size = getattr(self.files, "size", None)
        if callable(size) and (size(path) or 0) > MAX_BYTES:
            megabytes = size(path) / (1024 * 1024)
            message = f"the file is {megabytes:.1f} MB; a definition may be at most 5 MB"
            return [Problem(path, 1, 1, message)], None
        data = self.files.read(path)
        if data is None:
            return [Problem(path, 1, 1, "no such file")], None
        definition, problems = parse_with_problems(data, path)
        if definition is None:
            return problems, None
        add = _adder(path, problems)
        parts = parse_definition_path(path)
        if parts is None:
            add(definition.loc, f"a definition must be stored at {LAYOUT_HINT}")
            return problems, definition
        self._check_place(definition, parts, add)
        app, layer = parts["app"], parts["layer"]
        if isinstance(definition, m.Pipeline) and layer in m.LAYERS:
            self._check_pipeline(definition, app, layer, add)
        elif isinstance(definition, m.JobPipeline):
            self._check_job(definition, app, add)
        policy = self.policies(app) if self.policies is not None else None
        if policy is not None:
            problems += policy_problems(policy, definition, path, data)
        return unique_problems(problems), definition

    def _check_place(self, definition: m.Definition, parts: dict[str, str], add) -> None:
        kind = "pipeline" if isinstance(definition, m.Pipeline) else "jobPipeline"
        folder = "pipelines" if kind == "pipeline" else "jobs"
        if parts["name"] != definition.id:
            add(
                definition.loc,
                f'the file is named "{parts["name"]}.xml" but the {kind} id is '
                f'"{definition.id}"; the file name must equal the id',
            )
        if parts["folder"] != folder:
            add(
                definition.loc,
                f"a <{kind}> belongs in the {folder}/ folder, not {parts['folder']}/",
            )
        if parts["layer"] not in m.LAYERS:
            add(
                definition.loc,
                f'folder "{parts["layer"]}" is not a layer; use one of: ' + ", ".join(m.LAYERS),
            )
        elif isinstance(definition, m.Pipeline) and definition.layer != parts["layer"]:
            add(
                definition.loc,
                f'layer="{definition.layer}" but the file is in the '
                f'"{parts["layer"]}" folder; move the file or fix the layer',
            )

    # ------------------------------------------------------------ pipelines

    def _check_pipeline(self, pipeline: m.Pipeline, app: str, layer: str, add) -> None:
        others = [lay for lay in self.pipelines_of(app).get(pipeline.id, []) if lay != layer]
        if others:
            add(
                pipeline.loc,
                f'pipeline id "{pipeline.id}" is also used in the {others[0]} '
                "layer of this application; pipeline ids must be unique in an "
                "application",
            )

        def schema_columns(ref: str | None, loc, what: str) -> Columns:
            if ref is None:
                return None
            columns, error = self.schema(app, layer, ref)
            if error:
                add(loc, f"{what}: {error}")
            return columns

        def source_columns(source: m.Source) -> Columns:
            return schema_columns(source.schema_ref, source.loc, f'source "{source.id}"')

        def target_columns(target: m.Target) -> Columns:
            return schema_columns(target.schema_ref, target.loc, target_label(target))

        def lookup_columns(reference: str) -> Columns:
            return self.lookup(reference)[0]

        for target in pipeline.targets:
            if not getattr(target, "partition_by", ()) and not getattr(target, "keys", ()):
                target_columns(target)  # still report a missing or broken schema
        for step in pipeline.transformations:
            if isinstance(step, m.Lookup):
                error = self.lookup(step.reference)[1]
                if error:
                    add(step.loc, f"lookup: {error}")
        check_columns(pipeline, source_columns, lookup_columns, target_columns, add)

    def schema(self, app: str, layer: str, ref: str) -> tuple[Columns, str | None]:
        key = (app, layer, ref)
        if key not in self._schemas:
            try:
                fields = load_schema(self.files, app, layer, ref)
                self._schemas[key] = ({f.name: f.type for f in fields}, None)
            except SchemaError as error:
                self._schemas[key] = (None, str(error))
        return self._schemas[key]

    def lookup(self, reference: str) -> tuple[Columns, str | None]:
        if reference not in self._lookups:
            self._lookups[reference] = self._read_lookup(reference)
        return self._lookups[reference]

    def _read_lookup(self, reference: str) -> tuple[Columns, str | None]:
        try:
            path = lookup_path(reference)
        except ValueError:
            return None, None  # reported by the file's own rules
        if path is None:
            return None, None  # a Hive table: its columns are known only at run time
        data = self.files.read(path)
        if data is None:
            return None, (
                f'reference "{reference}": no lookup file {path}; add it (a CSV with '
                "a header row) or fix the name"
            )
        first_line = data[:65536].decode("utf-8-sig", errors="replace").splitlines()[:1]
        header = next(csv.reader(io.StringIO(first_line[0])), []) if first_line else []
        header = [h.strip() for h in header if h.strip()]
        if not header:
            return None, f"lookup file {path} has no header row"
        return dict.fromkeys(header, "string"), None

    # ------------------------------------------------------------ jobs

    def pipelines_of(self, app: str) -> dict[str, list[str]]:
        """Pipeline id -> layers where ``app`` has a pipeline of that id."""
        if app not in self._pipelines:
            found: dict[str, list[str]] = {}
            for path in self.files.list(f"applications/{app}/"):
                parts = parse_definition_path(path)
                if parts and parts["folder"] == "pipelines" and parts["layer"] in m.LAYERS:
                    found.setdefault(parts["name"], []).append(parts["layer"])
            self._pipelines[app] = found
        return self._pipelines[app]

    def _check_job(self, job: m.JobPipeline, app: str, add) -> None:
        known = self.pipelines_of(app)
        for ref in job.pipelines:
            names = [("pipelineRef", ref.id)]
            if ref.fallback:
                names.append(("fallback", ref.fallback))
            for what, name in names:
                if name not in known:
                    add(
                        ref.loc,
                        f'{what} "{name}": application "{app}" has no pipeline with '
                        f"this id{did_you_mean(name, known)}",
                    )


def policy_problems(
    policy: DataPolicy, definition: m.Definition, path: str, data: bytes
) -> list[Problem]:
    """What ``definition`` reaches outside ``policy``, each at its attribute; local paths are
    resolved on this machine too (wildcards, symbolic links)."""
    found = list(policy.problems(definition))
    if isinstance(definition, m.Pipeline) and not found:
        for element, write in [(s, False) for s in definition.sources] + [
            (t, True) for t in definition.targets
        ]:
            written = getattr(element, "path", None)
            if not isinstance(element, m.CsvSource | m.CsvTarget) or written is None:
                continue
            resolved = policy.resolve(written)
            matches = local_matches(resolved, write)
            if matches:
                message = policy.resolved_problem(written, matches, write, local_realpath)
                if message:
                    found.append(Found(element.loc, "path", message))
    if not found:
        return []
    text = data.decode("utf-8-sig", errors="replace")
    problems = []
    for item in found:
        line, column = (item.loc.line, item.loc.column) if item.loc else (1, 1)
        if item.attribute:
            line, column = attribute_after(text, line, column, item.attribute)
        problems.append(Problem(path, line, column, item.message))
    return problems


def _adder(path: str, problems: list[Problem]):
    def add(loc: m.Location | None, message: str) -> None:
        line, column = (loc.line, loc.column) if loc else (1, 1)
        problems.append(Problem(path, line, column, message))

    return add


def lookup_columns(files: FileSource, reference: str) -> Columns:
    """The columns of lookup ``reference`` (its file's header), None when unknown."""
    return _Context(files).lookup(reference)[0]

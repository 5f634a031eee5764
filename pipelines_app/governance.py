"""Governance checks on a change request, shown on its page; they block approval unless a
reviewer overrides them with a written reason.

- personal data: a column whose name matches ``HUB_PII_PATTERNS`` reaching a target of a
  service-layer pipeline without a ``mask`` step on it (columns are tracked through the flow,
  starting from the sources' schemas);
- metadata: a pipeline or job without owner, SLA or schedule;
- target schemas: a change to a target's schema (its file, or the target's ``schemaRef``) that
  drops a column or changes a column's type;
- data policy: a changed definition reaching outside its application's data policy (storage,
  connections, secrets, Hive databases). Blocking: no override reason passes it, and it is
  checked afresh against the policy as it is at each look (never cached).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from django.conf import settings

from config_repo.gitcmd import LRU
from config_repo.layout import parse_definition_path
from pipelines_app.data_policy import policy_for
from pipelines_app.models import DryRun, PreviewStatus
from spark_runner.definition import DefinitionInvalid, SchemaError, load_schema, parse
from spark_runner.definition import model as m
from spark_runner.definition.files import resolve_schema_path
from spark_runner.definition.validate import policy_problems

DEFAULT_PII_PATTERNS = (
    r"ssn",
    r"social_?security",
    r"e_?mail",
    r"phone",
    r"mobile",
    r"birth_?date",
    r"date_?of_?birth",
    r"(^|_)dob($|_)",
    r"passport",
    r"national_?id",
    r"tax_?id",
    r"iban",
    r"credit_?card",
    r"card_?number",
)


HIGH = "high"
MEDIUM = "medium"

# personal data and schema breaks hurt consumers at once; missing metadata is a gap to close
SEVERITY = {
    "data_policy": HIGH,
    "pii_unmasked": HIGH,
    "schema_column_dropped": HIGH,
    "schema_type_changed": HIGH,
    "dry_run_failed": HIGH,
    "missing_owner": MEDIUM,
    "missing_sla": MEDIUM,
    "missing_schedule": MEDIUM,
}


@dataclass(frozen=True)
class Finding:
    code: str  # pii_unmasked | missing_owner | missing_sla | missing_schedule |
    #            schema_column_dropped | schema_type_changed
    file: str
    message: str
    severity: str = ""  # "high" | "medium"; from the code when not given

    def __post_init__(self):
        if not self.severity:
            object.__setattr__(self, "severity", SEVERITY.get(self.code, MEDIUM))

    def as_dict(self) -> dict:
        return {**asdict(self), "blocking": self.blocking}

    @property
    def blocking(self) -> bool:
        """No override reason lets an approval through."""
        return self.code in BLOCKING


BLOCKING = frozenset({"data_policy"})


def pii_patterns() -> list[re.Pattern]:
    patterns = getattr(settings, "HUB_PII_PATTERNS", None) or DEFAULT_PII_PATTERNS
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def is_personal(column: str, patterns: list[re.Pattern]) -> bool:
    return any(p.search(column) for p in patterns)


# ---------------------------------------------------------------- personal data


@dataclass
class _Dataset:
    columns: list[str] | None  # None: not known (no schema)
    masked: set[str]


def _fields(files, application, layer, ref) -> list[str] | None:
    if not ref:
        return None
    try:
        return [f.name for f in load_schema(files, application, layer, ref)]
    except (SchemaError, ValueError):
        return None


def _step(step, data: dict[str, _Dataset]) -> tuple[str, _Dataset]:
    unknown = _Dataset(None, set())
    if isinstance(step, m.Join):
        left, right = data.get(step.left, unknown), data.get(step.right, unknown)
        masked = left.masked | right.masked
        if left.columns is None or right.columns is None:
            columns = None
        elif step.type in ("semi", "anti"):
            columns = list(left.columns)
        else:
            columns = list(left.columns)
            keys = {
                t.right.column
                for t in step.terms
                if t.op == "=" and t.left.column == t.right.column
            }
            for column in right.columns:
                if column not in left.columns:
                    columns.append(column)
                elif column not in keys:
                    columns.append(f"{step.right}_{column}")
                    if column in right.masked:
                        masked.add(f"{step.right}_{column}")
        return step.output or step.left, _Dataset(columns, masked)
    if isinstance(step, m.Merge):
        parts = [data.get(s, unknown) for s in step.sources]
        columns = None if any(p.columns is None for p in parts) else []
        for part in parts:
            for column in part.columns or ():
                if column not in columns:
                    columns.append(column)
        # a column is masked after a merge only when every source masked it
        masked = set.intersection(*(p.masked for p in parts)) if parts else set()
        return step.output or step.sources[0], _Dataset(columns, masked)
    source = data.get(step.source, unknown)
    columns = None if source.columns is None else list(source.columns)
    masked = set(source.masked)
    if isinstance(step, m.Mask):
        masked |= set(step.columns)
    elif isinstance(step, m.Lookup):
        if columns is not None:
            columns += [f for f in step.output_fields if f not in columns]
    elif isinstance(step, m.Aggregate):
        kept = [*step.group_by, *(["window_start"] if step.window else [])]
        for metric in step.metrics:
            # min/max hand a column's values through; sums, averages and counts do not
            passes_values = metric.function in ("min", "max") and metric.column
            if not passes_values or metric.column in masked:
                masked.add(metric.alias)
            kept.append(metric.alias)
        columns = kept
    return step.output or step.source, _Dataset(columns, masked)


def _personal_data(pipeline: m.Pipeline, path: str, files, application) -> list[Finding]:
    if pipeline.layer != "service":
        return []
    patterns = pii_patterns()
    data: dict[str, _Dataset] = {}
    last = None
    for source in pipeline.sources:
        data[source.id] = _Dataset(
            _fields(files, application, pipeline.layer, source.schema_ref), set()
        )
        last = source.id
    for step in pipeline.transformations:
        name, dataset = _step(step, data)
        data[name] = dataset
        last = name
    findings = []
    for target in pipeline.targets:
        dataset = data.get(target.source or last or "", _Dataset(None, set()))
        columns = dataset.columns
        if columns is None:
            columns = _fields(files, application, pipeline.layer, target.schema_ref) or []
        exposed = [c for c in columns if is_personal(c, patterns) and c not in dataset.masked]
        if exposed:
            findings.append(
                Finding(
                    "pii_unmasked",
                    path,
                    f"personal data reaches service target {_target_name(target)} unmasked: "
                    f"{', '.join(exposed)} (add a mask step on these columns)",
                )
            )
    return findings


def _target_name(target) -> str:
    if isinstance(target, m.HiveTarget):
        return f"hive {target.table}"
    if isinstance(target, m.CsvTarget):
        return f"csv {target.path}"
    return f"database {target.id} ({target.table})"


# ---------------------------------------------------------------- metadata


def _metadata(definition, path: str) -> list[Finding]:
    what = f"{definition.kind} {definition.id}"
    metadata = definition.metadata
    findings = []
    for field, label in (("owner", "owner"), ("sla", "SLA"), ("schedule", "schedule")):
        if not getattr(metadata, field, None):
            findings.append(Finding(f"missing_{field}", path, f"{what} has no {label}"))
    return findings


# ---------------------------------------------------------------- target schemas


def _target_schemas(definition, files, application, layer) -> dict[str, tuple[str, dict]]:
    """target name -> (schema path, {column: type}) for targets with a readable schemaRef."""
    found = {}
    for target in getattr(definition, "targets", ()):
        if not target.schema_ref:
            continue
        try:
            path = resolve_schema_path(application, layer, target.schema_ref, files)
            fields = load_schema(files, application, layer, target.schema_ref)
        except (SchemaError, ValueError):
            continue
        found[_target_name(target)] = (path, {f.name: f.type for f in fields})
    return found


def _schema_changes(old, new, before, after, application, layer, path) -> list[Finding]:
    old_targets = _target_schemas(old, before, application, layer) if old else {}
    new_targets = _target_schemas(new, after, application, layer)
    findings = []
    for name, (schema, columns) in new_targets.items():
        if name not in old_targets:
            continue
        _, previous = old_targets[name]
        dropped = [c for c in previous if c not in columns]
        changed = [
            f"{c} {previous[c]} -> {columns[c]}"
            for c in previous
            if c in columns and previous[c] != columns[c]
        ]
        if dropped:
            findings.append(
                Finding(
                    "schema_column_dropped",
                    path,
                    f"target {name}: schema {schema} drops column(s) {', '.join(dropped)}",
                )
            )
        if changed:
            findings.append(
                Finding(
                    "schema_type_changed",
                    path,
                    f"target {name}: schema {schema} changes type of {', '.join(changed)}",
                )
            )
    return findings


# ---------------------------------------------------------------- entry points


def parsed_or_none(data: bytes | None, path: str):
    """The definition in ``data``, or None when there is none or it does not parse."""
    if data is None:
        return None
    try:
        return parse(data, path)
    except DefinitionInvalid:
        return None


def check(application: str, before, after, changed_paths) -> list[Finding]:
    """Findings for a change from ``before`` to ``after`` (FileSources) on ``changed_paths``."""
    changed = set(changed_paths)
    findings: list[Finding] = []
    affected: dict[str, tuple] = {}
    for path in changed:
        where = parse_definition_path(path)
        if where is not None and where.application == application:
            affected[path] = (where.layer, True)
    if any("/schemas/" in p or p.startswith("common/schemas/") for p in changed):
        # definitions whose target schema file the change edits
        for path in after.list(f"applications/{application}/"):
            where = parse_definition_path(path)
            if where is None or where.kind != "pipeline" or path in affected:
                continue
            definition = parsed_or_none(after.read(path), path)
            for target in getattr(definition, "targets", ()):
                if not target.schema_ref:
                    continue
                try:
                    schema = resolve_schema_path(application, where.layer, target.schema_ref, after)
                except ValueError:
                    continue
                if schema in changed:
                    affected[path] = (where.layer, False)
    for path, (layer, edited) in sorted(affected.items()):
        new = parsed_or_none(after.read(path), path)
        if new is None:
            continue
        old = parsed_or_none(before.read(path), path)
        if edited:
            findings += _metadata(new, path)
            if isinstance(new, m.Pipeline):
                findings += _personal_data(new, path, after, application)
        if isinstance(new, m.Pipeline):
            findings += _schema_changes(old or new, new, before, after, application, layer, path)
    return findings


# Commits never change, so what a change request's diff and findings are at a given (base, head)
# never changes either: they are kept in-process, so the change page, the queue and approve do
# not parse the application again each time. Keyed by the repository path too (tests use one
# repository each) and, for findings, by the personal-data patterns in force.
_diffs = LRU(256)
_findings = LRU(1024)


def change_diff(repo, base: str, head: str) -> list:
    """``repo.diff(base, head)`` (a list of ``FileChange``), cached per (repository, base, head)
    when both are full commit shas. Do not mutate the list."""
    key = (str(repo.path), base, head)
    cacheable = is_sha(base) and is_sha(head)
    if cacheable:
        cached = _diffs.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
    changes = repo.diff(base, head)
    if cacheable:
        _diffs.put(key, changes, weight=1)
    return changes


def change_request_findings(repo, change_request) -> list[Finding]:
    """Findings for a change request at its current head (against its base). The findings that
    depend only on the commits are computed once per (repository, application, base, head,
    personal-data patterns); the data policy ones at every call."""
    base, head = change_request.base_commit, change_request.head_commit
    if not head or not base:
        return []
    application = change_request.application.name
    changes = change_diff(repo, base, head)
    paths = {c.path for c in changes} | {c.old_path for c in changes if c.old_path}
    policy = policy_findings(application, repo.files(head), paths) + _dry_runs(change_request)
    patterns = tuple(p.pattern for p in pii_patterns())
    key = (str(repo.path), application, base, head, patterns)
    cached = _findings.get(key)
    if cached is not None:
        return policy + list(cached)  # type: ignore[call-overload]
    findings = check(application, repo.files(base), repo.files(head), paths)
    if is_sha(base) and is_sha(head):
        _findings.put(key, tuple(findings))
    return policy + findings


def _dry_runs(change_request) -> list[Finding]:
    """A failed dry run at the head (read afresh: it ends after the change was proposed)."""
    if getattr(change_request, "pk", None) is None:
        return []
    findings = []
    for dry_run in DryRun.objects.filter(
        change_request_id=change_request.pk,
        head_commit=change_request.head_commit,
        status__in=(PreviewStatus.FAILED, PreviewStatus.CUT_SHORT),
    ).order_by("path"):
        error = (dry_run.result or {}).get("error") or {}
        how = "was cut short" if dry_run.status == PreviewStatus.CUT_SHORT else "failed"
        findings.append(
            Finding(
                "dry_run_failed",
                dry_run.path,
                f"the dry run on sample data {how} "
                f"at {error.get('where') or 'an unknown place'}: {error.get('message', '')}",
            )
        )
    return findings


def policy_findings(application: str, after, changed_paths) -> list[Finding]:
    """Blocking findings: what the changed definitions reach outside the application's data
    policy as it is now (the policy may change while a change waits, so never cached)."""
    policy = policy_for(application)
    if policy is None:
        return []
    findings = []
    for path in sorted(set(changed_paths)):
        where = parse_definition_path(path)
        if where is None or where.application != application:
            continue
        data = after.read(path)
        definition = parsed_or_none(data, path)
        if definition is None:
            continue
        for problem in policy_problems(policy, definition, path, data):
            findings.append(
                Finding(
                    "data_policy",
                    path,
                    f"line {problem.line}:{problem.column}: {problem.message} "
                    "(the data policy cannot be overridden; staff change it)",
                )
            )
    return findings


def stored_counts(repo, change_request) -> dict:
    """``findings`` and ``high_findings`` to store on the change request at its new head (lists
    read these, never git); None when the repository cannot say."""
    from config_repo.errors import ConfigRepoError

    try:
        findings = change_request_findings(repo, change_request)
    except ConfigRepoError:
        return {"findings": None, "high_findings": None}
    return {
        "findings": len(findings),
        "high_findings": sum(f.severity == HIGH for f in findings),
    }


_SHA = re.compile(r"[0-9a-f]{40}")


def is_sha(value) -> bool:
    return isinstance(value, str) and _SHA.fullmatch(value) is not None


def clear_caches() -> None:
    """Forget cached diffs and findings (tests; nothing else needs it)."""
    global _diffs, _findings
    _diffs = LRU(256)
    _findings = LRU(1024)

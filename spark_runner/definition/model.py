"""Typed model of the pipeline language: what the parser produces and the engine runs.

Every class is a frozen dataclass. ``loc`` (where the element stands in its file) is left out of
equality so that parse -> render -> parse gives an equal model even though lines move.

Dataset flow (see docs/authors/pipeline-language.md): a step's result replaces the dataset its
``source`` names (``left`` for a join, the first of ``sources`` for a merge) unless the step
names an ``output``, which then becomes a new dataset id. A target reads ``source``, defaulting
to the last dataset produced (the last step's output, or the last source when there are no steps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LAYERS = ("staging", "standardization", "service")
Layer = Literal["staging", "standardization", "service"]
LoadPolicy = Literal["eager", "onDemand"]
IsolationLevel = Literal["READ_COMMITTED", "READ_UNCOMMITTED", "REPEATABLE_READ", "SERIALIZABLE"]

# The key secret of a keyed mask (tokenize, hash, encrypt) that names no secretRef.
DEFAULT_MASKING_SECRET = "masking_default"  # noqa: S105 - a name, not a value

# Parameters every run has, whatever the definition declares.
BUILTIN_PARAMETERS = ("runDate", "runId", "application", "pipelineId")


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def _loc() -> Location | None:
    return field(default=None, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Metadata:
    owner: str | None = None
    sla: str | None = None  # ISO-8601 duration, e.g. "PT2H"
    schedule: str | None = None  # 5-field cron
    description: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Parameter:
    """``<parameters><parameter name="region" default="eu"/></parameters>``: a run parameter."""

    name: str
    default: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------- sources


@dataclass(frozen=True)
class CsvSource:
    id: str
    path: str
    header: bool = True
    delimiter: str = ","
    infer_schema: bool = False
    load_policy: LoadPolicy = "onDemand"
    schema_ref: str | None = None
    # Rows that do not fit schema_ref: "fail" the run, or "reject" them to a rejects output.
    on_invalid_rows: Literal["fail", "reject"] = "fail"
    loc: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DatabaseSource:
    id: str
    jdbc_url: str
    sql: str | None = None  # exactly one of sql / table
    table: str | None = None
    user_secret_ref: str | None = None
    fetch_size: int | None = None
    load_policy: LoadPolicy = "onDemand"
    isolation_level: IsolationLevel | None = None
    schema_ref: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)


Source = CsvSource | DatabaseSource


# ---------------------------------------------------------------- transformations


@dataclass(frozen=True)
class Deduplicate:
    source: str
    keys: tuple[str, ...]
    keep: Literal["first", "last", "latest"] = "first"
    # first/last: by order_by when given, else by input order. latest: greatest order_by
    # (default column "updated_at").
    order_by: tuple[str, ...] = ()
    output: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)

    tag = "deduplicate"


@dataclass(frozen=True)
class Sort:
    source: str
    order_by: tuple[str, ...]
    direction: Literal["asc", "desc"] = "asc"
    nulls: Literal["first", "last"] | None = None
    output: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)

    tag = "sort"


@dataclass(frozen=True)
class ColumnRef:
    dataset: str
    column: str


@dataclass(frozen=True)
class Comparison:
    left: ColumnRef
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    right: ColumnRef


@dataclass(frozen=True)
class Join:
    left: str
    right: str
    type: Literal["inner", "left", "right", "full", "semi", "anti"]
    condition: str  # as written; the engine uses `terms`
    terms: tuple[Comparison, ...] = field(default=(), compare=False)  # AND-ed
    output: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)

    tag = "join"


@dataclass(frozen=True)
class Lookup:
    source: str
    # "country_dim" -> common/lookups/country_dim.csv; "db.table" -> a Hive table.
    reference: str
    output_fields: tuple[str, ...]
    join_type: Literal["left", "inner"] = "left"
    keys: tuple[str, ...] = ()  # default: the lookup file's first column
    output: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)

    tag = "lookup"


@dataclass(frozen=True)
class Merge:
    """Union datasets by column name (missing columns become null), or upsert by keys."""

    sources: tuple[str, ...]  # two or more; the result replaces sources[0] unless output
    mode: Literal["union", "upsert"] = "union"
    keys: tuple[str, ...] = ()  # upsert: required
    order_by: tuple[str, ...] = ()  # upsert: newest wins; ties go to the later source
    output: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)

    tag = "merge"

    @property
    def source(self) -> str:
        return self.sources[0]


@dataclass(frozen=True)
class Mask:
    source: str
    columns: tuple[str, ...]
    strategy: Literal["tokenize", "hash", "redact", "encrypt"]
    secret_ref: str | None = None  # keyed strategies: default DEFAULT_MASKING_SECRET
    output: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)

    tag = "mask"


@dataclass(frozen=True)
class Metric:
    function: Literal["count", "sum", "avg", "min", "max"]
    column: str | None  # None: count(*)
    alias: str


@dataclass(frozen=True)
class Aggregate:
    source: str
    group_by: tuple[str, ...]
    metrics: tuple[Metric, ...]
    metrics_text: str = field(default="", compare=False)  # as written
    window: Literal["daily", "weekly"] | None = None
    time_column: str | None = None  # required with window
    output: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)

    tag = "aggregate"


Transformation = Deduplicate | Sort | Join | Lookup | Merge | Mask | Aggregate


# ---------------------------------------------------------------- targets


@dataclass(frozen=True)
class HiveTarget:
    table: str  # database.table
    mode: Literal["append", "overwrite", "merge"] = "append"
    partition_by: tuple[str, ...] = ()
    format: Literal["parquet", "orc", "delta"] = "parquet"
    keys: tuple[str, ...] = ()  # merge: required
    schema_ref: str | None = None
    source: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CsvTarget:
    path: str  # may hold %Y %m %d, filled from runDate
    mode: Literal["append", "overwrite", "ignore", "error"] = "overwrite"
    compression: Literal["gzip", "bzip2", "snappy", "none"] = "none"
    header: bool = True
    delimiter: str = ","
    schema_ref: str | None = None
    source: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DatabaseTarget:
    id: str
    jdbc_url: str
    table: str
    mode: Literal["append", "overwrite", "merge", "truncateInsert"] = "append"
    user_secret_ref: str | None = None
    write_batch_size: int | None = None
    isolation_level: IsolationLevel | None = None
    keys: tuple[str, ...] = ()  # merge: default the table's primary key, found at run time
    schema_ref: str | None = None
    source: str | None = None
    loc: Location | None = field(default=None, compare=False, repr=False)


Target = HiveTarget | CsvTarget | DatabaseTarget


# ---------------------------------------------------------------- notifications


NotifyOn = Literal["failure", "success", "completion", "slaBreach"]


@dataclass(frozen=True)
class EmailNotification:
    to: tuple[str, ...]
    on: NotifyOn = "failure"
    loc: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class WebhookNotification:
    url: str
    on: NotifyOn = "failure"
    secret_ref: str | None = None  # HMAC-SHA-256 signing key
    loc: Location | None = field(default=None, compare=False, repr=False)


Notification = EmailNotification | WebhookNotification


# ---------------------------------------------------------------- documents


@dataclass(frozen=True)
class Pipeline:
    id: str
    version: str
    layer: Layer
    metadata: Metadata = Metadata()
    parameters: tuple[Parameter, ...] = ()
    sources: tuple[Source, ...] = ()
    transformations: tuple[Transformation, ...] = ()
    targets: tuple[Target, ...] = ()
    notifications: tuple[Notification, ...] = ()
    loc: Location | None = field(default=None, compare=False, repr=False)

    kind = "pipeline"


@dataclass(frozen=True)
class PipelineRef:
    id: str  # a pipeline id of the same application, in any layer
    depends_on: tuple[str, ...] = ()
    on_failure: Literal["retry", "halt", "skip", "continue", "fallback"] = "halt"
    max_retries: int | None = None  # only with retry
    fallback: str | None = None  # only with fallback: a pipeline id
    loc: Location | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class JobPipeline:
    id: str
    version: str
    metadata: Metadata = Metadata()
    parameters: tuple[Parameter, ...] = ()
    pipelines: tuple[PipelineRef, ...] = ()
    notifications: tuple[Notification, ...] = ()
    loc: Location | None = field(default=None, compare=False, repr=False)

    kind = "job"


Definition = Pipeline | JobPipeline

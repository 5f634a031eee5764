"""Every read of run state, for the pages and the API: who sees what, the run lists, one run and
its attempts, the inbox, the dashboard.

Visibility, the one rule: a user sees runs and alerts of the applications where they hold any
role (staff: all); operators of an application act on its runs. ``visible`` is None for "every
application", else the list of names.

Lists are keyset-paginated on ``(queued_at, id)`` (alerts: ``(created_at, id)``) descending: a page
is one index range scan, however deep. One cursor format, ``<UTC time>_<id>``, for the pages and
the API: nothing in it needs escaping in a URL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Prefetch, Q
from django.utils import timezone

from pipelines_app.permissions import applications_for, has_role
from runs_app import definitions
from runs_app.models import STATUSES, Alert, JobRun, PipelineRun
from runs_app.reports import OUTCOMES, day_start, outcome_filter

PAGE_SIZE = 50
CURSOR_TIME = "%Y%m%dT%H%M%S.%f"
RANGES = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}
RANGES |= {"30d": timedelta(days=30)}
STATUS_NAMES = tuple(s for s, _ in STATUSES)


def visible_applications(user) -> list[str] | None:
    """The applications whose runs ``user`` sees; None means every one (staff)."""
    if user.is_authenticated and user.is_staff:
        return None
    return applications_for(user)


def can_read(user, application: str) -> bool:
    return has_role(user, application)


def can_operate(user, application: str) -> bool:
    return has_role(user, application, "operator")


def _scoped(queryset, visible):
    return queryset if visible is None else queryset.filter(application__in=visible)


# ---------------------------------------------------------------- cursors


class BadCursor(ValueError):
    pass


def cursor_of(row, at: str = "queued_at") -> str:
    """``<time in UTC>_<id>`` of a run (``queued_at``) or an alert (``created_at``)."""
    return f"{getattr(row, at).astimezone(UTC).strftime(CURSOR_TIME)}_{row.id}"


def parse_cursor(raw: str, ident=uuid.UUID) -> tuple[datetime, object]:
    """The (time, id) of a cursor ``cursor_of`` made; ``BadCursor`` for anything else."""
    try:
        stamp, _, value = raw.rpartition("_")
        when = datetime.strptime(stamp, CURSOR_TIME).replace(tzinfo=UTC)
        return when, ident(value)
    except (ValueError, TypeError, AttributeError):
        raise BadCursor("cursor is not one this API returned") from None


# ---------------------------------------------------------------- the run list


@dataclass
class RunFilters:
    """The list's GET parameters, cleaned: unknown values are dropped and named in ``problems``."""

    application: str = ""
    pipeline: str = ""
    status: str = ""
    range: str = ""
    since: datetime | None = None
    category: str = ""
    message: str = ""
    sla: str = ""  # met | missed | pending (runs_app.reports.outcome_filter)
    day: str = ""  # yyyy-mm-dd: runs queued that day (a bar of the SLA trend)
    first_day: str = ""  # yyyy-mm-dd: runs queued since that day (an SLA window)
    until: datetime | None = None
    top_level: bool = False  # hide the pipeline runs that are nodes of a job
    before: tuple[datetime, uuid.UUID] | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, query, applications: list[str]) -> RunFilters:
        f = cls()

        def get(name: str, limit: int) -> str:
            # PostgreSQL text cannot hold NUL; nothing legitimate has one
            return query.get(name, "").replace("\x00", "").strip()[:limit]

        app = get("application", 64)
        if app and app not in applications:
            f.problems.append(f'no application "{app[:60]}" among yours; showing all')
        else:
            f.application = app
        f.pipeline = get("pipeline", 128)
        status = get("status", 30)
        if status and status not in STATUS_NAMES:
            f.problems.append(
                f'unknown status "{status[:30]}"; use one of {", ".join(STATUS_NAMES)}'
            )
        else:
            f.status = status
        rng = get("range", 20)
        if rng and rng not in RANGES:
            f.problems.append(f'unknown time range "{rng[:20]}"; use {", ".join(RANGES)}')
        elif rng:
            f.range, f.since = rng, timezone.now() - RANGES[rng]
        f.category = get("category", 32)
        f.message = get("message", 200)
        _sla_filters(f, get("sla", 10), get("day", 10), get("from", 10))
        f.top_level = get("top", 5) == "1"
        f.before = _cursor(get("before", 100), f.problems)
        return f

    def query(self, **override) -> str:
        """The filters as a query string (for links that keep them)."""
        names = ("application", "pipeline", "status", "range", "category", "message", "sla", "day")
        values = {n: getattr(self, n) for n in names} | {"top": "1" if self.top_level else ""}
        values["from"] = self.first_day
        values |= override
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def active(self) -> bool:
        chosen = (self.application, self.pipeline, self.status, self.range, self.category)
        return any((*chosen, self.top_level, self.sla, self.day, self.first_day))


def _sla_filters(f: RunFilters, sla: str, day: str, first: str) -> None:
    """The SLA page's links: an outcome, one day, or the days since one."""
    if sla and sla not in OUTCOMES:
        f.problems.append(f'unknown SLA outcome "{sla}"; use one of {", ".join(OUTCOMES)}')
    else:
        f.sla = sla
    for name, value in (("day", day), ("from", first)):
        if not value:
            continue
        try:
            start = day_start(date.fromisoformat(value))
        except ValueError:
            f.problems.append(f'{name} must be a date like 2026-11-30, not "{value}"')
            continue
        if name == "day":
            f.day, f.until = value, start + timedelta(days=1)
        else:
            f.first_day = value
        f.since = max(f.since, start) if f.since else start


def _cursor(raw: str, problems: list[str]) -> tuple[datetime, uuid.UUID] | None:
    if not raw:
        return None
    try:
        return parse_cursor(raw)
    except BadCursor:
        problems.append("that page link is not valid any more; showing the newest runs")
        return None


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _filtered(model, name_field: str, f: RunFilters, visible):
    qs = _scoped(model.objects.all(), visible)
    if f.application:
        qs = qs.filter(application=f.application)
    if f.pipeline:
        qs = qs.filter(**{name_field: f.pipeline})
    if f.status:
        qs = qs.filter(status=f.status)
    if f.since:
        qs = qs.filter(queued_at__gte=f.since)
    if f.until:
        qs = qs.filter(queued_at__lt=f.until)
    if f.sla:
        qs = qs.filter(outcome_filter(f.sla))
    if f.category:
        qs = qs.filter(error_category=f.category)
    if f.message:
        qs = qs.filter(error_message__startswith=f.message)
    if f.top_level and model is PipelineRun:
        qs = qs.filter(job_run__isnull=True)
    if f.before:
        at, ident = f.before
        qs = qs.filter(Q(queued_at__lt=at) | Q(queued_at=at, id__lt=ident))
    return qs


def run_page(f: RunFilters, visible) -> tuple[list, str | None]:
    """One page of pipeline runs and job runs, newest first, and the cursor of the next page.

    Keyset pagination over both tables: each side is cut at the cursor and limited, the two heads
    are merged by (queued_at, id), so a page costs the same at run one and at run one million.
    Two queries, not a UNION of sliced subqueries: SQLite refuses LIMIT inside a compound."""
    keys = ("id", "queued_at")
    order = ("-queued_at", "-id")
    head = []
    for model, name_field, kind in (
        (PipelineRun, "pipeline_id", "pipeline"),
        (JobRun, "job_id", "job"),
    ):
        rows = _filtered(model, name_field, f, visible).order_by(*order).values(*keys)
        head += [{**row, "kind": kind} for row in rows[: PAGE_SIZE + 1]]
    head.sort(key=lambda r: (r["queued_at"], r["id"]), reverse=True)
    more = len(head) > PAGE_SIZE
    head = head[:PAGE_SIZE]
    runs = _load(head)
    return runs, (cursor_of(runs[-1]) if more and runs else None)


def _load(head: list[dict]) -> list:
    pipeline_ids = [r["id"] for r in head if r["kind"] == "pipeline"]
    job_ids = [r["id"] for r in head if r["kind"] == "job"]
    found = {
        r.id: r
        for r in PipelineRun.objects.filter(id__in=pipeline_ids).select_related(
            "triggered_by", "job_run"
        )
    }
    targets_only = PipelineRun.objects.only("id", "job_run_id", "targets")
    jobs = JobRun.objects.filter(id__in=job_ids).select_related("triggered_by")
    jobs = jobs.prefetch_related(Prefetch("pipeline_runs", queryset=targets_only))
    found |= {r.id: r for r in jobs}
    return [found[r["id"]] for r in head if r["id"] in found]


def known_names(visible) -> list[str]:
    """Pipeline and job ids published on main, for the filter's suggestions. Read from the
    config repository (cached per commit), not from the run table, which may hold millions."""
    try:
        found = definitions.repository().definitions("main")
    except Exception:  # suggestions are a convenience: an unreadable repository shows none
        return []
    return sorted({d.id for d in found if visible is None or d.application in visible})


# ---------------------------------------------------------------- one run


def find_run(run_id, visible) -> PipelineRun | JobRun | None:
    """A pipeline run or a job run by id among the ``visible`` applications', or None."""
    related = {PipelineRun: ("triggered_by", "rerun_of", "job_run"), JobRun: ("triggered_by",)}
    for model in (PipelineRun, JobRun):
        run = _scoped(model.objects.select_related(*related[model]), visible)
        run = run.filter(id=run_id).first()
        if run is not None:
            return run
    return None


def rows_written(run) -> int | None:
    if isinstance(run, JobRun):
        runs = run.pipeline_runs.all()  # prefetched on the run list
        counts = [t.get("rows_written") for r in runs for t in r.targets or ()]
    else:
        counts = [t.get("rows_written") for t in run.targets or ()]
    counts = [c for c in counts if isinstance(c, int)]
    return sum(counts) if counts else None


# An attempt is one try of the same work: a job node's runs (its retries and fallback), or a
# lone run and the retries that followed it (``trigger="retry"``, linked by ``rerun_of``). An
# operator's rerun is new work, not an attempt.


def _node_runs(run: PipelineRun):
    return PipelineRun.objects.filter(job_run_id=run.job_run_id, job_node=run.job_node)


def first_attempt(run: PipelineRun) -> PipelineRun:
    """The first try of ``run``'s retry chain (walking ``rerun_of`` back over retries of the same
    pipeline; a job node's fallback is a new chain)."""
    first, seen = run, {run.id}
    while first.trigger == "retry" and first.rerun_of_id and first.rerun_of_id not in seen:
        previous = PipelineRun.objects.filter(id=first.rerun_of_id).first()
        if previous is None or previous.pipeline_id != run.pipeline_id:
            break
        first = previous
        seen.add(first.id)
    return first


def run_attempts(run: PipelineRun) -> list[PipelineRun]:
    """Every attempt of ``run``'s work, itself included, oldest first."""
    if run.job_run_id:
        return list(_node_runs(run).order_by("attempt", "queued_at"))
    chain = [first_attempt(run)]
    seen = {chain[0].id}
    while True:
        retry = PipelineRun.objects.filter(rerun_of=chain[-1], trigger="retry").first()
        if retry is None or retry.id in seen:
            return chain
        seen.add(retry.id)
        chain.append(retry)


def related_runs(run) -> list:
    """Other runs of the same work, for the run page: the run it repeats, its reruns and
    retries, and for a node of a job the node's other attempts."""
    model = type(run)
    related = set()
    if run.rerun_of_id:
        related.add(run.rerun_of_id)
    related |= set(model.objects.filter(rerun_of=run).values_list("id", flat=True))
    if isinstance(run, PipelineRun) and run.job_run_id:
        related |= set(_node_runs(run).exclude(id=run.id).values_list("id", flat=True))
    return list(model.objects.filter(id__in=related).order_by("queued_at"))


def job_nodes(job: JobRun) -> list:
    return list(job.nodes.select_related("current_run").order_by("position"))


def alerts_of(run):
    lookup = {"job_run": run} if isinstance(run, JobRun) else {"run": run}
    return Alert.objects.filter(**lookup).order_by("-created_at")[:50]


def deliveries_of(run):
    return run.deliveries.all()[:100]


# ---------------------------------------------------------------- alerts


ALERT_PAGE = 50


def inbox(visible, show: str = "open", before: str = "", limit: int = ALERT_PAGE):
    """One page of alerts, newest first, from the keyset ``before`` (``<created_at>_<id>``)
    on the ``alert_open_page`` / ``alert_page`` indexes; unacknowledged only unless ``show``
    is ``all``."""
    alerts = _scoped(Alert.objects.select_related("run", "job_run", "acknowledged_by"), visible)
    if show == "open":
        alerts = alerts.filter(acknowledged=False)
    try:
        at, ident = parse_cursor(before, int) if before else (None, None)
    except BadCursor:
        at = None  # a stale link shows the newest alerts
    if at is not None:
        alerts = alerts.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=ident))
    return alerts.order_by("-created_at", "-id")[:limit]


def find_alert(alert_id: int, visible) -> Alert | None:
    return _scoped(Alert.objects.filter(id=alert_id), visible).first()


def alert_cursor_of(alert) -> str:
    return cursor_of(alert, "created_at")


def unread_count(visible) -> int:
    return _scoped(Alert.objects.filter(acknowledged=False), visible).count()


# ---------------------------------------------------------------- dashboard


def failure_reasons(visible, days: int = 14, limit: int = 8) -> list[dict]:
    """The commonest (category, first words of the message) among recent failed pipeline runs."""
    since = timezone.now() - timedelta(days=days)
    failed = _scoped(PipelineRun.objects.filter(status="failed", queued_at__gte=since), visible)
    counts: dict[tuple[str, str], int] = {}
    for category, message in failed.values_list("error_category", "error_message")[:5000]:
        key = (category or "unknown", message_prefix(message))
        counts[key] = counts.get(key, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [{"category": c, "prefix": p, "count": n} for (c, p), n in top]


def message_prefix(message: str, length: int = 60) -> str:
    """The part of a message that names the kind of failure, not this run's details."""
    first = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    return first[:length]


def running_now(visible):
    pipelines = _scoped(PipelineRun.objects.filter(status__in=("queued", "running")), visible)
    jobs = _scoped(JobRun.objects.filter(status__in=("queued", "running")), visible)
    targets_only = PipelineRun.objects.only("id", "job_run_id", "targets")
    jobs = jobs.select_related("triggered_by").prefetch_related(
        Prefetch("pipeline_runs", queryset=targets_only)
    )
    runs = list(pipelines.select_related("job_run", "triggered_by")[:30]) + list(jobs[:30])
    return sorted(runs, key=lambda r: r.queued_at, reverse=True)


# ---------------------------------------------------------------- the API's run list


@dataclass
class Page:
    items: list
    next_cursor: str | None


def run_list(
    *,
    visible: list[str] | None,
    application: str | None = None,
    pipeline: str | None = None,
    job: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str = "pipeline",
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """Pipeline runs (or job runs) newest first; ``BadCursor`` for a cursor not made here."""
    model = JobRun if kind == "job" else PipelineRun
    qs = _scoped(model.objects.all(), visible)
    if application:
        qs = qs.filter(application=application)
    if pipeline and kind != "job":
        qs = qs.filter(pipeline_id=pipeline)
    if job:
        qs = qs.filter(job_id=job) if kind == "job" else qs.filter(job_run__job_id=job)
    if status:
        qs = qs.filter(status=status)
    if since:
        qs = qs.filter(queued_at__gte=since)
    if until:
        qs = qs.filter(queued_at__lt=until)
    if cursor:
        when, run_id = parse_cursor(cursor)
        qs = qs.filter(Q(queued_at__lt=when) | Q(queued_at=when, id__lt=run_id))
    items = list(qs.order_by("-queued_at", "-id")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return Page(items, cursor_of(items[-1]) if more and items else None)


def run_alerts(run) -> list[Alert]:
    return list(run.alerts.all())

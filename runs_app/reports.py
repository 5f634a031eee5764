"""Dashboard and SLA figures, read from the rollups (``RunDay``) plus the few active runs: no
query here reads the run table beyond its partial index of active runs.

SLA outcome of a run with a deadline: ``met`` when it succeeded by the deadline; ``missed`` when
it failed, was cancelled or skipped, finished late, or is still active past the deadline;
``pending`` while it is active and inside its window (shown, never counted in a percentage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from runs_app.charts import DayCount
from runs_app.models import ACTIVE, JobRun, PipelineRun, RunAppDay, RunDay

OUTCOMES = ("met", "missed", "pending")
WINDOWS = (7, 30, 90)
TREND_DAYS = 90


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def first_day(days: int) -> date:
    return timezone.localdate() - timedelta(days=days - 1)


def outcome_filter(outcome: str, now: datetime | None = None) -> Q:
    """The runs with ``outcome``, as a filter on the run tables (the run list's ``sla=``)."""
    now = now or timezone.now()
    tracked = Q(sla_deadline__isnull=False)
    met = Q(status="succeeded", finished_at__lte=F("sla_deadline"))
    active = Q(status__in=ACTIVE)
    if outcome == "met":
        return tracked & met
    if outcome == "pending":
        return tracked & active & Q(sla_deadline__gte=now)
    return tracked & ~met & (~active | Q(sla_deadline__lt=now))


def _scoped(queryset, visible):
    return queryset if visible is None else queryset.filter(application__in=visible)


def _active_with_deadline(visible, since: datetime):
    """(kind, application, name, day, late) of active runs with a deadline: a handful."""
    now = timezone.now()
    for model, kind, name_field in (
        (PipelineRun, "pipeline", "pipeline_id"),
        (JobRun, "job", "job_id"),
    ):
        rows = _scoped(model.objects.filter(status__in=ACTIVE, sla_deadline__isnull=False), visible)
        rows = rows.filter(queued_at__gte=since).values_list(
            "application", name_field, "queued_at", "sla_deadline"
        )
        for application, name, queued_at, deadline in rows:
            yield kind, application, name, timezone.localtime(queued_at).date(), deadline < now


# ---------------------------------------------------------------- compliance


class _Outcomes:
    """Met and missed count; pending runs are shown but never in a percentage."""

    met: int
    missed: int

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return 100.0 * self.met / self.total if self.total else None


@dataclass
class Compliance(_Outcomes):
    application: str
    kind: str = ""
    name: str = ""  # empty for an application's row
    met: int = 0
    missed: int = 0
    pending: int = 0


def compliance(visible, days: int = 30, per: str = "application") -> list[Compliance]:
    """Per application (``per="application"``) or per pipeline and job (``per="name"``) over the
    last ``days`` days (today included), by the day each run was queued."""
    first = first_day(days)
    keys = ("application",) if per == "application" else ("application", "kind", "name")
    source = RunAppDay if per == "application" else RunDay
    rows = (
        _scoped(source.objects.filter(day__gte=first, sla__in=("met", "missed")), visible)
        .values(*keys, "sla")
        .annotate(n=Sum("runs"))
        .order_by()
    )
    found: dict[tuple, Compliance] = {}

    def row_for(values: dict) -> Compliance:
        key = tuple(values[k] for k in keys)
        if key not in found:
            found[key] = Compliance(**dict(zip(keys, key, strict=True)))
        return found[key]

    for row in rows:
        c = row_for(row)
        setattr(c, row["sla"], getattr(c, row["sla"]) + row["n"])
    for kind, application, name, _day, late in _active_with_deadline(visible, day_start(first)):
        c = row_for({"application": application, "kind": kind, "name": name})
        if late:
            c.missed += 1
        else:
            c.pending += 1
    return sorted(found.values(), key=lambda c: (c.application, c.kind, c.name))


@dataclass(frozen=True)
class DayCompliance(_Outcomes):
    day: date
    met: int = 0
    missed: int = 0
    pending: int = 0


def trend(
    visible, days: int = TREND_DAYS, application: str = "", name: str = ""
) -> list[DayCompliance]:
    """SLA compliance per day over the last ``days`` days, oldest first; one entry per day."""
    first = first_day(days)
    source = RunDay if name else RunAppDay
    rows = _scoped(source.objects.filter(day__gte=first, sla__in=("met", "missed")), visible)
    if application:
        rows = rows.filter(application=application)
    if name:
        rows = rows.filter(name=name)
    counts: dict[date, dict[str, int]] = {}
    for row in rows.values("day", "sla").annotate(n=Sum("runs")).order_by():
        counts.setdefault(row["day"], {}).setdefault(row["sla"], 0)
        counts[row["day"]][row["sla"]] += row["n"]
    for _kind, app, run_name, day, late in _active_with_deadline(visible, day_start(first)):
        if (application and app != application) or (name and run_name != name):
            continue
        outcome = "missed" if late else "pending"
        counts.setdefault(day, {}).setdefault(outcome, 0)
        counts[day][outcome] += 1
    return [
        DayCompliance(day, **counts.get(day, {}))
        for day in (first + timedelta(days=i) for i in range(days))
    ]


# ---------------------------------------------------------------- runs per day


def runs_per_day(visible, days: int = 14) -> list[DayCount]:
    """Runs per day and status (the dashboard's chart): ended ones from the rollup, active ones
    from the partial index."""
    first = first_day(days)
    counts: dict[date, dict[str, int]] = {}
    ended = _scoped(RunAppDay.objects.filter(day__gte=first), visible)
    for row in ended.values("day", "status").annotate(n=Sum("runs")).order_by():
        counts.setdefault(row["day"], {}).setdefault(row["status"], 0)
        counts[row["day"]][row["status"]] += row["n"]
    for model in (PipelineRun, JobRun):
        active = _scoped(model.objects.filter(status__in=ACTIVE), visible)
        active = active.filter(queued_at__gte=day_start(first)).annotate(day=TruncDate("queued_at"))
        for row in active.values("day", "status").annotate(n=Count("id")).order_by():
            counts.setdefault(row["day"], {}).setdefault(row["status"], 0)
            counts[row["day"]][row["status"]] += row["n"]
    result = []
    for i in range(days):
        day = first + timedelta(days=i)
        c = counts.get(day, {})
        ok, bad = c.get("succeeded", 0), c.get("failed", 0)
        result.append(DayCount(day, ok, bad, sum(c.values()) - ok - bad))
    return result

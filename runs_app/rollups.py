"""Rollups of ended runs: per day (``RunDay``) and since the beginning (``RunTotal``), by kind,
application, name, status and SLA outcome, with duration buckets; and per day without the name
(``RunAppDay``, counts only) for the figures over every pipeline of an application.

``record`` adds one ended run inside the transaction that ended it, with one atomic upsert per
table (``INSERT … ON CONFLICT … DO UPDATE SET runs = runs + 1``): concurrent run ends add up,
on PostgreSQL and SQLite alike. ``rebuild`` recomputes both tables from the run tables.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from runs_app.models import (
    DURATION_BUCKETS,
    JobRun,
    PipelineRun,
    RunAppDay,
    RunDay,
    RunTotal,
)

BUCKET_COLUMNS = (*(f"b_{b}" for b in DURATION_BUCKETS), "b_inf")
KEY = ("kind", "application", "name", "status", "sla")
COUNTS = ("runs", "timed", "seconds", *BUCKET_COLUMNS)
MISSES = ("failed", "cancelled", "skipped")


def sla_outcome(status: str, finished_at, deadline) -> str:
    """``met`` only when it succeeded by its deadline; failed, cancelled, skipped and late runs
    ``missed`` it; ``none`` without an SLA. (An active run is pending: not counted here.)"""
    if deadline is None:
        return "none"
    if status == "succeeded" and finished_at is not None and finished_at <= deadline:
        return "met"
    return "missed"


def bucket_of(seconds: float) -> str:
    for bound, column in zip(DURATION_BUCKETS, BUCKET_COLUMNS, strict=False):
        if seconds <= bound:
            return column
    return "b_inf"


def day_of(moment) -> date:
    return timezone.localtime(moment).date()


def counts_of(run) -> dict:
    values = dict.fromkeys(COUNTS, 0)
    values["runs"] = 1
    if run.started_at and run.finished_at:
        seconds = max(0.0, (run.finished_at - run.started_at).total_seconds())
        values |= {"timed": 1, "seconds": seconds, bucket_of(seconds): 1}
    return values


def _upsert(table: str, key: dict, counts: dict) -> None:
    columns = [*key, *counts]
    conflict = ", ".join(key)
    adds = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {adds}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key.values(), *counts.values()])


def record(run) -> None:
    """Adds one run that has just reached a final status (call once, in that transaction)."""
    key = {
        "kind": run.kind,
        "application": run.application,
        "name": run.name,
        "status": run.status,
        "sla": sla_outcome(run.status, run.finished_at, run.sla_deadline),
    }
    counts = counts_of(run)
    day = day_of(run.queued_at)
    _upsert(RunDay._meta.db_table, {"day": day, **key}, counts)
    _upsert(RunTotal._meta.db_table, key, counts)
    per_app = {k: v for k, v in key.items() if k != "name"}
    _upsert(RunAppDay._meta.db_table, {"day": day, **per_app}, {"runs": 1})


# ---------------------------------------------------------------- rebuild


def _rows(model, kind: str, name_field: str):
    """One RunDay per (day, key, outcome), grouped by the database in one pass."""
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    timed = Q(started_at__isnull=False, finished_at__isnull=False)
    buckets, lower = {}, None
    for bound, column in zip(DURATION_BUCKETS, BUCKET_COLUMNS, strict=False):
        cut = Q(d__lte=timedelta(seconds=bound)) & (Q(d__gt=lower) if lower else Q())
        buckets[column] = Count("id", filter=timed & cut)
        lower = timedelta(seconds=bound)
    buckets["b_inf"] = Count("id", filter=timed & Q(d__gt=lower))
    outcome = Case(
        When(sla_deadline__isnull=True, then=Value("none")),
        When(status="succeeded", finished_at__lte=F("sla_deadline"), then=Value("met")),
        default=Value("missed"),
        output_field=CharField(),
    )
    rows = (
        model.objects.filter(status__in=("succeeded", *MISSES))
        .annotate(d=duration, day=TruncDate("queued_at"), outcome=outcome)
        .values("day", "application", name_field, "status", "outcome")
        .annotate(runs=Count("id"), timed=Count("id", filter=timed), total=Sum("d"), **buckets)
        .order_by("day")  # written in day order, as run ends write them: a window is contiguous
    )
    for row in rows.iterator(chunk_size=5000):
        total = row.pop("total")
        yield RunDay(
            day=row.pop("day"),
            kind=kind,
            application=row.pop("application"),
            name=row.pop(name_field),
            sla=row.pop("outcome"),
            seconds=total.total_seconds() if total else 0.0,
            **row,
        )


def rebuild(batch: int = 5000) -> tuple[int, int]:
    """Recomputes the rollups from the run tables; returns (day rows, total rows). Run ends
    wait for it (the rollup tables are locked on PostgreSQL), so none is lost or counted twice."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                tables = ", ".join(m._meta.db_table for m in (RunDay, RunTotal, RunAppDay))
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        for model in (RunDay, RunTotal, RunAppDay):
            model.objects.all().delete()
        totals: dict[tuple, dict] = {}
        per_app: dict[tuple, int] = {}
        days = 0
        pending: list[RunDay] = []
        for model, kind, name_field in (
            (PipelineRun, "pipeline", "pipeline_id"),
            (JobRun, "job", "job_id"),
        ):
            for row in _rows(model, kind, name_field):
                key = tuple(getattr(row, k) for k in KEY)
                total = totals.setdefault(key, dict.fromkeys(COUNTS, 0))
                for column in COUNTS:
                    total[column] += getattr(row, column)
                app_key = (row.day, row.kind, row.application, row.status, row.sla)
                per_app[app_key] = per_app.get(app_key, 0) + row.runs
                pending.append(row)
                if len(pending) >= batch:
                    days += len(RunDay.objects.bulk_create(pending))
                    pending = []
        days += len(RunDay.objects.bulk_create(pending))
        RunTotal.objects.bulk_create(
            RunTotal(**dict(zip(KEY, key, strict=True)), **counts) for key, counts in totals.items()
        )
        RunAppDay.objects.bulk_create(
            (
                RunAppDay(day=d, kind=k, application=a, status=st, sla=sla, runs=n)
                for (d, k, a, st, sla), n in per_app.items()
            ),
            batch_size=batch,
        )
        return days, len(totals)

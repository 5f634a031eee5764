"""Operator pages: run list, run detail (with actions), run now, alerts inbox, dashboard.

``webkit.responses.respond`` decides page or fragment: one URL serves both, and an htmx
request names the part it wants by its target id (netbox's pattern). Reads go through
``runs_app.selectors``, writes through ``runs_app.operations``; views check who may, call one
thing, render.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from pipelines_app.audit import client_of
from runs_app import charts, operations, reports, services
from runs_app import selectors as q
from runs_app.forms import DefinitionNotFound, RunNowForm, params_from_post
from runs_app.models import JobRun
from webkit.responses import respond

ACTIVE_POLL = "every 2s"
PORTAL_SET = ("runId", "application", "pipelineId")
ALERT_KINDS = {"sla_breach": "SLA breach", "delivery_failed": "delivery failed"}
ALERT_KINDS |= {"worker_lost": "worker lost", "failure": "failure"}


def _run_or_404(request, run_id):
    run = q.find_run(run_id, q.visible_applications(request.user))
    if run is None:
        raise Http404("No such run")
    return run


def _require_operator(request, application: str) -> None:
    if not q.can_operate(request.user, application):
        raise PermissionDenied(f"Only operators of {application} can do this.")


def _decorate(run, now=None):
    """What every row and header shows, worked out once."""
    now = now or timezone.now()
    run.is_job = isinstance(run, JobRun)
    end = run.finished_at or (now if run.started_at else None)
    run.elapsed = (end - run.started_at).total_seconds() if run.started_at and end else None
    run.elapsed_text = q.duration_text(run.elapsed)
    run.sla_text = run.sla_status.replace("_", " ")
    run.written = q.rows_written(run)
    return run


def _label(alert):
    alert.kind_label = ALERT_KINDS.get(alert.kind, alert.kind.replace("_", " "))
    return alert


# ---------------------------------------------------------------- run list


@login_required
def run_list(request):
    visible = q.visible_applications(request.user)
    applications = visible if visible is not None else q.applications_for(request.user)
    filters = q.RunFilters.from_query(request.GET, applications)
    runs, next_cursor = q.run_page(filters, visible)
    now = timezone.now()
    context = {
        "runs": [_decorate(r, now) for r in runs],
        "filters": filters,
        "next_cursor": next_cursor,
        "applications": applications,
        "statuses": q.STATUS_NAMES,
        "ranges": q.RANGES,
        "names": q.known_names(visible),
        "can_trigger": bool(q.applications_for(request.user, "operator")),
        "poll": ACTIVE_POLL,
    }
    return respond(
        request,
        "runs_app/run_list.html",
        context,
        {"run-table": "runs_app/partials/run_table.html"},
    )


# ---------------------------------------------------------------- run detail


def _detail_context(request, run) -> dict:
    _decorate(run)
    context = {
        "run": run,
        "operator": q.can_operate(request.user, run.application),
        "attempts": q.related_runs(run),
        "alerts": [_label(a) for a in q.alerts_of(run)],
        "deliveries": q.deliveries_of(run),
        "poll": ACTIVE_POLL,
        # runId, application and pipelineId repeat the header: only what the run was given
        "shown_params": {k: v for k, v in run.params.items() if k not in PORTAL_SET},
    }
    if run.is_job:
        nodes = list(run.nodes.select_related("current_run"))
        context["nodes"] = nodes
        context["node_runs"] = [_decorate(r) for r in run.pipeline_runs.order_by("queued_at")]
        context["graph"] = charts.job_graph(
            [
                charts.GraphNode(
                    id=n.node_id,
                    state=n.state,
                    attempts=n.attempts,
                    depends_on=tuple(n.depends_on),
                    href=reverse("runs:run_detail", args=[n.current_run_id])
                    if n.current_run_id
                    else None,
                    note=n.note if n.fallback_used else "",
                )
                for n in nodes
            ]
        )
    else:
        steps = [s for s in run.steps or () if isinstance(s, dict)]
        context["steps"] = steps
        context["step_chart"] = charts.step_durations(
            [
                (f"{s.get('index', '')} {s.get('tag', '')}", float(s.get("seconds") or 0))
                for s in steps
            ]
        )
    return context


@login_required
def run_detail(request, run_id):
    run = _run_or_404(request, run_id)
    fragments = {
        "row-": "runs_app/partials/run_row.html",
        "run-live": "runs_app/partials/run_live.html",
    }
    if (request.htmx.target or "").startswith("row-"):
        context = {"run": _decorate(run), "poll": ACTIVE_POLL}
    else:
        context = _detail_context(request, run)
    return respond(request, "runs_app/run_detail.html", context, fragments)


@require_POST
@login_required
def run_cancel(request, run_id):
    run = _run_or_404(request, run_id)
    _require_operator(request, run.application)
    try:
        run = operations.cancel(run, actor=request.user, client=client_of(request))
    except services.RunRefused as refused:
        messages.error(request, f"Not cancelled: {refused}")
    else:
        what = "Cancelled." if run.status == "cancelled" else "Cancelling: the worker stops it now."
        messages.success(request, what)
    return redirect("runs:run_detail", run_id=run.id)


@require_POST
@login_required
def run_rerun(request, run_id):
    run = _run_or_404(request, run_id)
    _require_operator(request, run.application)
    commit = request.POST.get("commit", "same")
    params = params_from_post(request.POST) if request.POST.get("with_params") else None
    try:
        new = operations.rerun(
            run, actor=request.user, params=params, commit=commit, client=client_of(request)
        )
    except (services.RunRefused, DefinitionNotFound) as refused:
        messages.error(request, f"Not rerun: {refused}")
        return redirect("runs:run_detail", run_id=run.id)
    where = "its own commit" if commit == "same" else "the latest commit on main"
    messages.success(request, f"Rerun queued on {where} ({new.config_commit[:8]}).")
    return redirect("runs:run_detail", run_id=new.id)


# ---------------------------------------------------------------- run now


@require_http_methods(["GET", "POST"])
@login_required
def run_new(request):
    applications = q.applications_for(request.user, "operator")
    form = RunNowForm.build(request.GET if request.method == "GET" else request.POST, applications)
    if request.method == "POST":
        if form.chosen_application and form.chosen_application not in applications:
            if not q.can_read(request.user, form.chosen_application):
                raise Http404("No such application")
            raise PermissionDenied("Only operators of that application can run it.")
        run = form.submit(request.user, client_of(request))
        if isinstance(run, list):  # a backfill: the runs it queued, oldest run date first
            first, last = run[0], run[-1]
            messages.success(
                request,
                f"Backfill of {first.name} queued: {len(run)} runs, "
                f"{first.params['runDate']} to {last.params['runDate']}.",
            )
            query = urlencode({"application": first.application, "pipeline": first.name})
            return redirect(f"{reverse('runs:run_list')}?{query}")
        if run is not None:
            messages.success(request, f"{run.kind.capitalize()} {run.name} queued.")
            return redirect("runs:run_detail", run_id=run.id)
    context = {"form": form, "applications": applications}
    return respond(
        request, "runs_app/run_new.html", context, {"run-form": "runs_app/partials/run_form.html"}
    )


# ---------------------------------------------------------------- alerts


@login_required
def alerts(request):
    visible = q.visible_applications(request.user)
    show = "all" if request.GET.get("show") == "all" else "open"
    before = request.GET.get("before", "")[:60]
    page = list(q.inbox(visible, show, before, limit=q.ALERT_PAGE + 1))
    more = len(page) > q.ALERT_PAGE
    page = page[: q.ALERT_PAGE]
    context = {
        "alerts": [_label(a) for a in page],
        "next_cursor": q.alert_cursor_of(page[-1]) if more and page else None,
        "paged": bool(before),
        "unread": q.unread_count(visible),
        "show": show,
        "operator_apps": set(q.applications_for(request.user, "operator")),
    }
    return respond(request, "runs_app/alerts.html", context)


@require_POST
@login_required
def alert_acknowledge(request, alert_id: int):
    visible = q.visible_applications(request.user)
    alert = q.find_alert(alert_id, visible)
    if alert is None:
        raise Http404("No such alert")
    _require_operator(request, alert.application)
    operations.acknowledge(alert, actor=request.user, client=client_of(request))
    alert.refresh_from_db()
    _label(alert)
    if not request.htmx:
        messages.success(request, "Alert acknowledged.")
        return redirect("runs:alerts")
    context = {
        "alert": alert,
        "unread": q.unread_count(visible),
        "oob": True,
        "operator_apps": {alert.application},
    }
    return render(request, "runs_app/partials/alert_row.html", context)


# ---------------------------------------------------------------- dashboard


@login_required
def dashboard(request):
    visible = q.visible_applications(request.user)
    running = [_decorate(r) for r in q.running_now(visible)]
    if request.htmx.target == "running":  # the 5 s refresh of "Currently running" only
        return respond(request, "runs_app/partials/running.html", {"running": running})
    per_day = reports.runs_per_day(visible)
    window = 30
    compliance = _compliance_rows(reports.compliance(visible, window), window)
    context = {
        "per_day_chart": charts.runs_per_day(per_day),
        "per_day_total": sum(d.total for d in per_day),
        "per_day_failed": sum(d.failed for d in per_day),
        "compliance": compliance,
        "window": window,
        "reasons": q.failure_reasons(visible),
        "running": running,
        "unread": q.unread_count(visible),
    }
    return respond(request, "runs_app/dashboard.html", context)


# ---------------------------------------------------------------- SLA


def _runs_link(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{reverse('runs:run_list')}?{query}"


def _compliance_rows(rows, days: int) -> list[dict]:
    """Each figure with the link to the runs behind it (the run list's filters)."""
    since = reports.first_day(days).isoformat()
    result = []
    for row in rows:
        scope = {"application": row.application, "pipeline": row.name, "from": since}
        result.append(
            {
                "row": row,
                "bar": charts.percent_bar(row.percent),
                "met_href": _runs_link(**scope, sla="met"),
                "missed_href": _runs_link(**scope, sla="missed"),
                "pending_href": _runs_link(**scope, sla="pending"),
            }
        )
    return result


SLA_WORST = 50


@login_required
def sla(request):
    visible = q.visible_applications(request.user)
    applications = visible if visible is not None else q.applications_for(request.user)
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in reports.WINDOWS else 30
    application = request.GET.get("application", "")
    if application and visible is not None and application not in visible:
        application = ""
    scope = [application] if application else visible
    trend = reports.trend(scope)
    per_name = reports.compliance(scope, days, per="name")
    show_all = request.GET.get("pipelines") == "all"
    # the worst first: what needs attention; "all" lists every pipeline and job
    per_name.sort(key=lambda r: (r.percent if r.percent is not None else 101, -r.missed))
    shown = per_name if show_all else per_name[:SLA_WORST]
    context = {
        "days": days,
        "windows": reports.WINDOWS,
        "application": application,
        "applications": applications,
        "per_application": _compliance_rows(reports.compliance(scope, days), days),
        "per_name": _compliance_rows(shown, days),
        "per_name_total": len(per_name),
        "per_name_hidden": len(per_name) - len(shown),
        "trend_days": len(trend),
        "trend_chart": charts.sla_trend(
            [
                charts.SlaDay(
                    d.day,
                    d.met,
                    d.missed,
                    d.pending,
                    _runs_link(application=application, day=d.day.isoformat(), sla="missed")
                    if d.missed
                    else _runs_link(application=application, day=d.day.isoformat(), sla="met"),
                )
                for d in trend
            ]
        ),
        "trend_met": sum(d.met for d in trend),
        "trend_missed": sum(d.missed for d in trend),
    }
    return respond(request, "runs_app/sla.html", context)

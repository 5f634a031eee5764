"""REST API for runs: trigger, list (keyset), detail, cancel, rerun. Operators act; any role in
the application reads; no role = 404 (the run does not exist for that caller)."""

from __future__ import annotations

from django.http import Http404
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from pipelines_app.audit import client_of
from runs_app import operations, selectors, services
from runs_app.api.serializers import (
    BackfillSerializer,
    RerunSerializer,
    TriggerSerializer,
    run_detail,
    run_summary,
)
from runs_app.definitions import DefinitionNotFound
from runs_app.models import STATUSES


def _refused(exc) -> ValidationError:
    return ValidationError({"detail": str(exc)})


def _get_run(request, run_id, act=False):
    run = selectors.find_run(run_id, selectors.visible_applications(request.user))
    if run is None:
        raise Http404("No such run")
    if act and not selectors.can_operate(request.user, run.application):
        raise PermissionDenied(f"You are not an operator of application {run.application}.")
    return run


def _since(value: str | None):
    if not value:
        return None
    when = parse_datetime(value)
    if when is None and parse_date(value):
        when = parse_datetime(value + "T00:00:00+00:00")
    if when is None:
        raise ValidationError({"since": "an ISO date or date-time, e.g. 2026-11-26T08:00:00Z"})
    return when


_LIST_PARAMS = [
    OpenApiParameter(name, str, description=text)
    for name, text in (
        ("application", "only runs of this application"),
        ("pipeline", "only runs of this pipeline id"),
        ("job", "only runs of this job id (with kind=job: job runs)"),
        ("status", "queued|running|succeeded|failed|skipped|cancelled"),
        ("since", "queued at or after this ISO date or date-time"),
        ("kind", "pipeline (default) or job"),
        ("cursor", "the opaque cursor of the previous page's `next`"),
        ("limit", "page size, 1 to 200 (default 50)"),
    )
]


def _operator_request(serializer_class, request) -> dict:
    """The checked body of an operator's request about one application (404 to non-members)."""
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    application = body.validated_data["application"]
    if not selectors.can_read(request.user, application):
        raise Http404("No such application")
    if not selectors.can_operate(request.user, application):
        raise PermissionDenied(f"You are not an operator of application {application}.")
    return body.validated_data


def _start(request, serializer_class, operation, *fields):
    """``operation`` (trigger or backfill) on the checked body: its pipeline or job, params and
    ``fields``; a refusal becomes the API's error."""
    data = _operator_request(serializer_class, request)
    try:
        return operation(
            actor=request.user,
            application=data["application"],
            pipeline_id=data.get("pipeline"),
            job_id=data.get("job"),
            **{field: data[field] for field in fields},
            params=data.get("params") or {},
            client=client_of(request),
            via="api",
        )
    except (services.RunRefused, DefinitionNotFound) as exc:
        raise _refused(exc) from None


class RunListCreate(APIView):
    @extend_schema(
        operation_id="runs_list", parameters=_LIST_PARAMS, responses={200: OpenApiTypes.OBJECT}
    )
    def get(self, request):
        q = request.query_params
        if q.get("status") and q["status"] not in dict(STATUSES):
            raise ValidationError({"status": f"one of {', '.join(dict(STATUSES))}"})
        try:
            limit = min(max(int(q.get("limit", 50)), 1), 200)
        except ValueError:
            raise ValidationError({"limit": "a number from 1 to 200"}) from None
        try:
            page = selectors.run_list(
                visible=selectors.visible_applications(request.user),
                application=q.get("application"),
                pipeline=q.get("pipeline"),
                job=q.get("job"),
                status=q.get("status"),
                since=_since(q.get("since")),
                kind="job" if q.get("kind") == "job" else "pipeline",
                cursor=q.get("cursor"),
                limit=limit,
            )
        except selectors.BadCursor as exc:
            raise ValidationError({"cursor": str(exc)}) from None
        next_url = None
        if page.next_cursor:
            params = q.copy()
            params["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response({"results": [run_summary(r) for r in page.items], "next": next_url})

    @extend_schema(
        operation_id="runs_trigger",
        request=TriggerSerializer,
        responses={202: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        run = _start(request, TriggerSerializer, operations.trigger)
        return Response(
            {"id": str(run.id), "kind": run.kind, "status": run.status},
            status=status.HTTP_202_ACCEPTED,
        )


class RunBackfill(APIView):
    @extend_schema(
        operation_id="runs_backfill",
        request=BackfillSerializer,
        responses={202: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        runs = _start(request, BackfillSerializer, operations.backfill, "first", "last")
        return Response(
            {"runs": [{"id": str(r.id), "runDate": r.params["runDate"]} for r in runs]},
            status=status.HTTP_202_ACCEPTED,
        )


class RunDetail(APIView):
    @extend_schema(operation_id="runs_retrieve", responses={200: OpenApiTypes.OBJECT})
    def get(self, request, run_id):
        return Response(run_detail(_get_run(request, run_id)))


class RunCancel(APIView):
    @extend_schema(operation_id="runs_cancel", request=None, responses={202: OpenApiTypes.OBJECT})
    def post(self, request, run_id):
        run = _get_run(request, run_id, act=True)
        try:
            run = operations.cancel(run, actor=request.user, client=client_of(request), via="api")
        except services.RunRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(
            {"id": str(run.id), "status": run.status, "cancel_requested": run.cancel_requested},
            status=status.HTTP_202_ACCEPTED,
        )


class RunRerun(APIView):
    @extend_schema(
        operation_id="runs_rerun", request=RerunSerializer, responses={202: OpenApiTypes.OBJECT}
    )
    def post(self, request, run_id):
        run = _get_run(request, run_id, act=True)
        body = RerunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            new = operations.rerun(
                run,
                actor=request.user,
                params=body.validated_data.get("params"),
                commit=body.validated_data["commit"],
                client=client_of(request),
                via="api",
            )
        except services.RunRefused as exc:
            if "still" in str(exc):
                return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
            raise _refused(exc) from None
        except DefinitionNotFound as exc:
            raise _refused(exc) from None
        return Response(
            {"id": str(new.id), "kind": new.kind, "status": new.status, "rerun_of": str(run.id)},
            status=status.HTTP_202_ACCEPTED,
        )

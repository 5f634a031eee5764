"""What reviewers and authors do to a change request: approve, request changes, reject,
withdraw, submit, rebase, comment."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response

from pipelines_app import services
from pipelines_app.api import serializers as s
from pipelines_app.api.presenters import change_request_data
from pipelines_app.api.views.base import HubAPIView, body_or_error, change_request_for_action
from pipelines_app.audit import client_of
from pipelines_app.models import ChangeRequest, Role
from pipelines_app.permissions import has_role, require_role


class _ChangeRequestAction(HubAPIView):
    role = Role.REVIEWER
    body = None

    def post(self, request, number):
        change_request = change_request_for_action(number)
        require_role(request.user, change_request.application, self.role)
        data = {}
        if self.body is not None:
            data, error = body_or_error(self.body, request)
            if error:
                return error
        result = self.act(request, change_request, data)
        if not isinstance(result, ChangeRequest):
            return Response(result, status=201)
        return Response(change_request_data(result, request.user))


# A reviewer's decision on the head commit the reviewer saw; ``decide`` is its service. (No
# docstring: the API schema takes the view's docstring as the operation's description.)
class _ReviewDecision(_ChangeRequestAction):
    body = s.ReviewDecisionSerializer
    decide = None

    def act(self, request, change_request, data):
        return type(self).decide(
            change_request=change_request,
            reviewer=request.user,
            comment=data["comment"],
            head_commit=data["head_commit"],
            client=client_of(request),
            **self.options(data),
        )

    def options(self, data) -> dict:
        return {}


_DECIDED = {200: s.ChangeRequestOutSerializer, 409: s.MovedSerializer}


@extend_schema_view(post=extend_schema(request=s.ApproveSerializer, responses=_DECIDED))
class ApproveView(_ReviewDecision):
    body = s.ApproveSerializer
    decide = services.change_request_approve

    def options(self, data) -> dict:
        return {"override_reason": data.get("override_reason")}


@extend_schema_view(post=extend_schema(request=s.ReviewDecisionSerializer, responses=_DECIDED))
class RequestChangesView(_ReviewDecision):
    decide = services.change_request_request_changes


class RejectView(RequestChangesView):
    decide = services.change_request_reject


class WithdrawView(_ChangeRequestAction):
    role = Role.AUTHOR

    @extend_schema(request=None, responses=s.ChangeRequestOutSerializer)
    def post(self, request, number):
        return super().post(request, number)

    def act(self, request, change_request, data):
        return services.change_request_withdraw(
            change_request=change_request, author=request.user, client=client_of(request)
        )


class SubmitView(WithdrawView):
    def act(self, request, change_request, data):
        return services.change_request_submit(
            change_request=change_request, author=request.user, client=client_of(request)
        )


class RebaseView(WithdrawView):
    def act(self, request, change_request, data):
        return services.change_request_rebase(
            change_request=change_request, author=request.user, client=client_of(request)
        )


class CommentView(_ChangeRequestAction):
    role = None
    body = s.CommentSerializer

    @extend_schema(request=s.CommentSerializer, responses={201: dict})
    def post(self, request, number):
        change_request = change_request_for_action(number)
        if not has_role(request.user, change_request.application):
            raise Http404("No such change request")
        data, error = body_or_error(self.body, request)
        if error:
            return error
        comment = services.change_request_comment(
            change_request=change_request,
            author=request.user,
            body=data["comment"],
            client=client_of(request),
        )
        return Response(
            {
                "id": comment.pk,
                "author": request.user.username,
                "comment": comment.body,
                "created_at": comment.created_at,
            },
            status=201,
        )

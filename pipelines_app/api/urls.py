"""Included by portal/urls.py at ``/api/v1/``."""

from django.urls import path

from pipelines_app.api import views
from pipelines_app.api.views.data_policy import DataPolicyView

CR = "change-requests/<str:number>/"

urlpatterns = [
    path("applications/", views.ApplicationListView.as_view(), name="api-applications"),
    path(
        "applications/<str:application>/data-policy/",
        DataPolicyView.as_view(),
        name="api-data-policy",
    ),
    path("pipelines/", views.PipelineListView.as_view(), name="api-pipelines"),
    path(
        "pipelines/<str:application>/<str:layer>/<str:id>/",
        views.PipelineDetailView.as_view(),
        name="api-pipeline",
    ),
    path(
        "pipelines/<str:application>/<str:layer>/<str:id>/history/",
        views.PipelineHistoryView.as_view(),
        name="api-pipeline-history",
    ),
    path(
        "pipelines/<str:application>/<str:layer>/<str:id>/restore/",
        views.PipelineRestoreView.as_view(),
        name="api-pipeline-restore",
    ),
    path("validate/", views.ValidateView.as_view(), name="api-validate"),
    path("change-requests/", views.ChangeRequestListView.as_view(), name="api-change-requests"),
    path("reviews/queue/", views.ReviewQueueView.as_view(), name="api-review-queue"),
    path(
        "change-requests/<str:number>/",
        views.ChangeRequestDetailView.as_view(),
        name="api-change-request",
    ),
    path(
        "change-requests/<str:number>/approve/", views.ApproveView.as_view(), name="api-cr-approve"
    ),
    path(
        "change-requests/<str:number>/request-changes/",
        views.RequestChangesView.as_view(),
        name="api-cr-request-changes",
    ),
    path("change-requests/<str:number>/reject/", views.RejectView.as_view(), name="api-cr-reject"),
    path(
        "change-requests/<str:number>/withdraw/",
        views.WithdrawView.as_view(),
        name="api-cr-withdraw",
    ),
    path("change-requests/<str:number>/submit/", views.SubmitView.as_view(), name="api-cr-submit"),
    path("change-requests/<str:number>/rebase/", views.RebaseView.as_view(), name="api-cr-rebase"),
    path(
        "change-requests/<str:number>/comments/", views.CommentView.as_view(), name="api-cr-comment"
    ),
    path("audit/", views.AuditView.as_view(), name="api-audit"),
]

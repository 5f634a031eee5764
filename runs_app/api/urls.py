from django.urls import path

from runs_app.api import views

urlpatterns = [
    path("runs/", views.RunListCreate.as_view(), name="api-runs"),
    path("runs/backfill/", views.RunBackfill.as_view(), name="api-runs-backfill"),
    path("runs/<uuid:run_id>/", views.RunDetail.as_view(), name="api-run"),
    path("runs/<uuid:run_id>/cancel/", views.RunCancel.as_view(), name="api-run-cancel"),
    path("runs/<uuid:run_id>/rerun/", views.RunRerun.as_view(), name="api-run-rerun"),
]

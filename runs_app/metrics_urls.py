"""Included by the lead at the root: ``path("", include("runs_app.metrics_urls"))``."""

from django.urls import path

from runs_app.metrics import metrics_view

urlpatterns = [path("metrics", metrics_view, name="metrics")]

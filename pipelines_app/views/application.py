"""An application's page: what its pipelines may reach (the data policy), for its members."""

from __future__ import annotations

from pipelines_app.data_policy import describe
from pipelines_app.permissions import application_for
from pipelines_app.views.common import page
from webkit.responses import respond


@page
def application_detail(request, application):
    app = application_for(request.user, application)  # 404 for non-members
    context = {"application": app, "policy": describe(app)}
    return respond(request, "pipelines_app/application.html", context)

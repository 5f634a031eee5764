"""Non-members get 404 everywhere: every URL pattern of the portal, asked by mallory (who works
only on another application) about sales' change request, definition, run, alert and token, by
GET and by POST, never answers 403 and never shows sales' things. A new URL pattern joins this
test by itself; one with a parameter this test cannot fill fails here until it is added."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from pipelines_app import services
from pipelines_app.models import Application, StepPreview
from pipelines_app.services import config_repository
from pipelines_app.testing import CUSTOMER_SCHEMA, make_personas, pipeline_xml
from portal.accounts.tokens import token_issue
from runs_app.models import Alert, PipelineRun

SECRET_TITLE = "Sales secret change 7f3a"
SKIPPED = ("admin/", "api/schema/", "api/docs/", "static/")
# Answers to mallory about things of sales that leave nothing to learn.
NOTHING_TO_LEARN = {200, 302, 400, 404, 405}
# Staff-only pages say 403 to everyone else: that tells nothing about any application.
STAFF_ONLY = {"audit/", "api/v1/audit/"}


def patterns(resolvers=None, prefix=""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED):
            continue
        if isinstance(entry, URLResolver):
            yield from patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


ROUTES = sorted(set(patterns()))


@pytest.fixture
def sales(db, settings):
    from config_repo import Actor

    cast = make_personas("sales")
    config_repository().commit(
        "main",
        {"applications/sales/staging/schemas/customer.avsc": CUSTOMER_SCHEMA},
        message="seed",
        author=Actor(name="Seeder", email="seed@example.com"),
    )
    first = services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=pipeline_xml(),
        title="Customer load",
    )
    published = services.change_request_approve(change_request=first, reviewer=cast.bob)
    change = services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=pipeline_xml("other_load"),
        title=SECRET_TITLE,
    )
    run = PipelineRun.objects.create(application="sales", pipeline_id="customer_load")
    alert = Alert.objects.create(
        kind="failure", application="sales", run=run, message=f"{SECRET_TITLE} failed"
    )
    preview = StepPreview.objects.create(
        application=Application.objects.get(name="sales"), user=cast.alice, xml="<pipeline/>"
    )
    _, token = token_issue(user=cast.alice)
    values = {
        "preview_id": str(preview.id),
        "number": str(change.number),
        "run_id": str(run.id),
        "alert_id": str(alert.id),
        "token_id": str(token.id),
        "application": "sales",
        "layer": "staging",
        "kind": "pipeline",
        "def_id": "customer_load",
        "id": "customer_load",
        "decision": "approve",
        "action": "withdraw",
        "key": "no-such-draft",
        "step": "basics",
        "name": "README.md",
    }
    body = {
        "application": "sales",
        "layer": "staging",
        "kind": "pipeline",
        "pipeline": "customer_load",
        "xml": pipeline_xml("mallory_load").decode(),
        "title": "x",
        "comment": "x",
        "body": "x",
        "head_commit": change.head_commit,
        "commit": published.merge_commit,
    }
    return cast, values, body


def url_for(route: str, values: dict) -> str:
    def fill(match):
        name = match.group(2)
        if name not in values:
            pytest.fail(f"tests/test_outsiders.py: give a value for <{name}> (route {route})")
        return values[name]

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


@pytest.mark.parametrize("route", ROUTES)
def test_an_outsider_never_gets_a_403_nor_sees_a_thing_of_sales(sales, route):
    # given
    cast, values, body = sales
    url = url_for(route, values)
    client = APIClient()
    client.force_login(cast.mallory)
    allowed = NOTHING_TO_LEARN | ({403} if route in STAFF_ONLY else set())

    for method in ("get", "post"):
        # when
        response = getattr(client, method)(url, body, format="json" if "api/" in route else None)

        # then
        assert response.status_code in allowed, (method, url, response.status_code)
        assert SECRET_TITLE.encode() not in response.content, (method, url)


def test_the_routes_cover_changes_runs_and_the_api():
    assert {"changes/<int:number>/review/<str:decision>/", "runs/<uuid:run_id>/cancel/"} <= set(
        ROUTES
    )
    assert "api/v1/change-requests/<str:number>/approve/" in ROUTES

"""The home page: each person sees their own work, by the roles they hold."""

import pytest
from django.utils import timezone

from pipelines_app.models import ChangeRequest
from pipelines_app.testing import make_personas
from tests.runs_app.pages import alert, pipeline_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_personas("sales")


def test_an_author_sees_their_open_changes_and_how_to_start_one(client, cast):
    # given
    ChangeRequest.objects.create(
        application=cast.application,
        layer="staging",
        kind="pipeline",
        definition_id="orders_load",
        path="applications/sales/staging/pipelines/orders_load.xml",
        title="Load the orders",
        number=1,
        status="in_review",
        branch="cr/1-orders_load",
        author=cast.alice,
    )
    client.force_login(cast.alice)
    # when
    page = client.get("/").content.decode()
    # then
    assert "Your open changes" in page
    assert "Load the orders" in page
    assert "New pipeline" in page
    assert "Waiting for your review" not in page


def test_an_operator_sees_recent_failures_and_open_alerts(client, cast):
    run = pipeline_run(
        "sales",
        "orders_load",
        status="failed",
        error_category="schema_mismatch",
        error_message="source orders: 3 rows do not fit",
        finished_at=timezone.now(),
    )
    alert(run, message="orders_load failed: 3 rows do not fit")
    client.force_login(cast.olga)
    page = client.get("/").content.decode()
    assert "schema_mismatch: source orders: 3 rows do not fit" in page
    assert "1 open" in page
    assert "Run a pipeline now" in page


def test_nobody_sees_another_applications_failures(client, cast):
    pipeline_run("sales-secret", "payroll", status="failed", finished_at=timezone.now())
    client.force_login(cast.olga)
    assert "payroll" not in client.get("/").content.decode()


def test_a_user_without_a_role_is_told_how_to_get_one(client, django_user_model):
    user = django_user_model.objects.create_user("newcomer", password="x")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "not a member of any application yet" in page
    assert "manage.py grant newcomer" in page


def test_the_home_page_needs_a_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_navigation_shows_what_a_persons_roles_allow(client, cast):
    client.force_login(cast.olga)  # operator only
    page = client.get("/").content.decode()
    nav = page.split('<nav aria-label="Main" id="main-nav">')[1].split("</nav>")[0]
    assert "Runs" in nav
    assert "New pipeline" not in nav
    assert "Review queue" not in nav

"""Pages people can read, on the operator side: paths relative to the application's data
folder, values in words, the favicon, the navigation, the admin, ``scheduled_for`` in the API."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from pipelines_app.testing import make_personas
from tests.runs_app.pages import pipeline_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_personas("sales")


def test_run_pages_show_paths_relative_to_the_applications_data_folder(client, cast, settings):
    # given a run whose engine reported absolute paths
    root = f"{settings.HUB_DATA_ROOT}/applications/sales"
    run = pipeline_run(
        status="failed",
        targets=[{"kind": "csv", "name": f"{root}/staging/out/customers", "rows_written": 3}],
        error_where=f"source customers ({root}/landing/customers.csv)",
        error_message=f"Path does not exist: file:{root}/landing/customers.csv",
    )
    client.force_login(cast.olga)
    # when
    body = client.get(f"/runs/{run.id}/").text
    # then
    assert ">staging/out/customers</code>" in body
    assert "source customers (landing/customers.csv)" in body
    assert "Path does not exist: landing/customers.csv" in body
    assert f">{root}" not in body


def test_only_the_runs_own_application_folder_is_taken_off():
    from runs_app.paths import application_root, relative_to_application

    root = application_root("sales")
    text = f"read {root}in/a.csv, {root[:-1]}, file://{root}x and {root[:-1]}-other/in/b.csv"
    assert relative_to_application(text, "sales") == (
        f"read in/a.csv, ., x and {root[:-1]}-other/in/b.csv"
    )


def test_statuses_and_categories_read_as_words(client, cast):
    run = pipeline_run(status="failed", sla_status="at_risk")
    client.force_login(cast.olga)
    body = client.get(f"/runs/{run.id}/").text
    assert "schema mismatch" in body and "at risk" in body
    assert ">schema_mismatch<" not in body and ">at_risk<" not in body


def test_every_page_links_the_favicon_and_the_api_docs_and_has_a_menu_button(client, cast):
    client.force_login(cast.alice)
    body = client.get("/runs/").text
    assert 'rel="icon" href="/static/favicon.svg"' in body
    assert '<a href="/api/docs/"' in body
    assert 'class="menu-toggle" aria-controls="main-nav"' in body
    assert client.get("/static/favicon.svg").status_code == 200


def test_runs_job_runs_and_alerts_cannot_be_added_in_the_admin(client, cast):
    client.force_login(cast.admin)
    for model in ("pipelinerun", "jobrun", "alert", "notificationdelivery"):
        assert client.get(f"/admin/runs_app/{model}/add/").status_code == 403, model
    index = client.get("/admin/").text
    assert "Notification deliveries" in index and "Notification deliverys" not in index


def test_a_scheduled_run_shows_its_slot_in_the_run_list_api(cast):
    slot = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    pipeline_run(status="succeeded", trigger="schedule", scheduled_for=slot)
    api = APIClient()
    api.force_authenticate(cast.olga)
    (row,) = api.get("/api/v1/runs/").json()["results"]
    assert row["scheduled_for"] == slot.isoformat()

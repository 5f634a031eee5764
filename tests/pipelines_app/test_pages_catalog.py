"""The catalog, a definition's page (XML, history, restore, edit, delete) and the audit log."""

import html
import re

import pytest

from pipelines_app import services
from pipelines_app.models import AuditEvent, ChangeRequest
from pipelines_app.testing import make_user, pipeline_xml

pytestmark = pytest.mark.django_db

URL = "/pipelines/sales/staging/pipeline/customer_load/"


def publish(cast, xml, title):
    change = services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=xml,
        title=title,
        action="edit" if "v2" in title else "create",
        definition_id="customer_load",
    )
    return services.change_request_approve(change_request=change, reviewer=cast.bob)


@pytest.fixture
def published(cast, repo):
    first = publish(cast, pipeline_xml(), "Add customer_load")
    second = publish(cast, pipeline_xml(mode="overwrite"), "customer_load v2")
    return first, second


def test_someone_without_applications_is_told_whom_to_ask(client, db):
    client.force_login(make_user("newbie"))
    body = client.get("/pipelines/").content.decode()
    assert "You are not a member of any application yet" in body
    assert "manage.py grant newbie" in body


def test_the_catalog_lists_definitions_on_main_with_their_metadata(client, cast, published):
    client.force_login(cast.olga)
    body = client.get("/pipelines/").content.decode()
    assert "customer_load" in body and "customer-team" in body and "PT2H" in body
    assert "0 * * * *" in body and f"CR #{published[1].number}" in body
    assert "customer_load" not in client.get("/pipelines/?q=zzz").content.decode()
    assert "customer_load" not in client.get("/pipelines/?layer=service").content.decode()
    assert client.get("/pipelines/?layer=../../etc&application=<b>").status_code == 200


def test_an_outsider_sees_neither_the_catalog_entry_nor_the_page(client, cast, published):
    client.force_login(cast.mallory)
    assert "customer_load" not in client.get("/pipelines/").content.decode()
    assert client.get(URL).status_code == 404


def test_the_definition_page_shows_xml_metadata_and_history(client, cast, published):
    client.force_login(cast.alice)
    body = client.get(URL).content.decode()
    assert 'class="xml' in body and "overwrite" in body
    assert "customer-team" in body and "approved by bob" in body
    assert body.count("Restore this version") == 1
    first_commit = published[0].head_commit
    old = client.get(URL, {"rev": first_commit}).content.decode()
    assert "append" in old and "You are looking at the version of commit" in old


@pytest.mark.parametrize(
    "url",
    [
        "/pipelines/sales/staging/pipeline/nope/",
        "/pipelines/sales/nolayer/pipeline/customer_load/",
        "/pipelines/sales/staging/widget/customer_load/",
        "/pipelines/sales/staging/pipeline/..%2F..%2Fetc/",
        "/pipelines/nope/staging/pipeline/customer_load/",
        URL + "?rev=zzz",
        URL + "?rev=0123456789abcdef0123456789abcdef01234567",
    ],
)
def test_unknown_definitions_and_versions_are_404(client, cast, published, url):
    client.force_login(cast.alice)
    assert client.get(url).status_code == 404


def test_restore_opens_a_change_request(client, cast, published):
    client.force_login(cast.alice)
    response = client.post(URL + "restore/", {"commit": published[0].head_commit})
    change = ChangeRequest.objects.order_by("-number").first()
    assert response["Location"] == f"/changes/{change.number}/"
    assert change.title.startswith("Restore customer_load")
    response = client.post(URL + "restore/", {"commit": "not-a-sha"}, follow=True)
    assert "Could not restore" in response.content.decode()


def test_edit_opens_the_wizard_and_delete_proposes_a_deletion(client, cast, published):
    client.force_login(cast.alice)
    response = client.get(URL + "edit/")
    body = client.get(response["Location"]).content.decode()
    assert "Edit pipeline customer_load" in body and "disabled" in body
    response = client.post(URL + "delete/", {"description": "replaced"})
    assert ChangeRequest.objects.order_by("-number").first().action == "delete"


def test_a_reviewer_may_not_edit_restore_or_delete(client, cast, published):
    client.force_login(cast.bob)
    assert "Propose deletion" not in client.get(URL).content.decode()
    assert client.get(URL + "edit/").status_code == 403
    assert client.post(URL + "delete/").status_code == 403
    assert client.post(URL + "restore/", {"commit": published[0].head_commit}).status_code == 403


def test_the_audit_log_is_for_staff_and_filters(client, cast, published):
    client.force_login(cast.alice)
    assert client.get("/audit/").status_code == 403
    client.force_login(cast.admin)
    body = client.get("/audit/").content.decode()
    assert "change_request.approve" in body and "Export JSON lines" in body
    body = client.get("/audit/", {"actor": "bob"}).content.decode()
    table = body[body.index('id="audit-table"') :]
    assert "change_request.approve" in table and "change_request.create" not in table
    body = client.get("/audit/", {"action": "change_request.*"}).content.decode()
    assert "change_request.create" in body[body.index('id="audit-table"') :]
    assert client.get("/audit/?since=yesterday&page=-1").status_code == 200
    export = re.search(r'href="([^"]+)" download>Export', client.get("/audit/").content.decode())
    response = client.get(html.unescape(export.group(1)))
    assert response.status_code == 200 and b'"action": "change_request.create"' in b"".join(
        response.streaming_content
    )
    assert AuditEvent.objects.count() >= 4


def test_every_page_needs_a_sign_in(client):
    for url in ("/pipelines/", "/pipelines/new/", "/changes/", "/reviews/", "/audit/", URL):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_filters_sent_by_htmx_return_only_the_table(client, cast, published):
    client.force_login(cast.alice)
    response = client.get("/pipelines/", {"q": "customer"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="catalog-table">') and "customer_load" in body


def test_a_job_opens_in_the_job_form_and_in_the_xml_editor_on_request(client, cast, published):
    job = (
        b'<jobPipeline id="nightly" version="1.0"><metadata><owner>t</owner><sla>PT1H</sla>'
        b"<schedule>0 2 * * *</schedule></metadata><pipelines>"
        b'<pipelineRef id="customer_load"/></pipelines></jobPipeline>'
    )
    change = services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="job",
        xml=job,
        title="Nightly",
    )
    services.change_request_approve(change_request=change, reviewer=cast.bob)
    client.force_login(cast.alice)
    assert "nightly" in client.get("/pipelines/").content.decode()
    response = client.get("/pipelines/sales/staging/job/nightly/edit/")
    assert response["Location"].startswith("/pipelines/job/")
    assert "Edit job nightly" in client.get(response["Location"]).content.decode()
    response = client.get("/pipelines/sales/staging/job/nightly/edit/?mode=xml")
    assert response["Location"].endswith("/xml/")
    body = client.get(response["Location"]).content.decode()
    assert "Edit nightly (XML)" in body and "pipelineRef" in body

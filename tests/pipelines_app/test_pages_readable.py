"""Pages people can read, on the authoring side: the XML editor keeps LF line endings, the wizard
clears an error once its field is fixed, a merged change keeps its governance result."""

import pytest

from pipelines_app import services
from pipelines_app.models import ChangeRequest
from pipelines_app.testing import pipeline_xml
from tests.pipelines_app.conftest import seed_main

pytestmark = pytest.mark.django_db

PATH = "applications/sales/staging/pipelines/customer_load.xml"


def test_an_xml_edit_sent_with_crlf_changes_only_the_line_that_changed(client, cast, repo):
    # given a definition on main, with LF line endings
    seed_main(repo, {PATH: pipeline_xml()})
    client.force_login(cast.alice)
    edit = client.get("/pipelines/sales/staging/pipeline/customer_load/edit/?mode=xml")
    url = edit["Location"]
    # when the browser sends it back with one line changed, as a textarea does: CRLF
    text = pipeline_xml().decode().replace("PT2H", "PT3H").replace("\n", "\r\n")
    form = {"application": "sales", "layer": "staging", "xml": text}
    response = client.post(url, {**form, "action": "submit", "title": "Longer SLA"})
    # then the change is that one line
    assert response.status_code == 302, response.content.decode()
    change = ChangeRequest.objects.get(title="Longer SLA")
    assert change.lines_changed == 2
    stored = repo.files(change.head_commit).read(PATH)
    assert b"\r" not in stored and b"<sla>PT3H</sla>" in stored


def test_a_wizard_error_goes_away_once_its_field_is_fixed(client, cast):
    # given a Next refused for a bad id
    client.force_login(cast.alice)
    key = client.get("/pipelines/new/")["Location"].rsplit("/", 3)[-3]
    url = f"/pipelines/draft/{key}/basics/"
    basics = {"application": "sales", "layer": "staging", "version": "1.0", "owner": "team"}
    refused = client.post(url, {**basics, "id": "9bad", "sla": "PT2H", "action": "next"})
    assert "cannot be a pipeline id" in refused.text
    assert 'hx-vals=\'{"action": "check"}\'' in refused.text  # the form re-checks on change
    # when the id is fixed (htmx posts the form on change)
    fixed = client.post(
        url,
        {**basics, "id": "customer_clean", "sla": "PT2H", "action": "check"},
        headers={"HX-Request": "true", "HX-Target": "wizard-form"},
    )
    # then its error is gone, the page stays on Basics, and the form is whole
    assert fixed.status_code == 200
    assert "cannot be a pipeline id" not in fixed.text
    assert 'id="wizard-form"' in fixed.text and 'value="customer_clean"' in fixed.text


def test_a_rows_step_recheck_answers_with_the_whole_form(client, cast):
    client.force_login(cast.alice)
    key = client.get("/pipelines/new/")["Location"].rsplit("/", 3)[-3]
    response = client.post(
        f"/pipelines/draft/{key}/sources/",
        {"r0-kind": "csv", "r0-id": "customers", "action": "check"},
        headers={"HX-Request": "true", "HX-Target": "wizard-form"},
    )
    assert 'id="wizard-form"' in response.text


def test_a_merged_change_still_shows_its_governance_result_and_the_override(client, cast, repo):
    # given a change with unmasked personal data, approved with a reason and merged
    change = services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="service",
        kind="pipeline",
        xml=pipeline_xml("customer_export", layer="service", mask=False),
        title="Export customers",
    )
    services.change_request_approve(
        change_request=change, reviewer=cast.bob, override_reason="The CRM needs the email"
    )
    assert ChangeRequest.objects.get(pk=change.pk).status == "merged"
    # when anyone of the application opens it
    client.force_login(cast.olga)
    body = client.get(f"/changes/{change.number}/").text
    # then the findings are there, with who overrode them and why
    assert "email" in body and "badge error" in body
    assert "The CRM needs the email" in body
    assert "Checked while the change was open" not in body

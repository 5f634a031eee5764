"""The wizard's Parameters & notifications step, and where validation problems are shown."""

import re

import pytest

from pipelines_app import services
from pipelines_app.models import ChangeRequest
from tests.pipelines_app.test_pages_wizard import (
    BASICS,
    SOURCE,
    STEPS,
    TARGET,
    fill_wizard,
    post,
)

pytestmark = pytest.mark.django_db

EXTRAS = {
    "r0-kind": "parameter",
    "r0-name": "region",
    "r0-default": "eu",
    "r1-kind": "email",
    "r1-to": "data@example.com, oncall@example.com",
    "r1-on": "failure",
    "r2-kind": "webhook",
    "r2-url": "https://hooks.example.com/runs",
    "r2-on": "slaBreach",
    "r2-secret_ref": "sales.ops-hook",
}


def submitted_xml(change) -> str:
    return services.config_repository().read(change.path, rev=change.head_commit).decode()


def test_an_author_declares_a_parameter_and_notifications_that_reach_the_xml(client, cast, repo):
    # given
    client.force_login(cast.alice)
    key = fill_wizard(client)
    # when
    assert post(client, key, "parameters", EXTRAS).status_code == 302
    review = client.get(f"/pipelines/draft/{key}/review/").content.decode()
    assert "The pipeline is valid" in review, review
    client.post(f"/pipelines/draft/{key}/review/", {"title": "With extras", "action": "submit"})
    # then
    xml = submitted_xml(ChangeRequest.objects.get())
    assert '<parameter name="region" default="eu"/>' in xml
    assert '<email to="data@example.com,oncall@example.com"/>' in xml, xml
    assert 'url="https://hooks.example.com/runs"' in xml and 'secretRef="sales.ops-hook"' in xml


def test_a_webhook_secret_is_a_name_and_the_page_says_where_its_value_lives(client, cast):
    client.force_login(cast.alice)
    key = fill_wizard(client)
    page = post(client, key, "parameters", {}, action="add:webhook").content.decode()
    assert "never in the XML" in page and "secrets store" in page
    bad = {**EXTRAS, "r2-secret_ref": "s3cr3t value!", "r1-to": "not-an-address"}
    body = post(client, key, "parameters", bad).content.decode()
    assert "not its value" in body
    assert "“not-an-address” is not an email address." in body


def test_a_built_in_parameter_cannot_be_declared(client, cast):
    client.force_login(cast.alice)
    key = fill_wizard(client)
    body = post(client, key, "parameters", {**EXTRAS, "r0-name": "runDate"}).content.decode()
    assert "is built in" in body


def test_rows_added_on_the_step_keep_parameters_before_notifications(client, cast):
    client.force_login(cast.alice)
    key = fill_wizard(client)
    body = post(client, key, "parameters", EXTRAS, action="add:parameter").content.decode()
    kinds = re.findall(r'name="r\d+-kind" value="(\w+)"', body)
    assert kinds == ["parameter", "parameter", "email", "webhook"]
    assert body.index(">Parameters</h3>") < body.index(">Notifications</h3>")


def test_editing_a_pipeline_opens_its_parameters_and_notifications(client, cast, repo):
    # given: a published pipeline with a parameter and a webhook
    xml = (
        '<pipeline id="orders" version="1.0" layer="staging"><metadata><owner>t</owner>'
        "<sla>PT1H</sla><schedule>0 1 * * *</schedule></metadata>"
        '<parameters><parameter name="region" default="eu"/></parameters>'
        '<sources><csv id="orders" path="landing/orders.csv"/></sources>'
        '<targets><hive table="staging.orders"/></targets>'
        '<notifications><webhook url="https://h.example.com/x" on="failure" secretRef="sales.k1"/>'
        "</notifications></pipeline>"
    )
    change = services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=xml.encode(),
        title="seed",
    )
    services.change_request_approve(change_request=change, reviewer=cast.bob)
    client.force_login(cast.alice)
    # when
    edit = client.get("/pipelines/sales/staging/pipeline/orders/edit/")
    key = edit["Location"].split("/")[-3]
    page = client.get(f"/pipelines/draft/{key}/parameters/").content.decode()
    # then
    assert 'value="region"' in page and 'value="https://h.example.com/x"' in page
    assert 'value="sales.k1"' in page


def test_a_problem_naming_no_field_is_shown_above_its_row(client, cast, repo):
    # given: the same parameter declared twice (the message names no attribute)
    client.force_login(cast.alice)
    key = fill_wizard(client)
    twice = {**EXTRAS, "r1-kind": "parameter", "r1-name": "region", "r1-default": "us"}
    post(client, key, "parameters", twice)
    # when
    review = client.get(f"/pipelines/draft/{key}/review/").content.decode()
    page = client.get(f"/pipelines/draft/{key}/parameters/").content.decode()
    # then
    assert "declared twice" in review
    assert re.search(r'<p class="problem">[^<]*declared twice', page), page


def test_a_review_for_an_application_one_does_not_author_shows_nothing_of_it(client, cast, repo):
    # given: mallory (author of another application) fills the wizard for "sales"
    client.force_login(cast.mallory)
    key = client.get("/pipelines/new/")["Location"].rsplit("/", 3)[-3]
    refused = post(client, key, "basics", BASICS)
    assert "is not one of the available choices" in refused.content.decode()
    for step, data in (("sources", SOURCE), ("transformations", STEPS), ("targets", TARGET)):
        post(client, key, step, data)
    # when
    review = client.get(f"/pipelines/draft/{key}/review/").content.decode()
    # then: no XML, no validation against sales' files, no way to submit
    assert "You are not an author of “sales”" in review
    assert "schemas/customer.avsc" not in review and "disabled" in review

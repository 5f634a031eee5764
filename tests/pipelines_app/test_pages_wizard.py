"""The wizard and the XML editor, driven through Django's test client."""

import re

import pytest

from pipelines_app.models import ChangeRequest

pytestmark = pytest.mark.django_db


def start(client) -> str:
    response = client.get("/pipelines/new/")
    assert response.status_code == 302
    return response["Location"].rsplit("/", 3)[-3]


def post(client, key, step, data, action="next"):
    return client.post(f"/pipelines/draft/{key}/{step}/", {**data, "action": action})


BASICS = {
    "application": "sales",
    "layer": "staging",
    "id": "customer_clean",
    "version": "1.0",
    "owner": "customer-team",
    "sla": "PT2H",
    "schedule": "0 * * * *",
}
SOURCE = {
    "r0-kind": "csv",
    "r0-id": "customers",
    "r0-path": "landing/customer.csv",
    "r0-header": "on",
    "r0-delimiter": ",",
    "r0-load_policy": "onDemand",
    "r0-schema_ref": "schemas/customer.avsc",
    "r0-on_invalid_rows": "fail",
}
STEPS = {
    "r0-kind": "deduplicate",
    "r0-source": "customers",
    "r0-keys": "customer_id",
    "r0-keep": "first",
    "r1-kind": "mask",
    "r1-source": "customers",
    "r1-columns": "email",
    "r1-strategy": "redact",
}
TARGET = {
    "r0-kind": "hive",
    "r0-table": "staging.customer_clean",
    "r0-mode": "append",
    "r0-format": "parquet",
}


def fill_wizard(client) -> str:
    key = start(client)
    assert post(client, key, "basics", BASICS).status_code == 302
    assert post(client, key, "sources", SOURCE).status_code == 302
    assert post(client, key, "transformations", STEPS).status_code == 302
    assert post(client, key, "targets", TARGET).status_code == 302
    return key


def test_an_author_builds_a_pipeline_and_submits_it_for_review(client, cast, repo):
    # given
    client.force_login(cast.alice)
    key = fill_wizard(client)
    # when
    review = client.get(f"/pipelines/draft/{key}/review/")
    # then
    assert review.status_code == 200
    body = review.content.decode()
    assert "The pipeline is valid" in body, body
    assert "customer_clean" in body and "deduplicate" in body
    # when
    response = client.post(
        f"/pipelines/draft/{key}/review/", {"title": "Add customer_clean", "action": "submit"}
    )
    # then
    change = ChangeRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/changes/{change.number}/"
    assert change.status == "in_review" and change.author == cast.alice
    assert change.path == "applications/sales/staging/pipelines/customer_clean.xml"


def test_back_and_next_keep_what_was_typed(client, cast):
    client.force_login(cast.alice)
    key = start(client)
    post(client, key, "basics", BASICS)
    post(client, key, "sources", SOURCE, action="back")
    page = client.get(f"/pipelines/draft/{key}/sources/").content.decode()
    assert 'value="landing/customer.csv"' in page
    page = client.get(f"/pipelines/draft/{key}/basics/").content.decode()
    assert 'value="customer_clean"' in page


def test_adding_and_removing_rows_returns_only_the_rows_to_htmx(client, cast):
    client.force_login(cast.alice)
    key = start(client)
    response = client.post(
        f"/pipelines/draft/{key}/transformations/",
        {**STEPS, "action": "add:join"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="panel" id="rows">')
    assert body.count('name="r2-kind"') == 1 and 'value="join"' in body
    response = client.post(
        f"/pipelines/draft/{key}/transformations/",
        {**STEPS, "action": "remove:0"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert 'name="r1-kind"' not in body and 'value="mask"' in body


def test_a_missing_field_is_shown_next_to_it_and_the_step_does_not_advance(client, cast):
    client.force_login(cast.alice)
    key = start(client)
    response = post(client, key, "basics", {**BASICS, "schedule": "0 25 * * *", "id": "9bad"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "The hour (0-23) field “25” is not valid." in body
    assert "cannot be a pipeline id" in body


def test_an_unfinished_wizard_says_which_step_to_fix(client, cast):
    client.force_login(cast.alice)
    key = start(client)
    post(client, key, "basics", BASICS)
    response = client.get(f"/pipelines/draft/{key}/review/")
    body = response.content.decode()
    assert "Add at least one source" in body and "Add at least one target" in body
    assert "disabled" in body


def test_the_cron_preview_reads_the_schedule_in_words(client, cast):
    client.force_login(cast.alice)
    body = client.get("/pipelines/cron-preview/", {"schedule": "0 * * * *"}).content.decode()
    assert "every hour at minute 0" in body
    assert body.count("·") == 2  # three next runs
    body = client.get("/pipelines/cron-preview/", {"schedule": "nonsense"}).content.decode()
    assert "5 fields" in body


def test_validation_problems_are_placed_on_the_field_they_name(client, cast, repo):
    # given: step 1 reads a dataset that does not exist
    client.force_login(cast.alice)
    key = fill_wizard(client)
    post(client, key, "transformations", {**STEPS, "r0-source": "customerz"})
    # when
    body = client.get(f"/pipelines/draft/{key}/review/").content.decode()
    # then: the review links to the step, and the step shows it under the row's source field
    assert "customerz" in body
    assert f'href="/pipelines/draft/{key}/transformations/"' in body
    rows = client.get(f"/pipelines/draft/{key}/transformations/").content.decode()
    field = re.search(r'data-problem="source">.*?</div>\s*</div>', rows, re.S)
    assert field and 'id="id_r0-source"' in field.group(0) and "customerz" in field.group(0)


def test_a_user_who_is_not_an_author_is_told_how_to_become_one(client, cast):
    client.force_login(cast.bob)
    response = client.get("/pipelines/new/", follow=True)
    assert "You are not an author of any application yet" in response.content.decode()


def test_a_stale_draft_key_starts_again_rather_than_failing(client, cast):
    client.force_login(cast.alice)
    response = client.get("/pipelines/draft/nope/basics/")
    assert response.status_code == 302 and response["Location"] == "/pipelines/new/"
    assert client.get("/pipelines/draft/nope/elsewhere/").status_code == 404


def test_the_xml_editor_locates_errors_and_submits_a_job(client, cast, repo):
    from pipelines_app import services
    from pipelines_app.testing import pipeline_xml

    change = services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=pipeline_xml(),
        title="seed",
    )
    services.change_request_approve(change_request=change, reviewer=cast.bob)
    client.force_login(cast.alice)
    key = client.get("/pipelines/new/?mode=xml")["Location"].split("/")[-3]
    url = f"/pipelines/draft/{key}/xml/"
    broken = {"application": "sales", "layer": "staging", "xml": "<jobPipeline id='j'>\n<oops/>"}
    response = client.post(url, {**broken, "action": "validate"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert re.search(r"<code>\d+:\d+: ", response.content.decode())
    job = (
        '<jobPipeline id="nightly" version="1.0"><metadata><owner>t</owner><sla>PT1H</sla>'
        "<schedule>0 2 * * *</schedule></metadata><pipelines>"
        '<pipelineRef id="customer_load"/></pipelines></jobPipeline>'
    )
    response = client.post(url, {**broken, "xml": job, "action": "submit", "title": "Nightly job"})
    assert response.status_code == 302, response.content.decode()
    assert ChangeRequest.objects.get(title="Nightly job").kind == "job"


@pytest.mark.parametrize(
    "step, data",
    [
        ("sources", {"r0-kind": "ftp", "r0-id": "x", "action": "next"}),
        ("sources", {"r0-kind": "csv", "r0-id": "../../etc", "r0-path": "", "action": "next"}),
        ("transformations", {"action": "add:rm -rf"}),
        ("transformations", {"action": "remove:999"}),
        ("transformations", {"action": "up:-1"}),
        ("targets", {"r0-kind": "database", "r0-write_batch_size": "lots", "action": "next"}),
        ("basics", {"application": "other", "layer": "moon", "version": "x", "action": "next"}),
        ("basics", {"schedule": "\x00", "action": "goto:nowhere"}),
        ("transformations", {"r0-kind": "aggregate", "r0-metrics": "median:x", "action": "next"}),
    ],
)
def test_bad_input_never_gives_a_500(client, cast, step, data):
    client.force_login(cast.alice)
    key = start(client)
    response = client.post(f"/pipelines/draft/{key}/{step}/", data)
    assert response.status_code in (200, 302)
    assert client.get(f"/pipelines/draft/{key}/review/").status_code == 200


def test_a_row_error_says_what_to_do(client, cast):
    client.force_login(cast.alice)
    key = start(client)
    data = {"r0-kind": "mask", "r0-source": "c", "r0-columns": "email", "r0-strategy": "hash"}
    body = post(client, key, "transformations", data).content.decode()
    assert "hash needs a key: name a secret." in body
    data = {"r0-kind": "aggregate", "r0-source": "c", "r0-metrics": "median:x"}
    body = post(client, key, "transformations", data).content.decode()
    assert "func:column[:alias]" in body


def test_a_proposal_refused_by_the_service_is_explained(client, cast, repo):
    # given: the same pipeline already waits in another change request
    client.force_login(cast.alice)
    for attempt in range(2):
        key = fill_wizard(client)
        response = client.post(
            f"/pipelines/draft/{key}/review/",
            {"title": f"Add it ({attempt})", "action": "submit"},
            follow=True,
        )
        assert response.status_code == 200
    assert ChangeRequest.objects.count() >= 1


def test_switching_to_the_xml_editor_carries_the_finished_wizard_over(client, cast, repo):
    client.force_login(cast.alice)
    key = fill_wizard(client)
    response = client.get(f"/pipelines/new/?mode=xml&from={key}")
    body = client.get(response["Location"]).content.decode()
    assert "&lt;deduplicate" in body and "customer_clean" in body
    body = client.get(client.get("/pipelines/new/?mode=xml&from=nope")["Location"]).content
    assert b"&lt;pipeline id=&quot;my_pipeline&quot;" in body


@pytest.mark.parametrize(
    "url, lands_on",
    [
        ("/pipelines/draft/gone/basics/", "/pipelines/new/"),
        ("/pipelines/draft/gone/xml/", "/pipelines/new/?mode=xml"),
        ("/pipelines/draft/gone/data/columns/", "/pipelines/new/"),
        ("/pipelines/job/gone/", "/pipelines/new/job/"),
        ("/pipelines/job/gone/review/", "/pipelines/new/job/"),
    ],
)
def test_a_draft_no_longer_in_the_session_sends_the_author_to_start_again(
    client, cast, url, lands_on
):
    client.force_login(cast.alice)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == lands_on

"""The guided job pipeline form (/pipelines/new/job/), driven through Django's test client."""

import re

import pytest

from pipelines_app import services
from pipelines_app.models import ChangeRequest
from pipelines_app.testing import pipeline_xml
from tests.pipelines_app.conftest import seed_main

pytestmark = pytest.mark.django_db

BASICS = {
    "application": "sales",
    "layer": "service",
    "id": "nightly",
    "version": "1.0",
    "owner": "customer-team",
    "sla": "PT4H",
    "schedule": "0 2 * * *",
}
CHAIN = {
    "p0-kind": "ref",
    "p0-id": "customer_load",
    "p0-on_failure": "halt",
    "p1-kind": "ref",
    "p1-id": "orders_load",
    "p1-depends_on": ["customer_load"],
    "p1-on_failure": "retry",
    "p1-max_retries": "2",
}


@pytest.fixture
def published(repo):
    """Two pipelines of "sales" on main."""
    seed_main(
        repo,
        {
            f"applications/sales/staging/pipelines/{name}.xml": pipeline_xml(name)
            for name in ("customer_load", "orders_load")
        },
    )
    return repo


def runs_after(body: str, index: int) -> str:
    """The HTML of the index-th row's "Runs after" field."""
    return body.split('data-field="depends_on"')[index + 1].split("</fieldset>")[0]


def ticked(field: str) -> list[str]:
    pattern = r'<input type="checkbox" name="p\d+-depends_on" value="(\w+)"[^>]* checked'
    return re.findall(pattern, field)


def start(client) -> str:
    response = client.get("/pipelines/new/job/")
    assert response.status_code == 302
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def post(client, key, data, action="review", **headers):
    return client.post(f"/pipelines/job/{key}/", {**data, "action": action}, headers=headers)


def test_an_author_chains_two_published_pipelines_into_a_job_and_submits_it(
    client, cast, published
):
    # given
    client.force_login(cast.alice)
    key = start(client)
    # when
    response = post(client, key, {**BASICS, **CHAIN})
    # then: the review shows the canonical XML and says it is valid
    assert response.status_code == 302 and response["Location"] == f"/pipelines/job/{key}/review/"
    review = client.get(response["Location"]).content.decode()
    assert "The job is valid" in review, review
    assert "applications/sales/service/jobs/nightly.xml" in review
    # when
    response = client.post(f"/pipelines/job/{key}/review/", {"title": "Nightly job"})
    # then: a change request of kind "job" holds the XML
    change = ChangeRequest.objects.get()
    assert response["Location"] == f"/changes/{change.number}/"
    assert change.kind == "job" and change.status == "in_review"
    xml = services.config_repository().read(change.path, rev=change.head_commit).decode()
    assert '<pipelineRef id="customer_load"/>' in xml, xml
    assert (
        '<pipelineRef id="orders_load" dependsOn="customer_load" onFailure="retry" '
        'maxRetries="2"/>' in xml
    ), xml


def test_the_pipeline_select_offers_the_applications_pipelines_on_main(client, cast, published):
    client.force_login(cast.alice)
    key = start(client)
    body = post(client, key, {**BASICS, **CHAIN}, action="refresh").content.decode()
    options = re.findall(
        r'<option value="(\w+)"', body.split('name="p0-id"')[1].split("</select>")[0]
    )
    assert options == ["customer_load", "orders_load"]


def test_runs_after_offers_only_the_pipelines_above(client, cast, published):
    client.force_login(cast.alice)
    key = start(client)
    body = post(client, key, {**BASICS, **CHAIN}, action="refresh").content.decode()
    first, second = runs_after(body, 0), runs_after(body, 1)
    assert "<input" not in first
    # a checkbox per pipeline above: several are chosen by clicking, no Ctrl-click
    assert re.findall(r'type="checkbox" name="p1-depends_on" value="(\w+)"', second) == [
        "customer_load"
    ]
    assert ticked(second) == ["customer_load"]
    assert "<select" not in second


def test_retries_are_kept_only_with_retry_and_a_fallback_is_required_with_fallback(
    client, cast, published
):
    client.force_login(cast.alice)
    key = start(client)
    # when: halt with a leftover retry count
    post(client, key, {**BASICS, **CHAIN, "p0-max_retries": "5"})
    review = client.get(f"/pipelines/job/{key}/review/").content.decode()
    # then: no maxRetries on the halting pipeline
    assert "maxRetries" in review and review.count("maxRetries") == 1
    # when: fallback without a pipeline to fall back to
    body = post(client, key, {**BASICS, **CHAIN, "p0-on_failure": "fallback"}).content.decode()
    assert "Choose the pipeline to run instead." in body
    body = post(
        client,
        key,
        {**BASICS, **CHAIN, "p0-on_failure": "fallback", "p0-fallback": "customer_load"},
    ).content.decode()
    assert "A pipeline cannot be its own fallback." in body


def test_a_dependency_cycle_is_reported_in_words_on_the_row(client, cast, published):
    # given: a job (as written in XML) whose two pipelines wait for each other
    client.force_login(cast.alice)
    key = start(client)
    cycle = {**CHAIN, "p0-depends_on": ["orders_load"]}
    assert post(client, key, {**BASICS, **cycle}).status_code == 302
    # when
    review = client.get(f"/pipelines/job/{key}/review/").content.decode()
    # then
    words = (
        "Customer_load runs after orders_load and orders_load runs after customer_load: "
        "these pipelines wait for each other"
    )
    assert words in review
    assert "disabled" in review
    body = client.get(f"/pipelines/job/{key}/").content.decode()
    field = body.split('data-field="depends_on"')[1].split("</div>\n</div>")[0]
    assert "wait for each other" in field


def test_a_pipeline_not_on_main_is_refused_in_words_on_its_field(client, cast, published):
    client.force_login(cast.alice)
    key = start(client)
    assert post(client, key, {**BASICS, **CHAIN, "p1-id": "orders_lod"}).status_code == 302
    review = client.get(f"/pipelines/job/{key}/review/").content.decode()
    assert "has no pipeline with this id" in review and "disabled" in review
    body = client.get(f"/pipelines/job/{key}/").content.decode()
    assert "orders_lod (not on main)" in body
    field = body.split('name="p1-id"')[1].split('data-field="depends_on"')[0]
    assert "has no pipeline with this id" in field


def test_editing_a_published_job_opens_the_job_form_on_it(client, cast, published):
    # given
    job = (
        '<jobPipeline id="nightly" version="1.0"><metadata><owner>t</owner><sla>PT1H</sla>'
        "<schedule>0 2 * * *</schedule></metadata><pipelines>"
        '<pipelineRef id="customer_load" onFailure="retry" maxRetries="3"/>'
        '<pipelineRef id="orders_load" dependsOn="customer_load"/></pipelines>'
        '<notifications><email to="ops@example.com"/></notifications></jobPipeline>'
    )
    seed_main(published, {"applications/sales/staging/jobs/nightly.xml": job.encode()})
    client.force_login(cast.alice)
    # when
    response = client.get("/pipelines/sales/staging/job/nightly/edit/")
    # then
    assert response.status_code == 302 and response["Location"].startswith("/pipelines/job/")
    body = client.get(response["Location"]).content.decode()
    assert "Edit job nightly" in body
    assert 'name="p0-max_retries" value="3"' in body
    assert ticked(runs_after(body, 1)) == ["customer_load"]
    assert 'value="ops@example.com"' in body
    assert "Write it in XML instead" not in body


def test_a_user_who_is_not_an_author_is_told_how_to_become_one(client, cast):
    client.force_login(cast.bob)
    body = client.get("/pipelines/new/job/").content.decode()
    assert "You are not an author of any application yet" in body


def test_another_applications_author_sees_nothing_of_it_and_cannot_propose(client, cast, published):
    # given: mallory authors another application, not "sales"
    client.force_login(cast.mallory)
    key = start(client)
    # when: she names "sales" anyway
    body = post(client, key, {**BASICS, **CHAIN}, action="refresh").content.decode()
    # then: its pipelines are not offered, and the review says why and shows none of them
    offered = body.split('name="p0-id"')[1].split("</select>")[0]
    assert "orders_load" not in offered  # only what she typed herself comes back
    review = client.get(f"/pipelines/job/{key}/review/").content.decode()
    assert "You are not an author of “sales”" in review
    assert "orders_load" not in review.split("Validation")[1]
    client.post(f"/pipelines/job/{key}/review/", {"title": "Sneaky"})
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "pipelines/add:evil"},
        {"action": "pipelines/remove:99"},
        {"action": "nowhere/up:1"},
        {"p0-kind": "ref", "p0-id": "../../etc", "p0-max_retries": "lots", "action": "review"},
        {"p0-kind": "ref", "p0-depends_on": ["x", "y"], "p0-on_failure": "explode"},
        {"x0-kind": "webhook", "x0-url": "ftp://x", "x0-secret_ref": "a b"},
        {"application": "\x00", "layer": "moon", "action": "refresh"},
    ],
)
def test_bad_input_never_gives_a_500(client, cast, published, data):
    client.force_login(cast.alice)
    key = start(client)
    response = client.post(f"/pipelines/job/{key}/", data)
    assert response.status_code in (200, 302)
    assert client.get(f"/pipelines/job/{key}/review/").status_code == 200


def test_adding_a_row_returns_only_the_form_to_htmx(client, cast, published):
    client.force_login(cast.alice)
    key = start(client)
    response = post(client, key, {**BASICS, **CHAIN}, action="pipelines/add:ref", HX_Request="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<form method="post" id="job-body"')
    assert 'name="p2-kind"' in body


def test_a_stale_job_draft_starts_again(client, cast):
    client.force_login(cast.alice)
    response = client.get("/pipelines/job/gone/")
    assert response.status_code == 302 and response["Location"] == "/pipelines/new/job/"


def test_updating_a_job_change_request_opens_the_job_form_and_adds_a_commit(
    client, cast, published
):
    # given: alice's job change in review
    client.force_login(cast.alice)
    key = start(client)
    post(client, key, {**BASICS, **CHAIN})
    client.post(f"/pipelines/job/{key}/review/", {"title": "Nightly job"})
    change = ChangeRequest.objects.get()
    first_head = change.head_commit
    # when: she updates it with three retries instead of two
    response = client.get(f"/changes/{change.number}/update/")
    assert response["Location"].startswith("/pipelines/job/")
    key = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert post(client, key, {**BASICS, **CHAIN, "p1-max_retries": "3"}).status_code == 302
    response = client.post(f"/pipelines/job/{key}/review/", {"title": "Nightly job"})
    # then
    change.refresh_from_db()
    assert response["Location"] == f"/changes/{change.number}/"
    assert change.head_commit != first_head
    xml = services.config_repository().read(change.path, rev=change.head_commit).decode()
    assert 'maxRetries="3"' in xml


def test_review_without_a_pipeline_stays_on_the_form_and_says_so(client, cast, published):
    client.force_login(cast.alice)
    key = start(client)
    response = post(client, key, BASICS)
    assert response.status_code == 200
    assert "Add at least one pipeline for the job to run." in response.content.decode()


def test_runs_after_takes_several_pipelines_ticked_at_once(client, cast, published):
    # given: a third pipeline, which waits for the other two
    seed_main(
        published,
        {"applications/sales/staging/pipelines/revenue.xml": pipeline_xml("revenue")},
    )
    client.force_login(cast.alice)
    key = start(client)
    fan_in = {
        **CHAIN,
        "p1-depends_on": [],
        "p2-kind": "ref",
        "p2-id": "revenue",
        "p2-depends_on": ["customer_load", "orders_load"],
        "p2-on_failure": "halt",
    }
    # when
    body = post(client, key, {**BASICS, **fan_in}, action="refresh").content.decode()
    # then: both stay ticked, and the job runs it after both
    assert ticked(runs_after(body, 2)) == ["customer_load", "orders_load"]
    assert post(client, key, {**BASICS, **fan_in}).status_code == 302
    review = client.get(f"/pipelines/job/{key}/review/").content.decode()
    assert re.search(r"dependsOn.*customer_load.*orders_load", review)

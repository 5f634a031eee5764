"""Browsing an application's storage from a CSV source, counting what a path matches, sampling a
file and keeping its schema: only inside the application's own storage, only for its authors."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from pipelines_app import data_policy, storage_browser
from pipelines_app.models import ChangeRequest, Membership
from pipelines_app.testing import grant
from tests.pipelines_app.test_pages_wizard import BASICS, post, start

pytestmark = pytest.mark.django_db

CUSTOMERS = 'customer_id,name,country_code\r\n1,Anna,DE\r\n2,"Björn, jr",SE\r\n'


@pytest.fixture
def lake(cast, tmp_path):
    """sales' folder with a landing file; the other application's folder; a secret outside."""
    root = Path(settings.HUB_DATA_ROOT)
    own = root / "applications" / "sales"
    (own / "landing" / "customers").mkdir(parents=True)
    (own / "landing" / "customers" / "customers.csv").write_text(CUSTOMERS)
    (own / "landing" / "customers" / "old.csv").write_text("customer_id\n9\n")
    other = root / "applications" / "sales-other"
    other.mkdir(parents=True)
    (other / "secret.csv").write_text("card\n4111\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwords.csv").write_text("user,password\nroot,hunter2\n")
    return {"own": own, "other": other, "outside": outside}


def draft_for(client, user, sources=None) -> str:
    client.force_login(user)
    key = start(client)
    post(client, key, "basics", BASICS)
    post(client, key, "sources", sources or {"r0-kind": "csv", "r0-id": "customers"}, "check")
    return key


def url(key, what, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/pipelines/draft/{key}/data/{what}/?{query}"


def test_the_data_folder_lists_folders_and_files_with_size_and_time(client, cast, lake):
    key = draft_for(client, cast.alice)
    top = client.get(url(key, "browse", row=0))
    assert top.status_code == 200
    assert "landing/" in top.content.decode()
    where = url(key, "browse", row=0, root=0, dir="landing/customers")
    fragment = client.get(where, headers={"HX-Request": "true"}).content.decode()
    assert 'data-path="landing/customers/customers.csv"' in fragment and "<h1>" not in fragment
    assert "old.csv" in fragment and "bytes" in fragment and "20" in fragment  # size, year
    # without JavaScript the same list is a page, and a file is picked with a form
    body = client.get(where).content.decode()
    assert "<h1>" in body and 'name="path" value="landing/customers/customers.csv"' in body
    picked = client.post(
        f"/pipelines/draft/{key}/data/pick/",
        {"row": "0", "path": "landing/customers/customers.csv"},
    )
    assert picked.status_code == 302
    step = client.get(f"/pipelines/draft/{key}/sources/").content.decode()
    assert 'value="landing/customers/customers.csv"' in step and "1 file matches" in step


def test_browsing_never_leaves_the_applications_storage(client, cast, lake):
    key = draft_for(client, cast.alice)
    os.symlink(lake["outside"], lake["own"] / "escape")
    os.symlink(lake["other"], lake["own"] / "neighbour")
    os.symlink(lake["own"] / "landing", lake["own"] / "inside")
    body = client.get(url(key, "browse", row=0)).content.decode()
    assert "inside/" in body and "escape" not in body and "neighbour" not in body
    for folder in ("..", "../sales-other", "/etc", "escape", "neighbour", "landing/../../"):
        response = client.get(url(key, "browse", row=0, dir=folder))
        assert response.status_code == 200
        page = response.content.decode()
        assert "secret.csv" not in page and "passwords" not in page and "problem" in page
    assert "problem" in client.get(url(key, "browse", row=0, root=7)).content.decode()


def test_a_root_holding_every_application_still_hides_the_others(client, cast, lake):
    data_policy.allow(
        actor=None,
        application="sales",
        kind="storage",
        value=str(Path(settings.HUB_DATA_ROOT).resolve() / "applications"),
    )
    key = draft_for(client, cast.alice)
    body = client.get(url(key, "browse", row=0, root=1)).content.decode()
    assert "sales/" in body and "sales-other" not in body
    denied = client.get(url(key, "browse", row=0, root=1, dir="sales-other")).content.decode()
    assert "secret.csv" not in denied


def test_a_path_or_wildcard_says_how_many_files_it_matches(client, cast, lake):
    key = draft_for(client, cast.alice)
    one = client.get(url(key, "match", row=0) + "&r0-path=landing/customers/*.csv")
    assert "2 files match" in one.content.decode()
    none = client.get(url(key, "match", row=0) + "&r0-path=landing/customer/*.csv")
    assert "No file matches <code>landing/customer/*.csv</code>" in none.content.decode()
    # the same warning on the row's field when the step is drawn, and on the Review step
    sources = {"r0-kind": "csv", "r0-id": "customers", "r0-path": "landing/customer/*.csv"}
    step = post(client, key, "sources", sources, "check").content.decode()
    field = step.split('data-field="path"')[1].split('data-field="header"')[0]
    assert "No file matches <code>landing/customer/*.csv</code>" in field
    review = client.get(f"/pipelines/draft/{key}/review/").content.decode()
    assert "no file matches <code>landing/customer/*.csv</code> now" in review


@pytest.mark.parametrize(
    "path",
    ["../sales-other/secret.csv", "/etc/passwd", "escape/*.csv", "{..,x}/secret.csv"],
)
def test_matching_refuses_what_lies_outside(client, cast, lake, path):
    os.symlink(lake["outside"], lake["own"] / "escape")
    key = draft_for(client, cast.alice)
    where = f"/pipelines/draft/{key}/data/"
    body = client.get(f"{where}match/", {"row": 0, "r0-path": path}).content.decode()
    assert "problem" in body and "match" not in body.split("problem")[0]
    sample = client.get(f"{where}sample/", {"row": 0, "r0-path": path}).content.decode()
    assert "hunter2" not in sample and "4111" not in sample and "problem" in sample


def test_a_new_application_has_an_empty_data_folder(cast):
    policy = data_policy.policy_for("sales")
    assert storage_browser.listing(policy, 0, "")[2] == []
    with pytest.raises(storage_browser.Refused):
        storage_browser.listing(policy, 0, "landing")


def test_the_browser_module_confines_every_entry(cast, lake):
    policy = data_policy.policy_for("sales")
    os.symlink(lake["outside"] / "passwords.csv", lake["own"] / "landing" / "pw.csv")
    _, _, entries = storage_browser.listing(policy, 0, "landing")
    assert [e.name for e in entries] == ["customers"]
    assert storage_browser.matches(policy, "landing/*.csv").problem
    with pytest.raises(storage_browser.Refused):
        storage_browser.first_bytes(policy, "landing/pw.csv")


def test_only_authors_of_the_application_may_browse(client, cast, lake):
    key = draft_for(client, cast.alice)
    # alice stops being an author of sales (a reviewer now) with the draft still open
    Membership.objects.filter(user=cast.alice, role="author").delete()
    grant(cast.alice, cast.application, "reviewer")
    for what in ("browse", "match", "sample"):
        refused = client.get(url(key, what, row=0))
        assert refused.status_code == 403 and "landing" not in refused.content.decode()
    # someone else never sees alice's draft at all
    client.force_login(cast.mallory)
    assert client.get(url(key, "browse", row=0)).status_code == 302


def test_a_sample_shows_rows_and_types_and_becomes_the_schema(client, cast, lake, repo):
    sources = {
        "r0-kind": "csv",
        "r0-id": "customers",
        "r0-path": "landing/customers/customers.csv",
        "r0-header": "on",
        "r0-delimiter": ",",
        "r0-load_policy": "onDemand",
        "r0-on_invalid_rows": "fail",
    }
    key = draft_for(client, cast.alice, sources)
    sample = client.get(url(key, "sample", row=0)).content.decode()
    assert "Björn, jr" in sample and "customer_id" in sample
    assert 'type-int">int' in sample and 'type-string">string' in sample
    # the step's own button posts the rows (no JavaScript needed), then the schema is kept
    response = client.post(
        f"/pipelines/draft/{key}/data/schema/", {**sources, "row": "0", "schema_name": "cust"}
    )
    assert response.status_code == 302
    step = client.get(f"/pipelines/draft/{key}/sources/").content.decode()
    assert 'value="schemas/cust.avsc"' in step
    # the column pickers now offer the sampled columns; a misspelt one is flagged at its field
    steps = {
        "r0-kind": "deduplicate",
        "r0-source": "customers",
        "r0-keys": "contry_code",
        "r0-keep": "first",
    }
    page = post(client, key, "transformations", steps, "check").content.decode()
    assert 'data-column="country_code"' in page
    field = page.split('data-field="keys"')[1].split('data-field="keep"')[0]
    assert "is not in dataset" in field and "did you mean" in field
    assert "step-mark" in page
    # before the schema is kept, the Review warns of it too (the validator cannot see it)
    sampled_only = dict(sources)
    post(client, key, "sources", sampled_only, "check")
    review = client.get(f"/pipelines/draft/{key}/review/").content.decode()
    assert "contry_code" in review and "as sampled" in review
    post(client, key, "sources", {**sources, "r0-schema_ref": "schemas/cust.avsc"}, "check")
    # when the name is fixed and the pipeline submitted, the schema is in the same change
    steps["r0-keys"] = "country_code"
    assert post(client, key, "transformations", steps).status_code == 302
    target = {"r0-kind": "hive", "r0-table": "sales.customers", "r0-mode": "overwrite"}
    target |= {"r0-format": "parquet"}
    assert post(client, key, "targets", target).status_code == 302
    review = client.get(f"/pipelines/draft/{key}/review/").content.decode()
    assert "The pipeline is valid" in review, review
    done = client.post(f"/pipelines/draft/{key}/review/", {"title": "Customers from the lake"})
    assert done.status_code == 302
    change = ChangeRequest.objects.get()
    files = repo.files(change.head_commit)
    schema = files.read("applications/sales/staging/schemas/cust.avsc")
    assert b'"country_code"' in schema and b'"int"' in schema
    assert b'schemaRef="schemas/cust.avsc"' in files.read(change.path)


@pytest.mark.parametrize(
    "path",
    [
        "applications/sales-other/staging/schemas/x.avsc",
        "applications/sales/staging/pipelines/x.avsc",
        "applications/sales/staging/schemas/../../x.avsc",
    ],
)
def test_a_change_request_writes_schemas_of_its_own_layer_only(cast, repo, path):
    from pipelines_app import services
    from pipelines_app.testing import pipeline_xml

    xml = pipeline_xml()
    with pytest.raises(services.BadInput):
        services.change_request_create(
            author=cast.alice,
            application="sales",
            layer="staging",
            kind="pipeline",
            xml=xml,
            title="t",
            extra_files={path: SCHEMA},
        )
    assert not ChangeRequest.objects.exists()
    # the same schema in its own layer is accepted, committed beside the pipeline
    own = "applications/sales/staging/schemas/extra.avsc"
    change = services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=xml,
        title="t",
        extra_files={own: SCHEMA},
    )
    assert repo.files(change.head_commit).read(own) == SCHEMA


SCHEMA = b'{"type": "record", "name": "x", "fields": [{"name": "a", "type": "int"}]}\n'

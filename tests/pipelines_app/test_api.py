"""REST API v1: every role on every endpoint, and the answers to bad input."""

import json

import pytest

from pipelines_app import services
from pipelines_app.models import AuditEvent, ChangeRequest
from pipelines_app.testing import pipeline_xml

API = "/api/v1"


@pytest.fixture
def published(repo, alice, bob):
    cr = services.change_request_create(
        author=alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=pipeline_xml(),
        title="Add customer load",
    )
    return services.change_request_approve(change_request=cr, reviewer=bob)


@pytest.fixture
def open_cr(published, alice):
    return services.change_request_create(
        author=alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=pipeline_xml("other_load"),
        title="Add other load",
    )


NEW_XML = pipeline_xml("new_load").decode()
MEMBERS_READ = {"alice": 200, "bob": 200, "olga": 200, "mallory": 404, "admin": 200, "": 403}
ENDPOINTS = [
    (
        "get",
        "/applications/",
        None,
        {"alice": 200, "bob": 200, "olga": 200, "mallory": 200, "admin": 200, "": 403},
    ),
    ("get", "/pipelines/?application=sales", None, MEMBERS_READ),
    ("get", "/pipelines/sales/staging/customer_load/", None, MEMBERS_READ),
    ("get", "/pipelines/sales/staging/customer_load/history/", None, MEMBERS_READ),
    (
        "post",
        "/validate/",
        {"application": "sales", "layer": "staging", "xml": NEW_XML},
        MEMBERS_READ,
    ),
    (
        "post",
        "/change-requests/",
        {
            "application": "sales",
            "layer": "staging",
            "kind": "pipeline",
            "xml": NEW_XML,
            "title": "New",
        },
        {"alice": 201, "bob": 403, "olga": 403, "mallory": 404, "admin": 201, "": 403},
    ),
    (
        "get",
        "/change-requests/",
        None,
        {"alice": 200, "bob": 200, "olga": 200, "mallory": 200, "admin": 200, "": 403},
    ),
    ("get", "/change-requests/{n}/", None, MEMBERS_READ),
    (
        "post",
        "/change-requests/{n}/approve/",
        {"comment": "ok", "head_commit": "{head}"},
        {"alice": 403, "bob": 200, "olga": 403, "mallory": 404, "admin": 200, "": 403},
    ),
    (
        "post",
        "/change-requests/{n}/request-changes/",
        {"comment": "fix", "head_commit": "{head}"},
        {"alice": 403, "bob": 200, "olga": 403, "mallory": 404, "admin": 200, "": 403},
    ),
    (
        "post",
        "/change-requests/{n}/reject/",
        {"comment": "no", "head_commit": "{head}"},
        {"alice": 403, "bob": 200, "olga": 403, "mallory": 404, "admin": 200, "": 403},
    ),
    (
        "post",
        "/change-requests/{n}/withdraw/",
        None,
        {"alice": 200, "bob": 403, "olga": 403, "mallory": 404, "admin": 200, "": 403},
    ),
    (
        "patch",
        "/change-requests/{n}/",
        {"title": "Better title"},
        {"alice": 200, "bob": 403, "olga": 403, "mallory": 404, "admin": 403, "": 403},
    ),
    (
        "post",
        "/change-requests/{n}/comments/",
        {"comment": "hello"},
        {"alice": 201, "bob": 201, "olga": 201, "mallory": 404, "admin": 201, "": 403},
    ),
    (
        "post",
        "/pipelines/sales/staging/customer_load/restore/",
        {"commit": "{merge}"},
        {"alice": 409, "bob": 403, "olga": 403, "mallory": 404, "admin": 409, "": 403},
    ),
    (
        "get",
        "/reviews/queue/",
        None,
        {"alice": 200, "bob": 200, "olga": 200, "mallory": 200, "admin": 200, "": 403},
    ),
    (
        "get",
        "/audit/",
        None,
        {"alice": 403, "bob": 403, "olga": 403, "mallory": 403, "admin": 200, "": 403},
    ),
]
CASES = [
    pytest.param(method, url, body, persona, expected, id=f"{method} {url} as {persona or 'anon'}")
    for method, url, body, table in ENDPOINTS
    for persona, expected in table.items()
]


@pytest.mark.parametrize(("method", "url", "body", "persona", "expected"), CASES)
def test_every_role_on_every_endpoint(
    cast, open_cr, published, api, method, url, body, persona, expected
):
    # given
    client = api(cast.by_name(persona))
    url = API + url.format(n=open_cr.number)
    if body:
        body = {
            k: v.format(merge=published.merge_commit, head=open_cr.head_commit)
            for k, v in body.items()
        }

    # when
    response = getattr(client, method)(url, body, format="json")

    # then
    assert response.status_code == expected, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


def test_a_token_from_username_and_password_authenticates(cast, api):
    client = api()
    response = client.post(
        f"{API}/auth/token/", {"username": "alice", "password": cast.password}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    names = [a["name"] for a in client.get(f"{API}/applications/").json()]

    assert names == ["sales"]
    bad = api().post(f"{API}/auth/token/", {"username": "alice", "password": "x"}, format="json")
    assert bad.status_code == 400
    assert AuditEvent.objects.filter(action="auth.token_refused").exists()


def test_an_author_proposes_and_a_reviewer_approves_through_the_api(repo, alice, bob, api):
    created = api(alice).post(
        f"{API}/change-requests/",
        {
            "application": "sales",
            "layer": "staging",
            "kind": "pipeline",
            "xml": pipeline_xml().decode(),
            "title": "Add customer load",
            "description": "why",
        },
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["branch"], body["errors"]) == (
        "in_review",
        f"cr/{body['id']}-customer_load",
        [],
    )
    assert len(body["head_commit"]) == 40

    queue = api(bob).get(f"{API}/reviews/queue/").json()
    assert [item["id"] for item in queue["results"]] == [body["id"]]
    detail = api(bob).get(f"{API}/change-requests/{body['id']}/").json()
    assert '+<pipeline id="customer_load"' in detail["diff"]
    assert detail["governance"] == []
    assert "approve" in detail["actions"]

    approved = api(bob).post(
        f"{API}/change-requests/{body['id']}/approve/",
        {"comment": "ok", "head_commit": detail["head_commit"]},
        format="json",
    )
    assert approved.json()["status"] == "merged"
    on_main = api(alice).get(f"{API}/pipelines/sales/staging/customer_load/").json()
    assert on_main["xml"] == pipeline_xml().decode()
    assert (on_main["version"], on_main["commit"]) == ("1.0", repo.head())
    listed = api(alice).get(f"{API}/change-requests/?status=merged&application=sales").json()
    assert [cr["id"] for cr in listed["results"]] == [body["id"]]


def test_invalid_xml_gives_400_with_located_errors_and_nothing_committed(repo, alice, api):
    response = api(alice).post(
        f"{API}/change-requests/",
        {
            "application": "sales",
            "layer": "staging",
            "kind": "pipeline",
            "xml": '<pipeline id="x" version="1.0" layer="staging">\n  <sources>\n',
            "title": "Bad",
        },
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and {"file", "line", "column", "message"} <= set(errors[0])
    assert errors[0]["line"] >= 1
    assert repo.branches() == ["main"]
    assert not ChangeRequest.objects.exists()


def test_validate_answers_valid_or_located_errors(repo, alice, api):
    ok = api(alice).post(
        f"{API}/validate/",
        {"application": "sales", "layer": "staging", "xml": pipeline_xml().decode()},
        format="json",
    )
    bad = api(alice).post(
        f"{API}/validate/",
        {"application": "sales", "layer": "staging", "xml": pipeline_xml(mode="sideways").decode()},
        format="json",
    )

    assert ok.json() == {"valid": True, "errors": []}
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert "sideways" in bad.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/pipelines/sales/staging/../", None),
        ("get", "/pipelines/sales/..%5C/customer_load/", None),
        ("get", "/pipelines/sales/staging/customer_load/?kind=schema", None),
        ("get", "/pipelines/?application=../../etc", None),
        ("get", "/pipelines/..%2F..%2Fetc/staging/x/", None),
        ("post", "/validate/", {"application": "../x", "layer": "staging", "xml": "<a/>"}),
        (
            "post",
            "/change-requests/",
            {
                "application": "../../x",
                "layer": "staging",
                "kind": "pipeline",
                "xml": "<a/>",
                "title": "x",
            },
        ),
        (
            "post",
            "/change-requests/",
            {
                "application": "sales",
                "layer": "staging",
                "kind": "pipeline",
                "action": "delete",
                "definition_id": "../../etc/passwd",
                "title": "x",
            },
        ),
        (
            "post",
            "/change-requests/",
            {
                "application": "sales",
                "layer": "staging",
                "kind": "schema",
                "definition_id": "../../../x.avsc",
                "xml": "{}",
                "title": "x",
            },
        ),
        (
            "post",
            "/change-requests/",
            {
                "application": "sales",
                "layer": "../../x",
                "kind": "pipeline",
                "xml": "<a/>",
                "title": "x",
            },
        ),
    ],
)
def test_traversal_in_ids_or_paths_gives_400(repo, alice, api, method, url, body):
    response = getattr(api(alice), method)(API + url, body, format="json")

    assert response.status_code in (400, 404), response.content[:300]
    if response.status_code == 404:  # an encoded "/" does not match the URL pattern at all
        assert "%2F" in url
        return
    assert response.json()["detail"]
    assert repo.branches() == ["main"]


def test_governance_findings_block_approval_with_409_until_overridden(repo, alice, bob, api):
    cr = services.change_request_create(
        author=alice,
        application="sales",
        layer="service",
        kind="pipeline",
        xml=pipeline_xml(layer="service", mask=False),
        title="Export",
    )
    url = f"{API}/change-requests/{cr.number}/approve/"

    read = {"comment": "ok", "head_commit": cr.head_commit}
    blocked = api(bob).post(url, read, format="json")
    assert blocked.status_code == 409
    assert blocked.json()["governance"][0]["code"] == "pii_unmasked"

    overridden = api(bob).post(url, read | {"override_reason": "agreed with DPO"}, format="json")
    assert overridden.json()["status"] == "merged"


def test_an_unknown_change_request_is_a_json_404(cast, api):
    for number in ("999", "abc"):
        response = api(cast.alice).get(f"{API}/change-requests/{number}/")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_the_audit_log_exports_json_lines(published, admin, api):
    response = api(admin).get(f"{API}/audit/?format=jsonl&since=2000-01-01")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [line["action"] for line in lines] == [
        "change_request.create",
        "change_request.approve",
        "change_request.merge",
        "audit.export",  # the export itself is audited
    ]
    assert lines[0]["actor"] == "alice"

    paged = api(admin).get(f"{API}/audit/?since=2999-01-01").json()
    assert paged == {"next": None, "results": []}
    seen, url = [], f"{API}/audit/?limit=2"
    while url:
        page = api(admin).get(url).json()
        seen += [event["id"] for event in page["results"]]
        url = page["next"]
    assert seen == sorted(AuditEvent.objects.values_list("id", flat=True))
    assert api(admin).get(f"{API}/audit/?cursor=nonsense").status_code == 400
    assert api(admin).get(f"{API}/audit/?since=yesterday").status_code == 400


DECISIONS = ["approve", "request-changes", "reject"]


@pytest.mark.parametrize("decision", DECISIONS)
def test_a_decision_on_a_version_that_moved_is_409_with_the_new_head_and_changes_nothing(
    open_cr, alice, bob, api, decision
):
    # given: bob reads the change, then alice updates it
    read = api(bob).get(f"{API}/change-requests/{open_cr.number}/").json()["head_commit"]
    services.change_request_update(
        change_request=open_cr, author=alice, xml=pipeline_xml("other_load", mode="overwrite")
    )
    open_cr.refresh_from_db()

    # when
    response = api(bob).post(
        f"{API}/change-requests/{open_cr.number}/{decision}/",
        {"comment": "as read", "head_commit": read},
        format="json",
    )

    # then
    assert response.status_code == 409
    body = response.json()
    assert (body["error"], body["head_commit"]) == ("moved", open_cr.head_commit)
    assert "moved since you opened it" in body["detail"]
    open_cr.refresh_from_db()
    assert open_cr.status == "in_review"
    assert not open_cr.reviews.exists()


@pytest.mark.parametrize("decision", DECISIONS)
def test_a_decision_without_the_head_it_read_is_400(open_cr, bob, api, decision):
    response = api(bob).post(
        f"{API}/change-requests/{open_cr.number}/{decision}/", {"comment": "ok"}, format="json"
    )

    assert response.status_code == 400
    assert "head_commit" in response.json()["fields"]
    open_cr.refresh_from_db()
    assert open_cr.status == "in_review" and not open_cr.reviews.exists()


def test_the_schema_documents_head_commit_and_the_409(cast, api):
    schema = api(cast.alice).get("/api/schema/?format=json").json()

    approve = schema["paths"]["/api/v1/change-requests/{number}/approve/"]["post"]
    assert "409" in approve["responses"]
    assert "head_commit" in schema["components"]["schemas"]["Approve"]["required"]


def test_restore_of_a_commit_main_never_had_for_that_definition_is_a_clear_400(open_cr, alice, api):
    url = f"{API}/pipelines/sales/staging/customer_load/restore/"

    response = api(alice).post(url, {"commit": open_cr.head_commit}, format="json")

    assert response.status_code == 400
    assert (
        "is not a version of applications/sales/staging/pipelines/customer_load.xml on main"
        in (response.json()["detail"])
    )
    assert not ChangeRequest.objects.filter(title__startswith="Restore").exists()

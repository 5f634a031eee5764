"""Every state-changing page and API endpoint of change requests writes exactly one audit line,
naming the actor and where the request came from: the page and the API call the same service,
and the service writes the line (the view never does)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from pipelines_app import services
from pipelines_app.models import AuditEvent
from pipelines_app.testing import pipeline_xml
from tests.pipelines_app.test_pages_wizard import fill_wizard

pytestmark = pytest.mark.django_db

AGENT = "Mozilla/5.0 (reviewer's laptop)"
IP = "198.51.100.4"
API = "/api/v1"
DEFINITION = "/pipelines/sales/staging/pipeline/customer_load/"


def _create(cast, xml, title, **kwargs):
    return services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=xml,
        title=title,
        **kwargs,
    )


@pytest.fixture
def world(cast, repo):
    """customer_load published twice; other_load in review (two approvals needed, so one
    approval does not merge); draft_load a draft; a change that conflicts with main."""
    first = _create(cast, pipeline_xml(), "Add customer_load")
    conflict = _create(cast, pipeline_xml(owner="crm-team"), "Load (another owner)")
    first = services.change_request_approve(change_request=first, reviewer=cast.bob)
    services.change_request_approve(change_request=conflict, reviewer=cast.carol)  # conflicts
    conflict.refresh_from_db()
    assert conflict.status == "needs_rebase"
    second = _create(
        cast,
        pipeline_xml(mode="overwrite"),
        "customer_load v2",
        action="edit",
        definition_id="customer_load",
    )
    services.change_request_approve(change_request=second, reviewer=cast.bob)
    cast.application.required_approvals = 2
    cast.application.save()
    open_cr = _create(cast, pipeline_xml("other_load"), "Add other_load")
    draft = _create(cast, pipeline_xml("draft_load"), "Add draft_load", submit=False)
    return {"first": first, "open": open_cr, "draft": draft, "conflict": conflict}


def _page(user):
    client = Client(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=IP)
    client.force_login(user)
    return client


def _api(user):
    client = APIClient(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=IP)
    client.force_authenticate(user)
    return client


# (via, persona, method, url, body, the audit action); {open}, {draft}, {head}, {first} filled in
ACTIONS = [
    ("page", "bob", "post", "/changes/{open}/review/approve/", {"head_commit": "{head}"},
     "change_request.approve"),
    ("page", "bob", "post", "/changes/{open}/review/request-changes/",
     {"head_commit": "{head}", "comment": "mask the email"}, "change_request.request_changes"),
    ("page", "bob", "post", "/changes/{open}/review/reject/",
     {"head_commit": "{head}", "comment": "not needed"}, "change_request.reject"),
    ("page", "alice", "post", "/changes/{open}/author/withdraw/", {}, "change_request.withdraw"),
    ("page", "alice", "post", "/changes/{draft}/author/submit/", {}, "change_request.submit"),
    ("page", "alice", "post", "/changes/{conflict}/author/rebase/", {}, "change_request.rebase"),
    ("page", "bob", "post", "/changes/{open}/comment/", {"body": "why?"},
     "change_request.comment"),
    ("page", "alice", "post", DEFINITION + "restore/", {"commit": "{first}"},
     "change_request.create"),
    ("page", "alice", "post", DEFINITION + "delete/", {"title": "Remove customer_load"},
     "change_request.create"),
    ("api", "alice", "post", "/change-requests/",
     {"application": "sales", "layer": "staging", "kind": "pipeline",
      "xml": pipeline_xml("new_load").decode(), "title": "New"}, "change_request.create"),
    ("api", "alice", "patch", "/change-requests/{open}/",
     {"xml": pipeline_xml("other_load", mode="overwrite").decode()}, "change_request.update"),
    ("api", "bob", "post", "/change-requests/{open}/approve/", {"head_commit": "{head}"},
     "change_request.approve"),
    ("api", "bob", "post", "/change-requests/{open}/request-changes/",
     {"head_commit": "{head}", "comment": "mask the email"}, "change_request.request_changes"),
    ("api", "bob", "post", "/change-requests/{open}/reject/",
     {"head_commit": "{head}", "comment": "not needed"}, "change_request.reject"),
    ("api", "alice", "post", "/change-requests/{open}/withdraw/", None,
     "change_request.withdraw"),
    ("api", "alice", "post", "/change-requests/{draft}/submit/", None, "change_request.submit"),
    ("api", "alice", "post", "/change-requests/{conflict}/rebase/", None,
     "change_request.rebase"),
    ("api", "bob", "post", "/change-requests/{open}/comments/", {"comment": "why?"},
     "change_request.comment"),
    ("api", "alice", "post", "/pipelines/sales/staging/customer_load/restore/",
     {"commit": "{first}"}, "change_request.create"),
    ("api", "admin", "get", "/audit/?format=jsonl", None, "audit.export"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("via", "persona", "method", "url", "body", "action"),
    [pytest.param(*case, id=f"{case[0]} {case[2]} {case[3]}") for case in ACTIONS],
)
def test_the_action_writes_exactly_one_audit_line_naming_the_actor(
    cast, world, via, persona, method, url, body, action
):
    # given
    values = {
        "open": world["open"].number,
        "draft": world["draft"].number,
        "conflict": world["conflict"].number,
        "head": world["open"].head_commit,
        "first": world["first"].merge_commit,
    }
    url = url.format(**values)
    body = {k: v.format(**values) if isinstance(v, str) else v for k, v in (body or {}).items()}
    user = cast.by_name(persona)
    before = set(AuditEvent.objects.values_list("id", flat=True))

    # when
    if via == "page":
        response = getattr(_page(user), method)(url, body)
    else:
        response = getattr(_api(user), method)(API + url, body or None, format="json")
        if method == "get":
            b"".join(response.streaming_content)

    # then
    assert response.status_code < 400, response.content[:300]
    new = list(AuditEvent.objects.exclude(id__in=before))
    assert [(e.action, e.actor_name) for e in new] == [(action, persona)]
    assert (new[0].actor_id, new[0].ip, new[0].user_agent) == (user.pk, IP, AGENT)


def test_every_change_request_action_of_the_api_is_in_the_cases_above():
    """A new action endpoint needs its line in ACTIONS."""
    from pipelines_app.api.urls import urlpatterns

    prefix = "change-requests/<str:number>/"
    endpoints = {
        str(p.pattern)[len(prefix) :].strip("/")
        for p in urlpatterns
        if str(p.pattern).startswith(prefix) and str(p.pattern) != prefix
    }
    covered = {url.rstrip("/").rsplit("/", 1)[-1] for via, *_, url, _, _ in ACTIONS if via == "api"}
    assert endpoints and endpoints <= covered, endpoints - covered


def _draft_key(response) -> str:
    """The draft a wizard or XML-editor entry point redirected to."""
    assert response.status_code == 302, response.content[:300]
    return response["Location"].split("/pipelines/draft/", 1)[1].split("/", 1)[0]


def _wizard_create(client, world):
    key = fill_wizard(client)
    return f"/pipelines/draft/{key}/review/", {"title": "Add customer_clean", "action": "submit"}


def _wizard_update(client, world):
    key = _draft_key(client.get(f"/changes/{world['open'].number}/update/"))
    return f"/pipelines/draft/{key}/review/", {"title": "other_load, retitled", "action": "submit"}


def _xml_page(entry: str, xml: bytes, title: str):
    """Opens the XML editor at ``entry``; its submit of ``xml`` proposes it."""

    def reach(client, world):
        key = _draft_key(client.get(entry.format(open=world["open"].number)))
        body = {"application": "sales", "layer": "staging", "xml": xml.decode()}
        return f"/pipelines/draft/{key}/xml/", {**body, "action": "submit", "title": title}

    return reach


# the wizard's and the XML editor's propose: (id, how the page is reached, the audit action)
PROPOSALS = [
    ("wizard create", _wizard_create, "change_request.create"),
    ("wizard update", _wizard_update, "change_request.update"),
    ("xml create", _xml_page("/pipelines/new/?mode=xml", pipeline_xml("xml_load"), "Add xml_load"),
     "change_request.create"),
    ("xml edit of a published one", _xml_page(DEFINITION + "edit/?mode=xml",
     pipeline_xml(mode="overwrite"), "Edit"), "change_request.create"),
    ("xml update", _xml_page("/changes/{open}/update/",
     pipeline_xml("other_load", mode="overwrite"), "Overwrite"), "change_request.update"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reach", "action"), [pytest.param(*case[1:], id=case[0]) for case in PROPOSALS]
)
def test_proposing_from_the_wizard_or_the_xml_editor_writes_exactly_one_audit_line(
    cast, world, reach, action
):
    # given: the author's draft, filled in on the pages before the one that proposes
    client = _page(cast.alice)
    url, body = reach(client, world)
    before = set(AuditEvent.objects.values_list("id", flat=True))

    # when
    response = client.post(url, body)

    # then: proposed (the change request's page), and one line for it
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith("/changes/"), response["Location"]
    new = list(AuditEvent.objects.exclude(id__in=before))
    assert [(e.action, e.actor_name) for e in new] == [(action, "alice")]
    assert (new[0].actor_id, new[0].ip, new[0].user_agent) == (cast.alice.pk, IP, AGENT)

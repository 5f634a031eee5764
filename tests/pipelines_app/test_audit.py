"""The audit trail is append-only; permission changes and exports are recorded."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from pipelines_app import audit
from pipelines_app.audit import client_of
from pipelines_app.models import AppendOnly, AuditEvent, Membership


def test_it_records_who_what_and_from_where(rf, alice):
    request = rf.get("/", HTTP_USER_AGENT="curl/8", REMOTE_ADDR="10.1.2.3")

    event = audit.record(alice, "thing.done", "target:1", {"n": 1}, request)

    assert (event.actor, event.actor_name, event.ip, event.user_agent) == (
        alice,
        "alice",
        "10.1.2.3",
        "curl/8",
    )


def test_audit_events_cannot_be_changed_or_deleted(alice):
    event = audit.record(alice, "thing.done", "target:1", {})

    event.action = "something.else"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(AppendOnly):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_changes_made_behind_djangos_back(alice):
    audit.record(alice, "thing.done", "target:1", {})

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE pipelines_app_auditevent SET action = 'x'")


def test_grant_and_revoke_change_roles_and_are_audited(cast):
    out = io.StringIO()
    call_command("grant", "olga", "sales", "reviewer", stdout=out)
    assert "olga is now a reviewer of sales" in out.getvalue()
    assert Membership.objects.filter(user=cast.olga, role="reviewer").exists()

    call_command("revoke", "olga", "sales", "reviewer", stdout=out)
    assert not Membership.objects.filter(user=cast.olga, role="reviewer").exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="membership.").values_list("action", flat=True)
    ) == ["membership.grant", "membership.revoke"]


def test_grant_explains_how_to_create_a_missing_application(cast):
    with pytest.raises(CommandError, match="--create-application"):
        call_command("grant", "olga", "billing", "author")
    with pytest.raises(CommandError, match="no user"):
        call_command("grant", "nobody", "sales", "author")

    call_command("grant", "olga", "billing", "author", "--create-application", stdout=io.StringIO())

    assert Membership.objects.filter(user=cast.olga, application__name="billing").exists()


def test_export_audit_writes_json_lines(alice):
    audit.record(alice, "thing.done", "target:1", {"ü": "ß"})
    out = io.StringIO()

    call_command("export_audit", "--since", "2000-01-01", stdout=out)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["actor"], e["action"], e["details"]) for e in lines] == [
        ("alice", "thing.done", {"ü": "ß"})
    ]


def test_the_admin_lists_audit_events_read_only(client, admin, alice):
    audit.record(alice, "thing.done", "target:1", {})
    client.force_login(admin)

    listing = client.get("/admin/pipelines_app/auditevent/")
    adding = client.get("/admin/pipelines_app/auditevent/add/")

    assert listing.status_code == 200
    assert b"thing.done" in listing.content
    assert adding.status_code == 403


def test_the_api_docs_page_works_offline(client, alice):
    client.force_login(alice)

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/change-requests/" in schema.content
    assert docs.status_code == 200
    assert b"drf_spectacular_sidecar" in docs.content


def test_every_step_of_a_change_is_in_the_audit_log(repo, cast, alice, bob, carol, rf):
    from pipelines_app import services
    from pipelines_app.testing import pipeline_xml

    client = client_of(rf.post("/", REMOTE_ADDR="10.0.0.7", HTTP_USER_AGENT="pytest"))
    common = {"application": "sales", "layer": "service", "kind": "pipeline", "client": client}

    cr = services.change_request_create(
        author=alice,
        xml=pipeline_xml(layer="service", mask=False),
        title="Export",
        submit=False,
        **common,
    )
    services.change_request_submit(change_request=cr, author=alice, client=client)
    services.change_request_comment(change_request=cr, author=bob, body="why?", client=client)
    services.change_request_request_changes(
        change_request=cr, reviewer=bob, comment="mask it", client=client
    )
    services.change_request_update(
        change_request=cr,
        author=alice,
        xml=pipeline_xml(layer="service", mask=False, mode="overwrite"),
        client=client,
    )
    services.change_request_approve(
        change_request=cr, reviewer=carol, override_reason="public data", client=client
    )
    other = services.change_request_create(
        author=alice, xml=pipeline_xml("other", layer="service"), title="Other", **common
    )
    services.change_request_withdraw(change_request=other, author=alice, client=client)
    third = services.change_request_create(
        author=alice, xml=pipeline_xml("third", layer="service"), title="Third", **common
    )
    services.change_request_reject(change_request=third, reviewer=bob, comment="no", client=client)

    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.actor_name, e.action) for e in events] == [
        ("alice", "change_request.create"),
        ("alice", "change_request.submit"),
        ("bob", "change_request.comment"),
        ("bob", "change_request.request_changes"),
        ("alice", "change_request.update"),
        ("carol", "change_request.approve"),
        ("carol", "change_request.override"),
        ("carol", "change_request.merge"),
        ("alice", "change_request.create"),
        ("alice", "change_request.withdraw"),
        ("alice", "change_request.create"),
        ("bob", "change_request.reject"),
    ]
    assert {(e.ip, e.user_agent) for e in events} == {("10.0.0.7", "pytest")}


def test_permission_changes_in_the_admin_are_audited(client, cast, admin):
    client.force_login(admin)

    added = client.post(
        "/admin/pipelines_app/membership/add/",
        {"user": cast.olga.pk, "application": cast.application.pk, "role": "reviewer"},
    )
    membership = Membership.objects.get(user=cast.olga, role="reviewer")
    deleted = client.post(
        f"/admin/pipelines_app/membership/{membership.pk}/delete/", {"post": "yes"}
    )

    assert (added.status_code, deleted.status_code) == (302, 302)
    events = AuditEvent.objects.filter(action__startswith="membership.").order_by("id")
    assert [(e.actor_name, e.action, e.details["user"], e.details["role"]) for e in events] == [
        ("admin", "membership.grant", "olga", "reviewer"),
        ("admin", "membership.revoke", "olga", "reviewer"),
    ]

"""API tokens: stored hashed, shown once, expire, revoked by their owner or staff."""

import importlib
from datetime import timedelta

from django.apps import apps
from django.utils import timezone
from rest_framework.authtoken.models import Token

from pipelines_app.models import AuditEvent
from portal.accounts.models import ApiToken
from portal.accounts.tokens import digest_of

API = "/api/v1"


def issue(api, cast, username="alice", **extra):
    response = api().post(
        f"{API}/auth/token/",
        {"username": username, "password": cast.password} | extra,
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def signed(api, token):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_is_shown_once_and_only_its_hash_is_kept(cast, api, settings):
    settings.HUB_API_TOKEN_DAYS = 30
    issued = issue(api, cast, name="nightly export")

    token = issued["token"]
    row = ApiToken.objects.get()
    assert token.startswith("dh_") and len(token) > 40
    assert row.digest == digest_of(token) and token not in (row.digest, row.prefix)
    assert issued["prefix"] == row.prefix == token[:10]
    assert (row.name, row.user, issued["state"]) == ("nightly export", cast.alice, "active")
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    assert not Token.objects.exists()
    assert signed(api, token).get(f"{API}/applications/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.token", actor=cast.alice).exists()


def test_each_request_for_a_token_makes_a_new_one(cast, api):
    first, second = issue(api, cast), issue(api, cast)

    assert first["token"] != second["token"]
    assert ApiToken.objects.filter(user=cast.alice).count() == 2


def test_an_expired_token_is_refused(cast, api):
    token = issue(api, cast)["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = signed(api, token).get(f"{API}/applications/")

    assert response.status_code in (401, 403)
    assert "expired" in response.json()["detail"]


def test_a_wrong_token_is_refused(cast, api):
    issue(api, cast)

    response = signed(api, "dh_not-a-token").get(f"{API}/applications/")

    assert response.status_code in (401, 403)


def test_the_owner_lists_and_revokes_a_token_and_it_stops_working(cast, api):
    token = issue(api, cast)["token"]
    issue(api, cast, username="bob")
    client = signed(api, token)

    listed = client.get(f"{API}/auth/tokens/").json()
    assert [t["user"] for t in listed] == ["alice"]
    assert "token" not in listed[0] and "digest" not in listed[0]
    revoked = client.post(f"{API}/auth/tokens/{listed[0]['id']}/revoke/")

    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    refused = signed(api, token).get(f"{API}/applications/")
    assert refused.status_code in (401, 403) and "revoked" in refused.json()["detail"]
    event = AuditEvent.objects.get(action="auth.token_revoked")
    assert (event.actor, event.details["token"]) == (cast.alice, token[:10])


def test_someone_elses_token_is_404_to_revoke(cast, api):
    issue(api, cast, username="bob")
    bobs = ApiToken.objects.get(user=cast.bob)

    response = api(cast.mallory).post(f"{API}/auth/tokens/{bobs.pk}/revoke/")

    assert response.status_code == 404
    bobs.refresh_from_db()
    assert bobs.state == "active"


def test_staff_list_and_revoke_anyones_token(cast, api):
    issue(api, cast, username="bob")
    bobs = ApiToken.objects.get(user=cast.bob)

    listed = api(cast.admin).get(f"{API}/auth/tokens/").json()
    response = api(cast.admin).post(f"{API}/auth/tokens/{bobs.pk}/revoke/")

    assert [t["user"] for t in listed] == ["bob"]
    assert response.json()["state"] == "revoked"
    bobs.refresh_from_db()
    assert bobs.revoked_by == cast.admin


def test_the_tokens_page_makes_shows_once_and_revokes(cast, client):
    client.force_login(cast.alice)

    made = client.post("/account/tokens/new/", {"name": "laptop"}, follow=True)
    body = made.content.decode()
    row = ApiToken.objects.get()
    shown = body.split('id="issued"')[1].split("<code>")[1].split("</code>")[0]
    assert row.digest == digest_of(shown)
    assert shown not in client.get("/account/tokens/").content.decode()
    client.post(f"/account/tokens/{row.pk}/revoke/")
    row.refresh_from_db()
    assert row.state == "revoked"
    client.force_login(cast.mallory)
    assert client.post(f"/account/tokens/{row.pk}/revoke/").status_code == 404


def test_the_migration_hashes_existing_clear_text_tokens_and_keeps_them_working(cast, api):
    # given: a token of the DRF authtoken table, kept in clear
    old = Token.objects.create(user=cast.bob)
    migration = importlib.import_module(
        "portal.accounts.migrations.0001_api_tokens_and_sign_in_failures"
    )

    # when
    migration.hash_existing_tokens(apps, None)

    # then
    assert not Token.objects.exists()
    row = ApiToken.objects.get(user=cast.bob)
    assert row.digest == digest_of(old.key) and row.state == "active"
    assert signed(api, old.key).get(f"{API}/applications/").status_code == 200

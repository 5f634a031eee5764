"""Sign-in throttling on the login page and the token endpoint: per user name and per address,
a clear message, audited; a success forgets the user name's failures."""

import pytest

from pipelines_app.models import AuditEvent
from portal.accounts.models import SignInFailure

API = "/api/v1"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.HUB_SIGNIN_MAX_FAILURES = 3
    settings.HUB_SIGNIN_MAX_FAILURES_PER_ADDRESS = 5
    settings.HUB_SIGNIN_LOCKOUT_SECONDS = 600


def ask_token(api, username, password, address="10.0.0.1"):
    return api(REMOTE_ADDR=address).post(
        f"{API}/auth/token/", {"username": username, "password": password}, format="json"
    )


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_token_endpoint_locks_a_user_name_after_repeated_failures(cast, api):
    for _ in range(3):
        assert ask_token(api, "alice", "wrong").status_code == 400

    locked = ask_token(api, "alice", cast.password, address="10.0.0.2")

    assert locked.status_code == 429
    assert locked.json()["detail"] == (
        "Too many failed sign-ins for this user name: it is locked for 10 minutes. "
        "Try again later, or ask an administrator."
    )
    assert AuditEvent.objects.filter(action="auth.locked_out", target="user:alice").exists()
    assert ask_token(api, "bob", cast.password, address="10.0.0.2").status_code == 200


def test_the_login_page_locks_a_user_name_and_says_so(cast, client):
    for _ in range(3):
        assert "didn't match" in sign_in(client, "alice", "wrong").content.decode()

    response = sign_in(client, "alice", cast.password, address="10.0.0.9")

    assert response.status_code == 200  # the form again, not signed in
    assert "locked for 10 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.login_refused").count() == 3
    assert AuditEvent.objects.filter(action="auth.locked_out").count() == 1


def test_an_address_trying_many_user_names_is_locked(cast, client, api):
    for name in ("u1", "u2", "u3", "u4", "u5"):
        sign_in(client, name, "guess", address="10.9.9.9")

    from_there = ask_token(api, "bob", cast.password, address="10.9.9.9")
    elsewhere = ask_token(api, "bob", cast.password, address="10.0.0.3")

    assert from_there.status_code == 429
    assert "from your address" in from_there.json()["detail"]
    assert elsewhere.status_code == 200


def test_a_success_forgets_the_user_names_failures(cast, client):
    for _ in range(2):
        sign_in(client, "alice", "wrong")

    assert sign_in(client, "alice", cast.password).status_code == 302
    client.logout()
    for _ in range(2):
        sign_in(client, "alice", "wrong")

    assert sign_in(client, "alice", cast.password).status_code == 302


def test_failures_older_than_the_lockout_no_longer_count(cast, api):
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(3):
        ask_token(api, "alice", "wrong")
    SignInFailure.objects.update(created_at=timezone.now() - timedelta(seconds=601))

    assert ask_token(api, "alice", cast.password).status_code == 200


def test_the_address_behind_a_trusted_proxy_is_the_last_forwarded_one(settings):
    from django.test import RequestFactory

    from portal.accounts.signin import client_address

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7"
    )

    assert client_address(request) == "10.0.0.1"
    settings.HUB_TRUST_X_FORWARDED_FOR = True
    assert client_address(request) == "203.0.113.7"


def test_the_admin_sign_in_is_throttled_too(cast, client):
    for _ in range(3):
        client.post(
            "/admin/login/", {"username": "admin", "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
        )

    response = client.post(
        "/admin/login/", {"username": "admin", "password": cast.password}, REMOTE_ADDR="10.0.0.4"
    )

    assert "locked for 10 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session

"""Webhooks cannot reach the portal's own network: the host is resolved when sending, and
loopback, private, link-local (metadata) addresses are refused unless allowed; redirects are not
followed; a malformed answer or URL is a failed attempt with the usual alert. Local HTTP server
and a raw TCP listener only: nothing leaves 127.0.0.1."""

import socket
import threading

import pytest

from runs_app import notifications
from runs_app.models import Alert, NotificationDelivery
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP
from tests.runs_app.test_notifications import Hook

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks(settings):
    settings.HUB_WEBHOOK_ATTEMPTS = 2
    settings.HUB_WEBHOOK_BACKOFF_SECONDS = 0
    settings.HUB_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.HUB_WEBHOOK_ALLOWED_HOSTS = []
    opened = []
    yield opened
    for hook in opened:
        hook.close()


def failed_run(published, run_queue, url):
    published.pipeline(
        "load", behaviour="fail", notifications=f'<webhook url="{url}" on="failure"/>'
    )
    run = run_trigger(application=APP, pipeline_id="load", params={})
    run_queue.drain()
    run.refresh_from_db()
    return run


def deliver(run):
    attempt = 1
    while notifications.deliver_webhook("pipeline", str(run.id), "failure", 0, attempt) is not None:
        attempt += 1
    return attempt


def deliveries():
    return list(NotificationDelivery.objects.order_by("attempt").values_list("status", "error"))


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("localhost", "loopback"),
        ("169.254.169.254", "link-local (metadata)"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("[::1]", "loopback"),
    ],
)
def test_a_webhook_to_a_non_public_address_is_refused_without_a_connection(
    published, run_queue, hooks, host, kind
):
    hook = Hook()
    hooks.append(hook)
    port = hook.server.server_port
    run = failed_run(published, run_queue, f"http://{host}:{port}/hook")

    attempts = deliver(run)

    assert attempts == 1 and hook.requests == []
    ((status, error),) = deliveries()
    assert status == "failed"
    assert f"a {kind} address; list it in HUB_WEBHOOK_ALLOWED_HOSTS" in error
    assert Alert.objects.filter(kind="delivery_failed").count() == 1


def test_a_listed_host_is_allowed(published, run_queue, hooks, settings):
    settings.HUB_WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    hook = Hook()
    hooks.append(hook)
    run = failed_run(published, run_queue, f"http://localhost:{hook.server.server_port}/h?t=1")

    assert deliver(run) == 1

    assert deliveries() == [("sent", "")]
    headers, _ = hook.requests[0]
    assert headers["Host"] == f"localhost:{hook.server.server_port}"


def test_a_redirect_is_not_followed(published, run_queue, hooks, settings):
    settings.HUB_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    elsewhere = Hook()
    hooks.append(elsewhere)
    redirecting = Hook(
        codes=[302, 302], location=f"http://127.0.0.1:{elsewhere.server.server_port}/"
    )
    hooks.append(redirecting)
    run = failed_run(published, run_queue, f"http://127.0.0.1:{redirecting.server.server_port}/")

    deliver(run)

    assert elsewhere.requests == []
    assert deliveries() == [("failed", "HTTP 302: redirects are not followed")] * 2
    assert NotificationDelivery.objects.filter(response_code=302).count() == 2
    assert Alert.objects.filter(kind="delivery_failed").count() == 1


class BadStatusLine:
    """A raw TCP listener that answers any request with a line that is not HTTP."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.recv(65536)
                connection.sendall(b"NOT-HTTP garbage\r\n\r\n")

    def close(self):
        self.socket.close()


def test_a_malformed_status_line_is_a_failed_attempt_and_raises_the_alert(
    published, run_queue, hooks, settings
):
    settings.HUB_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    listener = BadStatusLine()
    hooks.append(listener)
    run = failed_run(published, run_queue, f"http://127.0.0.1:{listener.port}/hook")

    attempts = deliver(run)

    assert attempts == 2 and listener.connections == 2
    assert [status for status, _ in deliveries()] == ["failed", "failed"]
    assert all(error.startswith("malformed response: BadStatusLine") for _, error in deliveries())
    alert = Alert.objects.get(kind="delivery_failed")
    assert "failed after 2 attempts: malformed response" in alert.message


def test_an_invalid_url_is_a_failed_attempt_and_raises_the_alert(published, run_queue, hooks):
    run = failed_run(published, run_queue, "http://127.0.0.1:99999/hook?token=abc")

    attempts = deliver(run)

    assert attempts == 1
    ((status, error),) = deliveries()
    assert status == "failed" and error.startswith("invalid URL")
    assert NotificationDelivery.objects.get().target == "http://127.0.0.1:99999/hook"
    assert Alert.objects.filter(kind="delivery_failed").count() == 1

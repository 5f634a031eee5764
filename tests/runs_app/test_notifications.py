"""Notifications: locmem mail, and webhooks against a local HTTP server (500s, a hang, HMAC)."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from runs_app import notifications
from runs_app.models import Alert, NotificationDelivery
from runs_app.services import run_trigger
from tests.runs_app.conftest import APP

pytestmark = pytest.mark.django_db


class Hook:
    """A local endpoint: answers with ``codes`` in turn (then 200); ``hang`` seconds first."""

    def __init__(self, codes=(), hang=0.0, location=None):
        self.codes, self.hang, self.requests = list(codes), hang, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append((dict(self.headers), body))
                if hook.hang:
                    time.sleep(hook.hang)
                self.send_response(hook.codes.pop(0) if hook.codes else 200)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook?token=abc"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def hook_settings(settings):
    settings.HUB_WEBHOOK_ATTEMPTS = 3
    settings.HUB_WEBHOOK_BACKOFF_SECONDS = 0
    settings.HUB_WEBHOOK_TIMEOUT_SECONDS = 0.5
    # The local test endpoints listen on loopback, which is refused unless listed.
    settings.HUB_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings


def _failed_run(published, run_queue, notes):
    published.pipeline("load", behaviour="fail", notifications=notes)
    run = run_trigger(application=APP, pipeline_id="load", params={})
    run_queue.drain()
    run.refresh_from_db()
    return run


def _deliver_until_done(run, event="failure", index=0):
    attempt = 1
    while notifications.deliver_webhook("pipeline", str(run.id), event, index, attempt) is not None:
        attempt += 1
    return attempt


def test_a_failure_email_goes_to_every_address_and_is_recorded(published, run_queue):
    run = _failed_run(published, run_queue, '<email to="ops@x.org,lead@x.org" on="failure"/>')

    notifications.send("pipeline", str(run.id), "failure")
    notifications.send("pipeline", str(run.id), "completion")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ops@x.org", "lead@x.org"]
    assert "failure (failed)" in mail.outbox[0].subject
    delivery = NotificationDelivery.objects.get()
    assert (delivery.channel, delivery.event, delivery.status) == ("email", "failure", "sent")


def test_a_webhook_answering_500_is_retried_until_it_succeeds(published, run_queue, hook_settings):
    hook = Hook(codes=[500, 500])
    run = _failed_run(published, run_queue, f'<webhook url="{hook.url}" on="failure"/>')

    attempts = _deliver_until_done(run)
    hook.close()

    assert attempts == 3
    rows = list(
        NotificationDelivery.objects.order_by("attempt").values_list(
            "attempt", "status", "response_code"
        )
    )
    assert rows == [(1, "failed", 500), (2, "failed", 500), (3, "sent", 200)]
    assert NotificationDelivery.objects.first().target.endswith("/hook")  # no query string
    payload = json.loads(hook.requests[0][1])
    assert (payload["event"], payload["status"], payload["pipeline"]) == (
        "failure",
        "failed",
        "load",
    )
    assert not Alert.objects.filter(kind="delivery_failed").exists()


def test_a_hanging_webhook_times_out_and_raises_an_alert(published, run_queue, hook_settings):
    hook = Hook(hang=2)
    run = _failed_run(published, run_queue, f'<webhook url="{hook.url}" on="failure"/>')

    _deliver_until_done(run)
    hook.close()

    errors = list(NotificationDelivery.objects.values_list("status", "error"))
    assert errors == [("failed", "timed out")] * 3
    alert = Alert.objects.get(kind="delivery_failed")
    assert "failed after 3 attempts: timed out" in alert.message


def test_a_webhook_with_a_secret_is_signed_with_hmac_sha256(
    published, run_queue, hook_settings, monkeypatch
):
    monkeypatch.setenv("HUB_SECRET_RETAIL_HOOK_KEY", "s3cr3t-key")
    hook = Hook()
    run = _failed_run(
        published,
        run_queue,
        f'<webhook url="{hook.url}" on="failure" secretRef="retail.hook-key"/>',
    )

    _deliver_until_done(run)
    hook.close()

    headers, body = hook.requests[0]
    expected = hmac.new(b"s3cr3t-key", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    assert "s3cr3t-key" not in NotificationDelivery.objects.get().error


def test_a_missing_webhook_secret_fails_at_once_without_leaking(
    published, run_queue, hook_settings
):
    hook = Hook()
    run = _failed_run(
        published, run_queue, f'<webhook url="{hook.url}" on="failure" secretRef="retail.absent"/>'
    )

    attempts = _deliver_until_done(run)
    hook.close()

    assert attempts == 1 and hook.requests == []
    assert 'secret "retail.absent" not found' in NotificationDelivery.objects.get().error
    assert Alert.objects.filter(kind="delivery_failed").count() == 1


def test_a_webhook_signed_with_another_applications_secret_is_refused_unsent(
    published, run_queue, hook_settings, monkeypatch
):
    # given: a definition (put on main past validation) naming shop's secret
    monkeypatch.setenv("HUB_SECRET_SHOP_HOOK_KEY", "shops-key")
    hook = Hook()
    run = _failed_run(
        published, run_queue, f'<webhook url="{hook.url}" on="failure" secretRef="shop.hook-key"/>'
    )

    # when
    attempts = _deliver_until_done(run)
    hook.close()

    # then: nothing was sent, the refusal is recorded with the rule, and it raised an alert
    assert attempts == 1 and hook.requests == []
    delivery = NotificationDelivery.objects.get()
    assert delivery.status == "failed"
    assert 'secret "shop.hook-key" does not belong to application retail' in delivery.error
    assert "shops-key" not in delivery.error
    assert Alert.objects.filter(kind="delivery_failed").count() == 1


def test_an_sla_breach_is_notified(published, run_queue):
    published.pipeline("load", notifications='<email to="ops@x.org" on="slaBreach"/>')
    run = run_trigger(application=APP, pipeline_id="load", params={})

    notifications.send("pipeline", str(run.id), "slaBreach")

    assert "slaBreach" in mail.outbox[0].subject


@pytest.fixture
def sent_notifications(monkeypatch, django_capture_on_commit_callbacks):
    """The notification tasks queued after each commit: (kind, run id, event) triples."""
    from runs_app import messages

    sent = []
    real = messages.send

    def record(task, args, countdown=None):
        if task == messages.SEND_NOTIFICATIONS:
            sent.append(tuple(args))
        else:
            real(task, args, countdown)

    monkeypatch.setattr(messages, "send", record)
    return sent


def _drain_committing(run_queue, capture):
    while run_queue:
        with capture(execute=True):
            run_queue.drain(limit=1)


NOTES = '<email to="ops@x.org" on="failure"/><email to="ops@x.org" on="completion"/>'


def test_a_retried_node_notifies_failure_only_when_its_retries_are_exhausted(
    published, run_queue, sent_notifications, django_capture_on_commit_callbacks
):
    # given a job whose node fails every attempt, with one retry
    published.pipeline("fragile", behaviour="fail", notifications=NOTES)
    published.job("j", [("fragile", 'onFailure="retry" maxRetries="1"')])
    with django_capture_on_commit_callbacks(execute=True):
        job = run_trigger(application=APP, job_id="j", params={})

    # when both attempts run
    _drain_committing(run_queue, django_capture_on_commit_callbacks)

    # then only the final attempt notified
    runs = {r.attempt: str(r.id) for r in job.pipeline_runs.all()}
    assert sorted(runs) == [1, 2]
    assert sent_notifications == [
        ("pipeline", runs[2], "failure"),
        ("pipeline", runs[2], "completion"),
    ]
    assert Alert.objects.filter(kind="failure", run__isnull=False).count() == 0
    assert Alert.objects.filter(kind="failure", job_run=job).count() == 1


def test_a_node_that_succeeds_on_retry_sends_no_failure_notification(
    published, run_queue, sent_notifications, django_capture_on_commit_callbacks
):
    published.pipeline("flaky", behaviour="fail-until:2", notifications=NOTES)
    published.job("j", [("flaky", 'onFailure="retry" maxRetries="3"')])
    with django_capture_on_commit_callbacks(execute=True):
        job = run_trigger(application=APP, job_id="j", params={})

    _drain_committing(run_queue, django_capture_on_commit_callbacks)

    second = job.pipeline_runs.get(attempt=2)
    assert second.status == "succeeded"
    assert sent_notifications == [("pipeline", str(second.id), "completion")]


def test_a_node_failing_without_retry_notifies_its_failure_once(
    published, run_queue, sent_notifications, django_capture_on_commit_callbacks
):
    published.pipeline("once", behaviour="fail", notifications=NOTES)
    published.job("j", [("once", 'onFailure="halt"')])
    with django_capture_on_commit_callbacks(execute=True):
        job = run_trigger(application=APP, job_id="j", params={})

    _drain_committing(run_queue, django_capture_on_commit_callbacks)

    run = str(job.pipeline_runs.get().id)
    assert sent_notifications == [("pipeline", run, "failure"), ("pipeline", run, "completion")]


def test_no_notification_task_is_queued_when_no_notification_listens(
    published, run_queue, sent_notifications, django_capture_on_commit_callbacks
):
    published.pipeline("quiet")
    with django_capture_on_commit_callbacks(execute=True):
        run_trigger(application=APP, pipeline_id="quiet", params={})

    _drain_committing(run_queue, django_capture_on_commit_callbacks)

    assert sent_notifications == []

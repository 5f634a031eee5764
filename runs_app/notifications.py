"""``<notifications>``: email (Django's mail backend) and webhooks (JSON POST, timeout, retries
with backoff, ``X-Hub-Signature-256: sha256=<hex hmac of the body>`` when ``secretRef`` is set;
the address guard and the POST itself are in ``runs_app.webhooks``).

Every attempt is a ``NotificationDelivery`` row; a notification that cannot be delivered after
its last attempt raises a ``delivery_failed`` alert in the in-app inbox.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import send_mail

from pipelines_app.data_policy import run_policy
from runs_app import definitions, messages, webhooks
from runs_app.models import Alert, JobRun, NotificationDelivery, PipelineRun

log = logging.getLogger(__name__)


def _events_for(status: str) -> tuple[str, ...]:
    if status == "failed":
        return ("failure", "completion")
    if status == "succeeded":
        return ("success", "completion")
    return ("completion",)


def on_finished(run) -> None:
    """In the finishing transaction: alert on failure, queue notifications once committed.

    A failed attempt that is followed by another (a job node's ``retry`` or ``fallback``, or the
    reaper's retry of a lost run) is not the final outcome: it sends no ``failure`` or
    ``completion`` notification and raises no alert; the final attempt does. Called after the
    DAG moved (``run_finished``), so the retry, if any, already exists."""
    retrying = (
        run.status == "failed"
        and isinstance(run, PipelineRun)
        and run.reruns.filter(trigger="retry").exists()
    )
    if retrying:
        log.info("attempt %s failed and is followed by another: no notification", run.attempt)
        return
    if run.status == "failed" and (isinstance(run, JobRun) or not run.job_run_id):
        Alert.objects.create(
            kind="failure",
            application=run.application,
            run=run if isinstance(run, PipelineRun) else None,
            job_run=run if isinstance(run, JobRun) else None,
            message=f"{run.kind} {run.name} failed: {run.error_message[:300]}",
        )
    listened = {note.on for note in _notifications(run)}
    for event in _events_for(run.status):
        if event not in listened:
            continue  # nothing to send: no task (the definition is parsed once per commit)
        messages.send_on_commit(messages.SEND_NOTIFICATIONS, [run.kind, str(run.id), event])


def on_sla_breach(run) -> None:
    messages.send_on_commit(messages.SEND_NOTIFICATIONS, [run.kind, str(run.id), "slaBreach"])


def load(kind: str, run_id: str):
    model = JobRun if kind == "job" else PipelineRun
    return model.objects.get(id=run_id)


def _notifications(run):
    try:
        published = definitions.find(run.config_commit, run.application, run.kind, run.name)
    except Exception:  # the repository or file may be gone; nothing to notify
        log.warning("no notifications for %s: definition unavailable", run.name)
        return ()
    return published.definition.notifications


def payload(run, event: str) -> dict:
    def iso(value):
        return value.isoformat() if value else None

    base = str(settings.HUB_PORTAL_URL).rstrip("/")
    return {
        "event": event,
        "kind": run.kind,
        "id": str(run.id),
        "application": run.application,
        run.kind: run.name,
        "status": run.status,
        "attempt": run.attempt,
        "commit": run.config_commit,
        "params": run.params,
        "queued_at": iso(run.queued_at),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "error": {"category": run.error_category, "message": run.error_message}
        if run.error_message
        else None,
        "sla": {"deadline": iso(run.sla_deadline), "status": run.sla_status},
        "url": f"{base}/runs/{run.id}/",
    }


def send(kind: str, run_id: str, event: str) -> None:
    """Sends every notification of the run's definition that listens to ``event``."""
    run = load(kind, run_id)
    for index, note in enumerate(_notifications(run)):
        if note.on != event:
            continue
        if hasattr(note, "url"):
            messages.send(messages.DELIVER_WEBHOOK, [kind, run_id, event, index, 1])
        else:
            send_email(run, event, note.to)


def send_email(run, event: str, to) -> None:
    body = json.dumps(payload(run, event), indent=2, ensure_ascii=False)
    subject = f"[Data Hub] {run.kind} {run.application}/{run.name}: {event} ({run.status})"
    target = ",".join(to)[:500]
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, list(to))
    except Exception as exc:  # any mail failure is recorded, never raised
        _record(run, event, "email", target, body, 1, "failed", None, type(exc).__name__)
        _alert(run, f"email to {target} about {event} could not be sent: {type(exc).__name__}")
        return
    _record(run, event, "email", target, body, 1, "sent", None, "")


def deliver_webhook(kind: str, run_id: str, event: str, index: int, attempt: int) -> float | None:
    """One attempt. Returns the seconds to wait before the next attempt, or None when done."""
    run = load(kind, run_id)
    note = _notifications(run)[index]
    body = json.dumps(payload(run, event), ensure_ascii=False, sort_keys=True).encode("utf-8")
    target = _without_query(note.url)
    headers = {"Content-Type": "application/json", "User-Agent": "datahub-portal"}
    try:
        if note.secret_ref:
            headers["X-Hub-Signature-256"] = "sha256=" + sign(
                body, _secret(run.application, note.secret_ref)
            )
        code, error, final = webhooks.post(note.url, body, headers)
    except LookupError as exc:  # a missing secret
        code, error, final = None, str(exc)[:500], True
    except Exception as exc:  # whatever else breaks is a failed attempt too, never lost
        log.exception("webhook attempt failed unexpectedly")
        code, error, final = None, f"{type(exc).__name__}: {exc}"[:500], False
    ok = code is not None and 200 <= code < 300
    _record(run, event, "webhook", target, body, attempt, "sent" if ok else "failed", code, error)
    if ok:
        return None
    if not final and attempt < settings.HUB_WEBHOOK_ATTEMPTS:
        return settings.HUB_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1)
    attempts = f"{attempt} attempt{'s' if attempt != 1 else ''}"
    _alert(run, f"webhook {target} about {event} failed after {attempts}: {error}")
    return None


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class SecretRefused(LookupError):
    """The definition names a secret its application may not use (its data policy)."""


def _secret(application: str, name: str) -> str:
    from spark_runner.engine.secrets import SecretResolver  # spark_runner.engine loads pyspark

    # Checked at send time too: a definition can reach main by paths that skip validation.
    problem = run_policy(application).secret_problem(name)
    if problem:
        raise SecretRefused(problem)

    return SecretResolver(getattr(settings, "HUB_SECRETS_FILE", "") or None).get(name)


def _without_query(url: str) -> str:
    try:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:  # an invalid URL is recorded as it was written, without its query
        return url.split("?")[0][:500]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))[:500]


def _record(run, event, channel, target, body, attempt, status, code, error) -> None:
    if isinstance(body, str):
        body = body.encode("utf-8")
    NotificationDelivery.objects.create(
        run=run if isinstance(run, PipelineRun) else None,
        job_run=run if isinstance(run, JobRun) else None,
        event=event,
        channel=channel,
        target=target,
        payload_hash=hashlib.sha256(body).hexdigest(),
        attempt=attempt,
        status=status,
        response_code=code,
        error=error[:500],
    )


def _alert(run, message: str) -> None:
    Alert.objects.create(
        kind="delivery_failed",
        application=run.application,
        run=run if isinstance(run, PipelineRun) else None,
        job_run=run if isinstance(run, JobRun) else None,
        message=message[:1000],
    )

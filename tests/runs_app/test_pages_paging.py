"""The alert inbox pages by position in time (keyset), never by offset or a count of every
alert; following "Older" links visits every alert once, newest first."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from pipelines_app.testing import make_personas
from runs_app import selectors
from runs_app.models import Alert
from tests.runs_app.pages import pipeline_run

pytestmark = pytest.mark.django_db


def test_older_links_visit_every_alert_once_newest_first(client, monkeypatch):
    cast = make_personas("sales")
    monkeypatch.setattr(selectors, "ALERT_PAGE", 3)
    run = pipeline_run(status="failed")
    now = timezone.now()
    for i in range(8):  # two share a time: the id breaks the tie
        Alert.objects.create(
            kind="failure",
            application="sales",
            run=run,
            message=f"alert {i}",
            created_at=now - timedelta(minutes=min(i, 6)),
            acknowledged=i % 2 == 0,
        )
    client.force_login(cast.olga)
    seen, url = [], "/alerts/?show=all"
    while url:
        body = client.get(url).content.decode()
        seen += re.findall(r'id="alert-(\d+)"', body)
        older = re.search(r'href="([^"]+)">Older', body)
        url = "/alerts/" + html.unescape(older.group(1)) if older else None

    expected = Alert.objects.order_by("-created_at", "-id").values_list("id", flat=True)
    assert [int(i) for i in seen] == list(expected)
    unacknowledged = client.get("/alerts/").context["alerts"]
    assert [a.message for a in unacknowledged] == ["alert 1", "alert 3", "alert 5"]

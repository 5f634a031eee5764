"""The review queue (page, API, home) and the change request list cost the same number of
queries for 2 change requests as for 12: counted and sliced in SQL, governance counts read from
the change request (never from git), approvals loaded once per page."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from pipelines_app.models import ChangeRequest, Review
from pipelines_app.testing import make_personas

pytestmark = pytest.mark.django_db

URLS = ("/reviews/", "/", "/api/v1/reviews/queue/", "/api/v1/change-requests/", "/changes/")


@pytest.fixture
def cast():
    return make_personas("sales")


def _in_review(cast, count: int, start: int) -> None:
    for number in range(start, start + count):
        head = f"{number:040x}"
        change = ChangeRequest.objects.create(
            number=number,
            application=cast.application,
            layer="staging",
            kind="pipeline",
            definition_id=f"p{number}",
            path=f"sales/staging/pipelines/p{number}.xml",
            title=f"change {number}",
            status="in_review",
            branch=f"cr/{number}",
            base_commit="0" * 40,
            head_commit=head,
            author=cast.alice,
            findings=number % 3,
            high_findings=number % 2,
            submitted_at=timezone.now(),
        )
        Review.objects.create(
            change_request=change, reviewer=cast.carol, decision="approve", head_commit=head
        )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("who", ["bob", "admin"])
def test_the_queue_costs_the_same_for_2_and_12_changes(cast, client, who):
    user = getattr(cast, who)
    api = APIClient()
    api.force_authenticate(user)
    client.force_login(user)
    _in_review(cast, 2, 1)
    few = {url: _queries(api if "/api/" in url else client, url) for url in URLS}

    _in_review(cast, 10, 100)
    many = {url: _queries(api if "/api/" in url else client, url) for url in URLS}

    assert many == few
    queue = api.get("/api/v1/reviews/queue/").json()
    assert queue["count"] == 12
    first = queue["results"][0]
    assert (first["findings"], first["high_findings"], first["approvals"]) == (1, 1, ["carol"])


def test_the_audit_page_pages_by_position_without_counting(cast, client, monkeypatch):
    from pipelines_app import audit
    from pipelines_app.models import AuditEvent
    from pipelines_app.views import audit as audit_view

    monkeypatch.setattr(audit_view, "PAGE_SIZE", 4)
    for i in range(10):
        audit.record(cast.bob if i % 2 else cast.alice, "membership.grant", f"target {i}")
    client.force_login(cast.admin)
    seen, url = [], "/audit/?actor=bob"
    while url:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url).content.decode()
        assert not any("COUNT(" in q["sql"] for q in captured.captured_queries)
        seen += re.findall(r"<td>target (\d+)</td>", body)
        older = re.search(r'href="([^"]+)">Older', body)
        url = "/audit/" + html.unescape(older.group(1)) if older else None

    assert seen == ["9", "7", "5", "3", "1"]
    assert AuditEvent.objects.count() == 10

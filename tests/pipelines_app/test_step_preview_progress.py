"""A step preview's progress always ends on the page: one whose worker stopped mid-run ends as
failed, and one no worker has taken says so and polls more slowly, instead of spinning on."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pipelines_app.models import StepPreview
from pipelines_app.testing import make_personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_personas()


def _preview(cast, **fields):
    preview = StepPreview.objects.create(
        application=cast.application, user=cast.alice, xml="<pipeline/>", step=1
    )
    StepPreview.objects.filter(id=preview.id).update(**fields)
    return preview


def _shown(client, cast, preview):
    client.force_login(cast.alice)
    return client.get(reverse("pipelines:preview", args=[preview.id])).content.decode()


def test_a_preview_whose_worker_stopped_mid_run_ends_failed(cast, client, settings):
    settings.HUB_PREVIEW_SECONDS = 20
    stuck = _preview(cast, status="running", started_at=timezone.now() - timedelta(minutes=2))

    page = _shown(client, cast, stuck)

    assert "aria-busy" not in page and "hx-get" not in page
    assert "The preview could not run: its worker stopped before it finished" in page
    assert StepPreview.objects.get(id=stuck.id).status == "failed"


def test_a_preview_running_within_its_budget_keeps_polling(cast, client, settings):
    settings.HUB_PREVIEW_SECONDS = 20
    running = _preview(cast, status="running", started_at=timezone.now() - timedelta(seconds=30))

    page = _shown(client, cast, running)

    assert 'aria-busy="true"' in page and "load delay:700ms" in page
    assert StepPreview.objects.get(id=running.id).status == "running"


def test_a_preview_no_worker_has_taken_says_so_and_polls_slower(cast, client):
    fresh = _preview(cast)
    assert "No preview worker" not in _shown(client, cast, fresh)
    waiting = _preview(cast, created_at=timezone.now() - timedelta(minutes=1))

    page = _shown(client, cast, waiting)

    assert "No preview worker has taken this preview yet" in page
    assert "load delay:5s" in page and 'aria-busy="true"' in page

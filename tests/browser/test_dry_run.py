"""The reviewer sees the dry run of a change on sample data, and its difference from main, on
the change page (polled while the preview worker runs it); a change that breaks on the sample
shows the finding. A real preview worker runs them through Spark."""

import os

import pytest

from pipelines_app.testing import PASSWORD
from tests.pipelines_app.test_dry_runs import (  # noqa: F401 - fixtures
    _edit,
    _main,
    _xml,
    cast,
    preview_worker_process,
    worker,
    worker_env,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.spark,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
]
SHOTS = os.environ.get("HUB_SHOTS_DIR")  # set it to keep screenshots (docs/authors/img/)


def test_the_reviewer_sees_the_dry_run_and_its_schema_difference(page, login, cast):  # noqa: F811
    _main("br_shape", _xml("br_shape", '<deduplicate source="c" keys="id"/>'))
    change = _edit(
        cast,
        "br_shape",
        _xml(
            "br_shape",
            '<deduplicate source="c" keys="id"/>'
            '<aggregate source="c" groupBy="country" metrics="count:n"/>',
        ),
    )
    login("bob", PASSWORD)
    page.goto(f"/changes/{change.number}/")
    section = page.locator("#dry-runs")
    section.get_by_text("Dry run on sample data").wait_for()

    section.locator(".dry-run[data-status=passed]").wait_for(timeout=180_000)

    text = page.locator("#dry-runs").inner_text()
    assert "column n added" in text
    assert "column email removed" in text
    assert "3 rows (on main: 8)" in text
    if SHOTS:
        page.locator("#dry-runs").screenshot(path=f"{SHOTS}/dry-run.png")


def test_a_change_that_breaks_on_sample_data_shows_the_finding(page, login, cast):  # noqa: F811
    _main("br_break", _xml("br_break", '<sort source="c" orderBy="id"/>'))
    change = _edit(cast, "br_break", _xml("br_break", '<sort source="c" orderBy="contry"/>'))
    login("bob", PASSWORD)
    page.goto(f"/changes/{change.number}/")

    page.locator("#dry-runs .dry-run[data-status=failed]").wait_for(timeout=180_000)
    page.reload()

    finding = page.locator(".governance").get_by_text("the dry run on sample data failed")
    assert "step 1 (sort)" in finding.inner_text()
    if SHOTS:
        page.locator(".governance").screenshot(path=f"{SHOTS}/dry-run-finding.png")

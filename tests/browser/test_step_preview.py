"""The demo author previews each step of her draft on the demo file before she submits it: the
rows in and out of every step so far, the rows of the step she picked, the masked column before
and after side by side (she may read the source, so the originals are shown), and a step that
breaks on the sample is named in a clear message. A real worker on the preview queue runs the
previews through Spark."""

import os

import pytest

from pipelines_app.models import ChangeRequest
from portal.management.commands.load_demo import DEMO_PASSWORD, load_demo_portal
from tests.runs_app.conftest import Worker, worker_env  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.spark,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
]
SHOTS = os.environ.get("HUB_SHOTS_DIR")  # set it to keep screenshots (docs/authors/img/)


def shot(target, name):
    if SHOTS:
        target.screenshot(path=f"{SHOTS}/{name}.png")


@pytest.fixture(scope="module")
def demo_preview_worker(worker_env, tmp_path_factory):  # noqa: F811 - the fixture imported above
    """A worker on a preview queue of its own, over a config repository and data folder of its
    own (the demo is loaded there, not into the ones other worker tests share), with the demo's
    secrets file (the mask's key)."""
    base = tmp_path_factory.mktemp("demo-previews")
    paths = {
        "HUB_CONFIG_REPO": base / "config-repo",
        "HUB_DATA_ROOT": base / "data",
        "HUB_VAR_DIR": base / "var",
        "HUB_SECRETS_FILE": base / "demo-secrets.json",
    }
    queue = worker_env["queue"] + "-step-previews"
    env = {**worker_env["env"], "HUB_RUNNER": "", "HUB_PREVIEW_QUEUE": queue}
    worker = Worker({**env, **{k: str(v) for k, v in paths.items()}}, queue)
    yield {"queue": queue, **paths}
    worker.stop()


@pytest.fixture
def demo(demo_preview_worker, settings, transactional_db):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://127.0.0.1:6379/<n>")
    settings.HUB_CONFIG_REPO = demo_preview_worker["HUB_CONFIG_REPO"]
    settings.HUB_DATA_ROOT = demo_preview_worker["HUB_DATA_ROOT"]
    settings.HUB_SECRETS_FILE = str(demo_preview_worker["HUB_SECRETS_FILE"])
    settings.HUB_PREVIEW_QUEUE = demo_preview_worker["queue"]
    load_demo_portal()


def _preview(page, number):
    """Clicks Preview on step ``number`` and waits until the worker's answer is shown."""
    page.get_by_role("button", name=f"Preview step {number} on sample data").click()
    box = page.locator(f"#step-preview-{number}")
    box.get_by_text("Previewing on a sample").wait_for()
    page.wait_for_function(
        f"""() => {{
            const box = document.querySelector('#step-preview-{number}');
            return box && !box.hasAttribute('aria-busy') && box.innerText.trim() !== '';
        }}""",
        timeout=180_000,
    )
    return box


def _counts(box):
    """The rows in/out table: [(step, rows in, rows out)]."""
    rows = box.locator(".preview-counts tbody tr").all()
    return [tuple(c.strip() for c in row.locator("td").all_inner_texts()) for row in rows]


def test_the_demo_author_previews_each_step_and_the_mask_then_submits(page, login, demo):
    login("ada", DEMO_PASSWORD)
    page.goto("/pipelines/new/")
    page.select_option("select[name=application]", "retail")
    page.select_option("select[name=layer]", "staging")
    page.fill("input[name=id]", "customers_previewed")
    page.fill("input[name=owner]", "crm-team")
    page.get_by_role("button", name="Next: Sources →").click()

    page.get_by_role("button", name="+ CSV file").click()
    page.fill("input[name=r0-id]", "customers")
    page.fill("input[name=r0-path]", "landing/customers/customers.csv")
    page.get_by_role("button", name="Show sample & types").click()
    page.locator(".sample-table").wait_for()
    page.get_by_role("button", name="Use these columns as the schema").click()
    page.wait_for_url("**/sources/")
    page.get_by_role("button", name="Next →").click()

    # three steps, none saved yet when the first preview runs
    page.get_by_role("button", name="+ Deduplicate").click()
    page.fill("input[name=r0-source]", "customers")
    page.fill("input[name=r0-keys]", "customer_id")
    page.get_by_role("button", name="+ Mask").click()
    page.fill("input[name=r1-source]", "customers")
    page.fill("input[name=r1-columns]", "email")
    page.select_option("select[name=r1-strategy]", "hash")
    page.fill("input[name=r1-secret_ref]", "retail.mask-key")
    page.get_by_role("button", name="+ Sort").click()
    page.fill("input[name=r2-source]", "customers")
    page.fill("input[name=r2-order_by]", "country_code")

    first = _preview(page, 1)
    assert _counts(first) == [
        ("source customers", "", "12"),
        ("1. deduplicate → customers", "12", "10"),
    ]
    assert "Rows out of step 1" in first.inner_text()
    assert first.locator(".preview-rows tbody tr").count() == 10
    assert "customer_id" in first.locator(".preview-rows thead").inner_text()

    # the mask: the original address beside its hash, for an author of the owning application
    masked = _preview(page, 2)
    assert _counts(masked)[-1] == ("2. mask → customers", "10", "10")
    mask = masked.locator(".preview-mask")
    assert mask.locator("thead th").all_inner_texts() == ["email before", "email after"]
    pairs = [row.locator("td").all_inner_texts() for row in mask.locator("tbody tr").all()]
    before = {b for b, _ in pairs}
    assert "anna.mueller@example.de" in before
    assert all(after and after != b and "@" not in after for b, after in pairs)
    assert "anna.mueller@example.de" not in masked.locator(".preview-rows").inner_text()
    shot(page.locator("fieldset.row-card").nth(1), "preview-mask")

    last = _preview(page, 3)
    assert [c[1:] for c in _counts(last)] == [("", "12"), ("12", "10"), ("10", "10"), ("10", "10")]
    countries = last.locator(".preview-rows tbody tr td:nth-child(5)").all_inner_texts()
    known = [c for c in countries if c != "null"]  # an ascending sort puts nulls first
    assert countries == ["null"] * (10 - len(known)) + sorted(known) and len(known) >= 8
    shot(page.locator("fieldset.row-card").nth(2), "preview-step")

    # a column the sample does not have: the message names the step and the column
    page.fill("input[name=r2-order_by]", "contry_code")
    broken = _preview(page, 3)
    problem = broken.locator(".problem")
    assert problem.inner_text().startswith("The preview stopped at step 3 (sort): column ")
    assert "contry_code" in problem.inner_text()
    counted = [c[0] for c in _counts(broken)]  # what ran before the failure still shows
    assert counted == ["source customers", "1. deduplicate → customers", "2. mask → customers"]
    assert "Traceback" not in broken.inner_text()
    shot(page.locator("fieldset.row-card").nth(2), "preview-failed")
    page.fill("input[name=r2-order_by]", "country_code")
    page.get_by_role("button", name="Next →").click()

    page.get_by_role("button", name="+ Hive table").click()
    page.fill("input[name=r0-table]", "retail_staging.customers_previewed")
    page.select_option("select[name=r0-mode]", "overwrite")
    page.get_by_role("button", name="Next →").click()
    page.get_by_role("button", name="Next →").click()

    assert page.get_by_text("The pipeline is valid").is_visible()
    xml = page.locator(".xml-view").inner_text()
    assert 'columns="email"' in xml and 'strategy="hash"' in xml
    page.fill("input[name=title]", "Customers, previewed")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/changes/*/")
    assert ChangeRequest.objects.filter(title="Customers, previewed").exists()

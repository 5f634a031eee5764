"""Previews and dry runs end to end: a real Celery worker on the preview queue runs them through
Spark; the change page shows the dry run and its difference from main; a change that breaks on
sample data is a governance finding; previews never write and never leave the application's
data policy; a mask's original values only for those who may read the source."""

from pathlib import Path

import pytest
from django.urls import reverse

from config_repo import Actor
from pipelines_app import data_access, services
from pipelines_app.errors import BadInput
from pipelines_app.models import DryRun, StepPreview
from pipelines_app.services import step_previews
from pipelines_app.testing import make_personas
from spark_runner.definition import parse
from tests.runs_app.conftest import Worker, wait_for, worker_env  # noqa: F401 - a fixture

pytestmark = [pytest.mark.spark, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

APP = "sales"
SEED = Actor(name="Seeder", email="seed@example.com")
ROWS = ["id,name,email,country"] + [f"{i % 8},n{i},p{i}@x.com,c{i % 3}" for i in range(30)]


def _xml(pid, steps, target="out"):
    return (
        f'<pipeline id="{pid}" version="1.0" layer="staging">'
        "<metadata><owner>team</owner><sla>PT2H</sla><schedule>0 * * * *</schedule></metadata>"
        '<sources><csv id="c" path="in/customers.csv" header="true"/></sources>'
        f"<transformations>{steps}</transformations>"
        f'<targets><csv path="{target}/{pid}" mode="overwrite"/></targets></pipeline>'
    ).encode()


@pytest.fixture(scope="module")
def preview_worker_process(worker_env):  # noqa: F811 - the fixture imported above
    """One worker on the preview queue for the module (a warm JVM, as in production)."""
    data = Path(worker_env["env"]["HUB_DATA_ROOT"]) / "applications" / APP / "in"
    data.mkdir(parents=True, exist_ok=True)
    (data / "customers.csv").write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    queue = worker_env["queue"] + "-previews"
    worker = Worker({**worker_env["env"], "HUB_RUNNER": "", "HUB_PREVIEW_QUEUE": queue}, queue)
    yield queue
    worker.stop()


@pytest.fixture
def worker(preview_worker_process, worker_env, settings, transactional_db):  # noqa: F811
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://127.0.0.1:6379/<n>")
    settings.HUB_CONFIG_REPO = Path(worker_env["env"]["HUB_CONFIG_REPO"])
    settings.HUB_DATA_ROOT = Path(worker_env["env"]["HUB_DATA_ROOT"])
    settings.HUB_PREVIEW_QUEUE = preview_worker_process
    settings.HUB_DRY_RUNS = True
    return settings


@pytest.fixture
def cast(worker):
    return make_personas(APP)


def _main(pid, xml):
    repo = services.config_repository()
    repo.commit("main", {f"applications/{APP}/staging/pipelines/{pid}.xml": xml}, "seed", SEED)


def _finished(model, **lookup):
    def done():
        row = model.objects.filter(**lookup).first()
        return row if row and row.status not in ("pending", "running") else None

    return wait_for(done, timeout=180, every=0.3)


def _edit(cast, pid, xml):
    return services.change_request_create(
        author=cast.alice,
        application=APP,
        layer="staging",
        kind="pipeline",
        action="edit",
        definition_id=pid,
        xml=xml,
        title=f"Reshape {pid}",
    )


def test_the_reviewer_sees_the_dry_run_and_its_schema_difference_from_main(cast, client):
    _main("dr_shape", _xml("dr_shape", '<deduplicate source="c" keys="id"/>'))
    change = _edit(
        cast,
        "dr_shape",
        _xml(
            "dr_shape",
            '<deduplicate source="c" keys="id"/>'
            '<aggregate source="c" groupBy="country" metrics="count:n"/>',
        ),
    )

    dry_run = _finished(DryRun, change_request=change)

    assert dry_run.status == "passed", dry_run.result
    assert [(s["tag"], s["rows_in"], s["rows_out"]) for s in dry_run.result["steps"]] == [
        ("deduplicate", 30, 8),
        ("aggregate", 8, 3),
    ]
    assert dry_run.main_result["targets"][0]["rows_out"] == 8
    client.force_login(cast.bob)
    page = client.get(reverse("pipelines:change_detail", args=[change.number])).content.decode()
    assert "Dry run on sample data" in page and "passed" in page
    assert "column <code>n</code> added" in page
    assert "column <code>email</code> removed" in page
    assert "3 rows (on main: 8)" in page
    assert not (Path(dry_run_root()) / "out").exists()


def dry_run_root():
    from django.conf import settings

    return settings.HUB_DATA_ROOT / "applications" / APP


def test_a_change_that_breaks_on_sample_data_shows_a_finding_naming_the_step(cast, client):
    _main("dr_break", _xml("dr_break", '<sort source="c" orderBy="id"/>'))
    change = _edit(cast, "dr_break", _xml("dr_break", '<sort source="c" orderBy="contry"/>'))

    dry_run = _finished(DryRun, change_request=change)

    assert dry_run.status == "failed"
    assert dry_run.result["error"]["where"] == "step 1 (sort)"
    change.refresh_from_db()
    assert change.high_findings >= 1
    client.force_login(cast.bob)
    page = client.get(reverse("pipelines:change_detail", args=[change.number])).content.decode()
    assert "the dry run on sample data failed at step 1 (sort)" in page
    assert "contry" in page


def test_a_dry_run_at_a_main_already_previewed_reuses_its_main_side(cast):
    # given a pipeline on main over its own file, and a change to it dry-run once
    def reuse_xml(steps):
        return _xml("dr_reuse", steps).replace(b"in/customers.csv", b"in/reuse.csv")

    sample = dry_run_root() / "in" / "reuse.csv"
    sample.write_text("\n".join(ROWS[:11]) + "\n", encoding="utf-8")  # 10 rows, ids 0-7
    _main("dr_reuse", reuse_xml('<deduplicate source="c" keys="id"/>'))
    change = _edit(cast, "dr_reuse", reuse_xml('<sort source="c" orderBy="id"/>'))
    first = _finished(DryRun, change_request=change)
    assert first.status == "passed", first.result
    assert first.main_result["targets"][0]["rows_out"] == 8
    # and the sample has grown since (20 rows, ids 0-7 and 10-19)
    more = [f"{i},n{i},p{i}@x.com,c{i % 3}" for i in range(10, 20)]
    sample.write_text("\n".join(ROWS[:11] + more) + "\n", encoding="utf-8")

    # when the change is updated while main stays where it was
    change = services.change_request_update(
        change_request=change, author=cast.alice, xml=reuse_xml('<sort source="c" orderBy="name"/>')
    )
    second = _finished(DryRun, change_request=change, head_commit=change.head_commit)

    # then the head side is previewed afresh, main's is the one stored for that commit
    assert second.result["targets"][0]["rows_out"] == 20
    assert (second.main_commit, second.main_result) == (first.main_commit, first.main_result)

    # when main moves, its side is previewed again
    _main("dr_other", _xml("dr_other", '<sort source="c" orderBy="id"/>'))
    change = services.change_request_update(
        change_request=change,
        author=cast.alice,
        xml=reuse_xml('<sort source="c" orderBy="country"/>'),
    )
    third = _finished(DryRun, change_request=change, head_commit=change.head_commit)
    assert third.main_commit != first.main_commit
    assert third.main_result["targets"][0]["rows_out"] == 18


def test_a_pending_dry_run_polls_its_fragment(cast, client, settings):
    settings.HUB_PREVIEW_QUEUE = "nobody-consumes-this"
    _main("dr_wait", _xml("dr_wait", '<sort source="c" orderBy="id"/>'))
    change = _edit(cast, "dr_wait", _xml("dr_wait", '<sort source="c" orderBy="name"/>'))
    client.force_login(cast.bob)

    fragment = client.get(reverse("pipelines:change_dry_runs", args=[change.number]))

    assert 'hx-trigger="load delay:1s"' in fragment.content.decode()
    assert "pending" in fragment.content.decode()
    client.force_login(cast.mallory)
    assert client.get(reverse("pipelines:change_dry_runs", args=[change.number])).status_code == 404


def _preview(cast, user, xml, **kw):
    pipeline = parse(xml, f"applications/{APP}/staging/pipelines/p.xml")
    started = step_previews.step_preview_request(
        user=user, application=APP, pipeline=pipeline, xml=xml.decode(), **kw
    )
    return _finished(StepPreview, id=started.id)


MASK = '<deduplicate source="c" keys="id"/><mask source="c" columns="email" strategy="redact"/>'


def test_a_step_preview_shows_the_masked_column_beside_its_original_to_an_author(cast, client):
    preview = _preview(cast, cast.alice, _xml("pv_mask", MASK), step=2)

    assert preview.status == "passed", preview.result
    assert preview.reveal is True
    before, after = preview.result["mask"]["rows"][0]["email"]
    assert before.endswith("@x.com") and after == "***REDACTED***"
    client.force_login(cast.alice)
    page = client.get(reverse("pipelines:preview", args=[preview.id])).content.decode()
    assert "email before" in page and "@x.com" in page
    assert "Rows out of step 2" in page
    client.force_login(cast.mallory)
    assert client.get(reverse("pipelines:preview", args=[preview.id])).status_code == 404
    assert not (dry_run_root() / "out").exists()


DRAFT_SCHEMA = (
    b'{"type": "record", "name": "c", "fields": [{"name": "id", "type": "int"}, '
    b'{"name": "name", "type": "string"}, {"name": "email", "type": "string"}, '
    b'{"name": "country", "type": "string"}]}'
)


def test_a_preview_reads_the_schema_the_draft_keeps_beside_it_not_yet_on_main(cast):
    xml = _xml("pv_schema", '<sort source="c" orderBy="id"/>').replace(
        b'header="true"', b'header="true" schemaRef="schemas/pv_drafted.avsc"'
    )
    drafted = {f"applications/{APP}/staging/schemas/pv_drafted.avsc": DRAFT_SCHEMA}

    preview = _preview(cast, cast.alice, xml, step=1, files=drafted)

    assert preview.status == "passed", preview.result
    assert ["id", "int"] in preview.result["selected"]["columns"]
    with pytest.raises(BadInput, match="is not a schema file of"):
        _preview(cast, cast.alice, xml, step=1, files={"applications/other/x.avsc": b"{}"})


def test_a_preview_reading_outside_the_application_is_refused_by_its_data_policy(cast, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("id\n1\n")
    xml = _xml("pv_out", '<sort source="c" orderBy="id"/>').replace(
        b"in/customers.csv", str(outside).encode()
    )

    preview = _preview(cast, cast.alice, xml, source="c")

    assert preview.status == "failed"
    assert preview.result["error"]["category"] == "policy"
    assert preview.result["selected"] is None


def test_originals_are_for_authors_and_operators_of_every_application_whose_data_is_read(
    cast, settings
):
    own = parse(_xml("pv_rule", MASK), f"applications/{APP}/staging/pipelines/p.xml")
    others = parse(
        _xml("pv_rule", MASK).replace(
            b"in/customers.csv",
            f"{settings.HUB_DATA_ROOT}/applications/{cast.other.name}/in/x.csv".encode(),
        ),
        f"applications/{APP}/staging/pipelines/p.xml",
    )

    def sees(user, pipeline):
        return data_access.may_see_originals(user, APP, pipeline)

    assert [sees(u, own) for u in (cast.alice, cast.olga, cast.admin)] == [True] * 3
    assert [sees(u, own) for u in (cast.bob, cast.mallory)] == [False, False]
    assert sees(cast.alice, others) is False  # no role in the other application
    assert sees(cast.admin, others) is True


def test_the_wizard_previews_a_step_of_the_draft_as_it_stands_on_the_page(cast, client):
    client.force_login(cast.alice)
    key = client.get("/pipelines/new/")["Location"].rsplit("/", 3)[-3]
    basics = {"application": APP, "layer": "staging", "id": "pv_wizard", "version": "1.0"}
    basics |= {"owner": "team", "sla": "PT2H", "schedule": "0 * * * *"}
    client.post(f"/pipelines/draft/{key}/basics/", {**basics, "action": "next"})
    source = {
        "r0-kind": "csv",
        "r0-id": "c",
        "r0-path": "in/customers.csv",
        "r0-header": "on",
        "r0-delimiter": ",",
        "r0-load_policy": "onDemand",
        "r0-on_invalid_rows": "fail",
    }
    client.post(f"/pipelines/draft/{key}/sources/", {**source, "action": "next"})
    page = client.get(f"/pipelines/draft/{key}/transformations/").content.decode()
    assert f"/pipelines/preview/{key}/" not in page  # no step yet, no button
    steps = {  # typed on the page, not saved: no target either
        "r0-kind": "deduplicate",
        "r0-source": "c",
        "r0-keys": "id",
        "r0-keep": "first",
        "r1-kind": "mask",
        "r1-source": "c",
        "r1-columns": "email",
        "r1-strategy": "redact",
    }

    started = client.post(
        f"/pipelines/preview/{key}/",
        {**steps, "section": "transformations", "step": "2", "target": "step-preview-2"},
    ).content.decode()

    assert 'id="step-preview-2"' in started and "Previewing on a sample" in started
    preview = _finished(StepPreview, user=cast.alice)
    shown = client.get(f"/pipelines/previews/{preview.id}/?target=step-preview-2").content
    assert "aria-busy" not in shown.decode()
    assert "Rows out of step 2" in shown.decode() and "email before" in shown.decode()
    assert "1. deduplicate" in shown.decode()
    assert not (dry_run_root() / "_preview").exists()


def test_a_worker_of_the_preview_queue_alone_warms_a_spark_session_by_itself(worker_env):  # noqa: F811
    from tests.runs_app.test_spark_runs import _jvms

    queue = worker_env["queue"] + "-preview-only"
    env = {**worker_env["env"], "HUB_RUNNER": "", "HUB_PREVIEW_QUEUE": queue}
    alone = Worker(env, queue)
    try:
        # nothing is sent to it: the worker starts its session when it starts
        assert wait_for(lambda: _jvms(alone.process.pid), timeout=240)
    finally:
        alone.stop()

"""The data policy at the engine's door: definitions put on ``main`` directly (no validation, no
review) that reach outside finance's policy fail at run time with error category ``policy`` and
read or write nothing; the pipeline inside finance's own folder, connection, secret and Hive
database still runs. A real Celery worker runs them on Spark against PostgreSQL."""

import csv
import hashlib
import socket
import threading
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from config_repo import Actor, ConfigRepository
from pipelines_app import data_policy
from pipelines_app.models import Application
from runs_app.models import PipelineRun
from runs_app.services import run_trigger
from tests.data_policy_cases import MASK_KEY, PG, SCRATCH_DB, Lake, with_id
from tests.runs_app.conftest import wait_for

pytestmark = [pytest.mark.spark, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

CASES = [
    "etc_passwd",
    "secrets_file",
    "shop_raw",
    "write_outside",
    "portal_database",
    "shop_credential",
    "another_host",
    "shop_hive_table",
    "shop_lookup",
    "symlink",
    "wildcard",
]


class Listener:
    """A TCP listener on 127.0.0.1 that counts who connects (a server finance must not reach)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                peer, _ = self.socket.accept()
            except OSError:
                continue
            self.accepted += 1
            peer.close()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def lake(worker_env, listener):
    base = Path(worker_env["base"])
    return Lake(
        root=Path(worker_env["env"]["HUB_DATA_ROOT"]),
        secrets_file=base / "etc" / "secrets.json",
        outside=base / "outside",
        listener_port=listener.port,
        portal_database=connection.settings_dict["NAME"],
    ).build()


@pytest.fixture(scope="module")
def scratch_database():
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (SCRATCH_DB,))
        if not exists.fetchone():
            conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
    with psycopg.connect(f"{PG}/{SCRATCH_DB}", autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS budget; DROP TABLE IF EXISTS ledger;"
            "CREATE TABLE budget (id int PRIMARY KEY, amount int);"
            "CREATE TABLE ledger (id int);"
            "INSERT INTO budget VALUES (1, 100), (2, 250), (3, 75)"
        )


@pytest.fixture(scope="module")
def policy_worker(worker_env, lake, scratch_database):
    """One Spark worker for the module, with the lake's secrets file."""
    from tests.runs_app.conftest import Worker

    queue = worker_env["queue"] + "-policy"
    env = {
        **worker_env["env"],
        "HUB_RUNNER": "",
        "HUB_TASK_QUEUE": queue,
        "HUB_SECRETS_FILE": str(lake.secrets_file),
    }
    worker = Worker(env, queue)
    yield queue
    worker.stop()


@pytest.fixture
def finance(policy_worker, lake, worker_env, settings, transactional_db):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs CELERY_BROKER_URL=redis://127.0.0.1:6379/<n>")
    settings.HUB_CONFIG_REPO = Path(worker_env["env"]["HUB_CONFIG_REPO"])
    settings.HUB_DATA_ROOT = lake.root
    settings.HUB_SECRETS_FILE = str(lake.secrets_file)
    settings.HUB_TASK_QUEUE = policy_worker
    settings.HUB_RUNNER = ""
    Application.objects.create(name="shop")
    Application.objects.create(name="finance")
    data_policy.allow(
        actor=None, application="finance", kind="storage", value=str(lake.root / "shared")
    )
    data_policy.allow(
        actor=None,
        application="finance",
        kind="connection",
        value=f"jdbc:postgresql://127.0.0.1:5432/{SCRATCH_DB}",
        credential_secret="finance.db",
    )
    data_policy.allow(
        actor=None,
        application="shop",
        kind="connection",
        value="jdbc:postgresql://127.0.0.1:5432/shop_db",
        credential_secret="shop.db",
    )
    return ConfigRepository(str(settings.HUB_CONFIG_REPO)).ensure()


def _publish(repository, pipelines: dict[str, bytes]):
    """Straight onto main, as a push that skipped validation and review would."""
    changes = {
        f"applications/finance/staging/pipelines/{id}.xml": with_id(xml, id)
        for id, xml in pipelines.items()
    }
    repository.commit("main", changes, "pushed", Actor("Someone", "someone@example.com"))


def _final(run_id):
    status = PipelineRun.objects.filter(id=run_id).values_list("status", flat=True).first()
    return status if status in ("succeeded", "failed", "cancelled") else None


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_each_case_on_main_fails_at_run_time_with_category_policy_and_touches_nothing(
    finance, lake, listener, worker_env
):
    _publish(finance, {case: lake.cases()[case][1] for case in CASES})
    warehouse = Path(worker_env["env"]["HUB_VAR_DIR"]) / "spark-warehouse"

    runs = {case: run_trigger(application="finance", pipeline_id=case) for case in CASES}

    for case, run in runs.items():
        assert wait_for(lambda run=run: _final(run.id), timeout=300) == "failed", case
    found = {case: PipelineRun.objects.get(id=run.id) for case, run in runs.items()}
    assert {case: run.error_category for case, run in found.items()} == dict.fromkeys(
        CASES, "policy"
    )
    where = {case: run.error_where for case, run in found.items()}
    assert where["etc_passwd"] == "source s" and where["write_outside"].startswith("target csv")
    assert where["shop_lookup"] == "step 1 (lookup)"
    assert "symbolic links" in found["symlink"].error_message
    assert "the portal's own database" in found["portal_database"].error_message
    # nothing was written: no outputs in finance's folder, nothing outside the lake, no table
    assert _files_under(lake.finance / "out") == []
    assert _files_under(lake.outside) == []
    assert not (warehouse / "shop_std.db").exists()
    # nothing connected to the server finance may not reach, and no secret value was recorded
    assert listener.accepted == 0
    for run in found.values():
        assert "password" not in run.error_message and "shop-password" not in run.error_trace


def test_the_pipeline_inside_its_own_folder_connection_secret_and_database_runs(
    finance, lake, worker_env
):
    _publish(finance, {"good": lake.good()})

    run = run_trigger(application="finance", pipeline_id="good")

    assert wait_for(lambda: _final(run.id), timeout=300) == "succeeded", PipelineRun.objects.get(
        id=run.id
    ).error_message
    rows = []
    for part in sorted((lake.finance / "out" / "ledger").glob("part-*")):
        with open(part, encoding="utf-8") as f:
            rows += list(csv.reader(f))[1:]
    assert sorted(r[:2] for r in rows) == [["1", "5"], ["2", "7"]]
    emails = {r[2] for r in rows}
    assert emails.isdisjoint({"a@x.com", "b@x.com"}) and len(emails) == 2
    assert all(len(e) == len(hashlib.sha256().hexdigest()) for e in emails), emails
    assert MASK_KEY not in str(PipelineRun.objects.get(id=run.id).targets)
    warehouse = Path(worker_env["env"]["HUB_VAR_DIR"]) / "spark-warehouse"
    table = warehouse / "finance_std.db" / "budget"
    assert [p for p in table.rglob("*.parquet")], table
    targets = {t["name"]: t["rows_written"] for t in PipelineRun.objects.get(id=run.id).targets}
    assert targets["finance_std.budget"] == 3

"""Several processes: two runs at once on a PostgreSQL metastore; a run killed mid-write."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.engine.helpers import PG, SCRATCH, Workspace, read_csv_dir

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
METASTORE_DB = SCRATCH.replace("hub_engine_test", "hub_metastore_test")


def _child(ws, pipeline_id, run_id, env):
    path = f"applications/{ws.app}/{ws.layer}/pipelines/{pipeline_id}.xml"
    return subprocess.Popen(
        [sys.executable, "-m", "tests.engine.child", str(ws.config), path, str(ws.data), run_id],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _last_json(out: str) -> dict:
    return json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1])


def test_two_processes_run_at_once_on_the_postgresql_metastore_and_see_each_others_tables(
    spark, tmp_path
):
    # given: a fresh metastore database, a shared warehouse, two pipelines
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {METASTORE_DB} WITH (FORCE)")
    ws = Workspace(spark, tmp_path)
    ws.file("in/a.csv", "id,v\n1,a\n2,b\n")
    for name in ("left", "right"):
        ws.pipeline(
            '<sources><csv id="s" path="in/a.csv"/></sources>'
            f'<targets><hive table="shared_{name}.t" mode="overwrite"/></targets>',
            pid=name,
        )
    env = {
        "SPARK_MASTER": "local[1]",
        "HUB_METASTORE_URL": f"jdbc:postgresql://127.0.0.1:5432/{METASTORE_DB}?user=postgres",
        "HUB_SPARK_WAREHOUSE": str(tmp_path / "warehouse"),
        "HUB_VAR_DIR": str(tmp_path / "var"),
    }
    # when: both start together (both find an empty metastore)
    first = _child(ws, "left", "run-left", env)
    second = _child(ws, "right", "run-right", env)
    outs = [p.communicate(timeout=280) for p in (first, second)]
    # then: both succeeded, and the later one to list tables sees both
    for proc, (out, err) in zip((first, second), outs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    seen = [set(_last_json(out)["tables"]) for out, _ in outs]
    assert {"shared_left.t", "shared_right.t"} <= seen[0] | seen[1]
    # a worker's process: warmed (it writes and drops Hive tables), then a run
    again = _child(ws, "left", "run-left-2", {**env, "HUB_CHILD_WARMUP": "1"})
    out, err = again.communicate(timeout=280)
    assert again.returncode == 0, err[-3000:]
    report = _last_json(out)
    assert {"shared_left.t", "shared_right.t"} <= set(report["tables"])
    # alone on the metastore: at most its two pools of HUB_METASTORE_POOL_SIZE (3) connections
    # (HikariCP's default pools held 20; a dropped database used to add a second set)
    assert report["metastore_connections"] <= 6


def test_a_run_killed_while_writing_leaves_the_previous_export_and_the_next_run_recovers(
    spark, tmp_path
):
    # given: a previous export and a source big enough for the write to take a while
    ws = Workspace(spark, tmp_path)
    lines = ["id,name,amount"] + [f"{i},name-{i},{i % 97}" for i in range(600_000)]
    ws.file("in/big.csv", "\n".join(lines) + "\n")
    ws.file("out/export/part-0.csv", "previous\n")
    ws.pipeline(
        '<sources><csv id="s" path="in/big.csv"/></sources>'
        '<transformations><sort source="s" orderBy="name" direction="desc"/></transformations>'
        '<targets><csv path="out/export" mode="overwrite" compression="bzip2"/></targets>',
        pid="big",
    )
    env = {"SPARK_MASTER": "local[1]", "HUB_VAR_DIR": str(tmp_path / "var")}
    proc = _child(ws, "big", "killed", env)
    # when: SIGKILL once the run's temporary export folder exists
    tmp_dir = ws.app_root / "out/.export.hub-tmp-killed"
    deadline = time.monotonic() + 240
    while not tmp_dir.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it was killed"
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # then: the previous export is what a reader sees
    assert sorted(p.name for p in (ws.app_root / "out/export").iterdir()) == ["part-0.csv"]
    assert (ws.app_root / "out/export/part-0.csv").read_text() == "previous\n"
    # and a new run replaces it completely
    result = (
        ws.run(
            ws.pipeline(
                '<sources><csv id="s" path="in/a.csv"/></sources>'
                '<targets><csv path="out/export" mode="overwrite"/></targets>',
                pid="small",
            )
        )
        if ws.file("in/a.csv", "id\n1\n")
        else None
    )
    assert result.ok, result.error
    assert read_csv_dir(spark, ws.app_root / "out/export").count() == 1

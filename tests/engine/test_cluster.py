"""The same pipeline on a real Spark standalone cluster (a master and a worker on 127.0.0.1,
started from the pyspark installation), driven by a separate process with SPARK_MASTER set."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest

from tests.engine.helpers import Workspace, read_csv_dir, rows

pytestmark = [pytest.mark.cluster, pytest.mark.spark]

ROOT = Path(__file__).resolve().parents[2]
SPARK_HOME = Path(pyspark.__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listens on {port}")


def _start(args, env, log):
    return subprocess.Popen(
        [str(SPARK_HOME / "bin" / "spark-class"), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_WORKER_DIR": str(tmp_path / "worker"),
    }
    log = open(tmp_path / "cluster.log", "w")  # noqa: SIM115 - closed below
    master = _start(
        [
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(_free_port()),
        ],
        env,
        log,
    )
    worker = None
    try:
        _wait_for_port(port, 90)
        worker = _start(
            [
                "org.apache.spark.deploy.worker.Worker",
                f"spark://127.0.0.1:{port}",
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                str(_free_port()),
            ],
            env,
            log,
        )
        yield f"spark://127.0.0.1:{port}", env
    finally:
        for proc in (worker, master):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_a_pipeline_runs_on_a_standalone_cluster(spark, tmp_path, cluster):
    # given
    master_url, env = cluster
    ws = Workspace(spark, tmp_path)
    ws.file("in/orders.csv", "id,customer,amount\n1,ann,10\n2,bob,5\n3,ann,7\n2,bob,5\n")
    ws.pipeline(
        '<sources><csv id="o" path="in/orders.csv" inferSchema="true"/></sources>'
        "<transformations>"
        '<deduplicate source="o" keys="id"/>'
        '<aggregate source="o" groupBy="customer" metrics="count:orders,sum:amount:total"/>'
        "</transformations>"
        '<targets><csv path="out/totals"/><hive table="cluster_t.totals" mode="overwrite"/>'
        "</targets>",
        pid="on_cluster",
    )
    path = f"applications/{ws.app}/{ws.layer}/pipelines/on_cluster.xml"
    # when
    proc = subprocess.run(
        [sys.executable, "-m", "tests.engine.child", str(ws.config), path, str(ws.data), "c1"],
        cwd=ROOT,
        env={
            **env,
            "SPARK_MASTER": master_url,
            "HUB_VAR_DIR": str(tmp_path / "var"),
            "HUB_SPARK_WAREHOUSE": str(tmp_path / "warehouse"),
        },
        capture_output=True,
        text=True,
        timeout=280,
    )
    # then
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])
    assert result["result"]["status"] == "succeeded"
    assert "cluster_t.totals" in result["tables"]
    totals = read_csv_dir(spark, ws.app_root / "out/totals")
    assert rows(totals, "customer", "orders", "total") == [("ann", "2", "17"), ("bob", "1", "5")]
    assert "Registering worker" in (tmp_path / "cluster.log").read_text()

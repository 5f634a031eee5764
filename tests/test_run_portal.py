"""`make run`: the portal starts on embedded defaults with the demo, and Ctrl-C stops everything."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {seconds} s")


@pytest.fixture
def embedded_env(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "HUB_METASTORE_URL", "SECRET_KEY")
    }
    env.update(HUB_VAR_DIR=str(tmp_path / "var"), HUB_DATA_ROOT=str(tmp_path / "data"))
    # The test waits for beat's first schedule tick, due one period after beat starts (20 s by
    # default): a shorter period proves the same path (beat, filesystem broker, control worker).
    env["HUB_SCHEDULE_TICK_SECONDS"] = "2"
    env.pop("HUB_CONFIG_REPO", None)
    return env


def test_run_portal_serves_the_demo_and_stops_on_ctrl_c(embedded_env, tmp_path):
    # given
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_portal", "--port", str(port)],
        cwd=ROOT,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # when
        status = wait_for(f"http://127.0.0.1:{port}/login/", 90)
        # then
        assert status == 200
        assert (tmp_path / "var" / "config-repo" / ".git").is_dir()
        assert (tmp_path / "data" / "applications" / "retail").is_dir()
        assert (tmp_path / "var" / "demo-secrets.json").is_file()
        # the control worker consumes beat's control queue on the filesystem broker: the first
        # schedule tick saw the demo's schedule
        assert _eventually(lambda: _schedule_states(tmp_path / "var" / "portal.sqlite3"), 90)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert f"running at http://127.0.0.1:{port}/" in output
    assert "ada    / datahub-demo" in output
    assert output.count("Demo logins") == 1
    assert output.rstrip().endswith("stopped")
    # nothing it started lives on (a worker's Spark JVM included; its command line names the
    # Derby folder under this test's var/)
    assert _eventually(lambda: not _processes_naming(tmp_path), 20), _processes_naming(tmp_path)


def _processes_naming(folder: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in argv:
            found.append(argv[:200])
    return found


def _schedule_states(database: Path) -> int:
    import sqlite3

    with sqlite3.connect(database, timeout=30) as conn:
        return conn.execute("SELECT count(*) FROM runs_app_schedulestate").fetchone()[0]


def _eventually(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    return None

"""docker-compose.yml and production settings: what can be checked without a Docker engine."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_topology(compose):
    assert set(compose["services"]) >= {
        "postgres",
        "redis",
        "web",
        "worker",
        "beat",
        "spark-master",
        "spark-worker",
    }


def test_compose_gives_the_run_queue_and_the_control_queue_a_consumer_each(compose):
    from portal.task_routes import queue_for
    from tests.test_task_routes import CONTROL

    def queues(service):
        command = compose["services"][service]["command"]
        return command[command.index("-Q") + 1].split(",")

    assert queues("worker") == ["celery"]
    assert queues("control") == ["control"]
    assert {queue_for(task) for task in CONTROL} == {"control"}
    assert queue_for("runs_app.tasks.execute_pipeline_run") in ("", "celery")
    gunicorn = compose["services"]["web"]["command"]
    assert gunicorn[gunicorn.index("--config") + 1] == "python:portal.gunicorn_conf"


def test_every_portal_service_runs_a_command_the_project_has(compose):
    for name, service in compose["services"].items():
        if "build" not in service and service.get("image", "").split(":")[0] != "datahub-portal":
            continue
        command = service.get("command")
        assert command, f"{name} has no command"
        program = command[0]
        if program == "gunicorn":
            module, attribute = command[1].split(":")
            assert (ROOT / (module.replace(".", "/") + ".py")).exists(), name
            assert attribute == "application"
        elif program == "celery":
            assert command[1:3] == ["-A", "portal"], name
            assert (ROOT / "portal" / "celery.py").exists()
            assert command[3] in ("worker", "beat")
        elif program == "python":
            assert command[1] == "manage.py" and (ROOT / "manage.py").exists()
        elif program == "bash":
            assert (ROOT / command[1]).exists(), f"{name}: {command[1]} is missing"
        else:
            pytest.fail(f"{name}: unexpected program {program}")


def test_the_spark_daemon_script_finds_spark_class():
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    assert spark_class.exists()
    assert "spark-class" in (ROOT / "scripts" / "spark-daemon.sh").read_text()


def test_compose_passes_every_setting_the_portal_reads(compose):
    env = compose["x-portal-env"]
    for name in (
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DEBUG",
        "HUB_CONFIG_REPO",
        "HUB_DATA_ROOT",
        "SPARK_MASTER",
    ):
        assert name in env, name


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "hub.example.com",
        "HUB_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests, never in production
    result = subprocess.run(
        [PY, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_page_carries_a_content_security_policy_without_inline_scripts(client, db):
    response = client.get("/login/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "<script>" not in response.content.decode()


def test_the_api_docs_serve_their_script_as_a_file_under_the_csp(client, db):
    from pipelines_app.testing import make_user

    client.force_login(make_user("reader"))
    page = client.get("/api/docs/").content.decode()

    assert "<script>" not in page and "?script" in page
    assert client.get("/api/docs/?script").status_code == 200


def test_a_session_lasts_eight_hours_unless_configured(tmp_path):
    def session_age(extra):
        env = {**os.environ, "HUB_VAR_DIR": str(tmp_path), **extra}
        code = "import django; django.setup(); from django.conf import settings; "
        code += "print(settings.SESSION_COOKIE_AGE)"
        result = subprocess.run(
            [PY, "-c", code],
            cwd=ROOT,
            env=env | {"DJANGO_SETTINGS_MODULE": "portal.settings"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return int(result.stdout.strip())

    assert session_age({}) == 8 * 3600
    assert session_age({"HUB_SESSION_AGE_SECONDS": "1800"}) == 1800


def test_compose_gives_previews_and_dry_runs_a_worker_of_their_own(compose):
    from portal.task_routes import queue_for
    from tests.test_task_routes import PREVIEW

    command = compose["services"]["preview"]["command"]
    assert command[command.index("-Q") + 1].split(",") == ["preview"]
    assert {queue_for(task) for task in PREVIEW} == {"preview"}

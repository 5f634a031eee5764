"""The engine gets its settings from the portal's, as plain values (it imports no Django)."""

from pathlib import Path

from runs_app.runner import engine_settings


def test_the_engine_settings_are_built_from_the_django_settings(settings, tmp_path):
    # given settings that differ from the environment's
    settings.SPARK_MASTER = "local[2]"
    settings.HUB_DATA_ROOT = tmp_path / "lake"
    settings.HUB_METASTORE_URL = "jdbc:postgresql://db/metastore"
    settings.HUB_SPARK_SHUFFLE_PARTITIONS = 0
    settings.HUB_SPARK_APP_NAME = "hub-test"
    settings.HUB_SPARK_UI = True
    settings.HUB_STAGING_MAX_AGE_SECONDS = 90.0

    # when
    built = engine_settings()

    # then
    assert (built.master, built.data_root) == ("local[2]", str(tmp_path / "lake"))
    assert (built.metastore_url, built.app_name) == ("jdbc:postgresql://db/metastore", "hub-test")
    assert built.shuffle_partitions is None  # 0: Spark's own choice
    assert built.spark_ui is True
    assert built.staging_max_age_seconds == 90.0
    assert Path(built.derby_dir) == settings.HUB_METASTORE_DERBY_DIR
    assert engine_settings(master="local[1]").master == "local[1]"


def test_the_staging_age_limit_reaches_the_session_s_configuration():
    from spark_runner.engine.session import spark_conf
    from spark_runner.engine.settings import EngineSettings
    from spark_runner.engine.staging import MAX_AGE_CONF

    env = {"HUB_STAGING_MAX_AGE_SECONDS": "120"}

    assert EngineSettings.from_env(env).staging_max_age_seconds == 120.0
    assert EngineSettings.from_env({}).staging_max_age_seconds == 3600.0
    assert spark_conf(EngineSettings.from_env(env))[MAX_AGE_CONF] == "120.0"

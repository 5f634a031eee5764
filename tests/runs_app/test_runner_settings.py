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

    # when
    built = engine_settings()

    # then
    assert (built.master, built.data_root) == ("local[2]", str(tmp_path / "lake"))
    assert (built.metastore_url, built.app_name) == ("jdbc:postgresql://db/metastore", "hub-test")
    assert built.shuffle_partitions is None  # 0: Spark's own choice
    assert built.spark_ui is True
    assert Path(built.derby_dir) == settings.HUB_METASTORE_DERBY_DIR
    assert engine_settings(master="local[1]").master == "local[1]"

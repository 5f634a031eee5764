"""One SparkSession for the whole test run (starting a JVM costs seconds), made by the engine's
own session factory: Hive support, a warehouse and a Derby metastore in a temporary folder."""

import pytest


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from spark_runner.engine.session import get_session
    from spark_runner.engine.settings import EngineSettings

    root = tmp_path_factory.mktemp("spark")
    settings = EngineSettings(
        master="local[2]",
        data_root=str(root / "data"),
        warehouse_dir=str(root / "warehouse"),
        metastore_url="",
        derby_dir=str(root / "metastore"),
        app_name="datahub-tests",
        shuffle_partitions=2,
    )
    session = get_session(settings)
    yield session

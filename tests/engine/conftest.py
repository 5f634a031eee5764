"""One SparkSession for the whole test run (starting a JVM costs seconds), made by the engine's
own session factory: Hive support, a warehouse and a Derby metastore in a temporary folder."""

import psycopg
import pytest

from tests.engine.helpers import PG, SCRATCH


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


@pytest.fixture(scope="session")
def scratch_db():
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", (SCRATCH,)).fetchone():
            conn.execute(f"CREATE DATABASE {SCRATCH}")
    with psycopg.connect(f"{PG}/{SCRATCH}", autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS customers; DROP TABLE IF EXISTS x")
        conn.execute(
            "CREATE TABLE customers (id int PRIMARY KEY, name text, updated date);"
            "CREATE TABLE x (a int);"
            "INSERT INTO customers VALUES (1, 'Ann', '2024-01-01'), (2, 'Zoë', '2024-03-01'),"
            " (3, NULL, '2024-03-05'), (4, 'it''s', '2024-03-06')"
        )
    return f"{PG}/{SCRATCH}"

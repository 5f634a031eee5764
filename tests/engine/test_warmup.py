"""The worker warm-up (spark_runner/engine/warmup.py) and the metastore client's pool size."""

from pathlib import Path

import pytest

from spark_runner.engine import warmup
from spark_runner.engine.session import spark_conf
from spark_runner.engine.settings import EngineSettings

pytestmark = pytest.mark.spark


def test_the_warm_up_commits_hive_tables_and_leaves_nothing_behind(spark, monkeypatch):
    from spark_runner.engine import run as run_module

    warehouse = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
    runs = []
    original = run_module.run_pipeline

    def watched(pipeline, ctx):
        result = original(pipeline, ctx)
        runs.append((result.ok, [t.name for t in result.targets]))
        return result

    monkeypatch.setattr(run_module, "run_pipeline", watched)
    warmup._exercise(spark, EngineSettings().warmup_runs)
    # three times through the engine: the tables created, then replaced (swap, partition overwrite)
    assert [ok for ok, _ in runs] == [True, True, True]
    tables = sorted(n.rsplit("_", 1)[0] for n in runs[0][1] if n.startswith("hub_warmup."))
    assert tables == ["hub_warmup.parts", "hub_warmup.rows"]
    # its tables are gone with their files; only the empty database stays
    assert spark.catalog.listTables("hub_warmup") == []
    assert not list(warehouse.glob("hub_warmup.db/*"))
    # HUB_SPARK_WARMUP_RUNS=0: the session alone, no run
    runs.clear()
    warmup._exercise(spark, EngineSettings.from_env({"HUB_SPARK_WARMUP_RUNS": "0"}).warmup_runs)
    assert runs == []


def test_each_metastore_pool_holds_the_configured_connections():
    url = "jdbc:postgresql://127.0.0.1:5432/meta?user=postgres"
    conf = spark_conf(EngineSettings(metastore_url=url, metastore_pool_size=2))
    assert conf["spark.hadoop.datanucleus.connectionPool.maxPoolSize"] == "2"
    assert conf["spark.hadoop.datanucleus.connectionPool.minPoolSize"] == "1"
    assert EngineSettings.from_env({"HUB_METASTORE_POOL_SIZE": "5"}).metastore_pool_size == 5


def test_java_options_come_after_the_engines_own():
    conf = spark_conf(EngineSettings(derby_dir="/m", java_options="-Xmx2g -XX:+UseG1GC"))
    assert conf["spark.driver.extraJavaOptions"] == "-Dderby.system.home=/m -Xmx2g -XX:+UseG1GC"
    assert spark_conf(EngineSettings(derby_dir="/m"))["spark.driver.extraJavaOptions"] == (
        "-Dderby.system.home=/m"
    )
    assert EngineSettings.from_env({"HUB_SPARK_JAVA_OPTIONS": "-Xmx2g"}).java_options == "-Xmx2g"

"""One SparkSession per process, with Hive support, reused between runs.

Starting a JVM costs seconds, so a worker keeps its session warm. The session is recreated when
its JVM died (a killed driver, an OOM). Metastore (see docs/operators/engine.md):

* ``HUB_METASTORE_URL`` set (``jdbc:postgresql://host:5432/hub_metastore?user=...``): the Hive
  metastore lives in PostgreSQL, through Debian's JDBC driver ``/usr/share/java/postgresql.jar``.
  Any number of processes share it and see each other's tables. The database is created when
  missing and the metastore tables are created by DataNucleus on first use, once, under a
  PostgreSQL advisory lock so that two first starts do not race.
* unset: embedded Derby under ``var/metastore``. Derby admits one JVM at a time: fine for
  ``make run`` and a single worker, not for several worker processes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from spark_runner.engine.settings import EngineSettings
from spark_runner.engine.staging import MAX_AGE_CONF

log = logging.getLogger(__name__)

POSTGRES_JAR = "/usr/share/java/postgresql.jar"
MARIADB_JAR = "/usr/share/java/mariadb-java-client.jar"
_ADVISORY_LOCK_KEY = 0x48554231  # "HUB1": serialises metastore schema creation

_METASTORE_MODEL = [
    "MDatabase",
    "MFieldSchema",
    "MType",
    "MTable",
    "MConstraint",
    "MSerDeInfo",
    "MOrder",
    "MColumnDescriptor",
    "MStringList",
    "MStorageDescriptor",
    "MPartition",
    "MIndex",
    "MRole",
    "MRoleMap",
    "MGlobalPrivilege",
    "MDBPrivilege",
    "MTablePrivilege",
    "MPartitionPrivilege",
    "MTableColumnPrivilege",
    "MPartitionColumnPrivilege",
    "MPartitionEvent",
    "MMasterKey",
    "MDelegationToken",
    "MTableColumnStatistics",
    "MPartitionColumnStatistics",
    "MVersionTable",
    "MResourceUri",
    "MFunction",
    "MNotificationLog",
    "MNotificationNextId",
]

_lock = threading.RLock()
_session = None
_session_settings: EngineSettings | None = None


def get_session(settings: EngineSettings | None = None):
    """The process's SparkSession: created on first call, then reused while its JVM lives."""
    global _session, _session_settings
    settings = settings or EngineSettings.from_env()
    with _lock:
        if _session is not None:
            if _alive(_session):
                if _session_settings != settings:
                    log.warning("get_session: a session exists; new settings ignored")
                return _session
            log.warning("SparkSession's JVM is gone; starting a new one")
            _forget_dead_session()
        _session = _create(settings)
        _session_settings = settings
        return _session


def stop_session() -> None:
    global _session, _session_settings
    with _lock:
        if _session is not None:
            try:
                _session.stop()
            except Exception:
                _forget_dead_session()
        _session = None
        _session_settings = None


def session_alive(spark) -> bool:
    return _alive(spark)


def _alive(spark) -> bool:
    try:
        return not spark.sparkContext._jsc.sc().isStopped()
    except Exception:
        return False


def _forget_dead_session() -> None:
    """Clears PySpark's globals so that a new gateway and JVM can be started."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    with contextlib.suppress(Exception):
        if SparkContext._gateway is not None:
            SparkContext._gateway.shutdown()
    SparkContext._gateway = None
    SparkContext._jvm = None
    SparkContext._active_spark_context = None
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None
    with contextlib.suppress(Exception):
        SparkSession._defaultSession = None  # type: ignore[attr-defined]


def spark_conf(settings: EngineSettings) -> dict[str, str]:
    """The Spark configuration the engine runs with (public for docs and tests)."""
    warehouse = settings.warehouse_dir
    if "://" not in warehouse:
        warehouse = str(Path(warehouse).resolve())
        Path(warehouse).mkdir(parents=True, exist_ok=True)
    conf = {
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": warehouse,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.adaptive.enabled": "true",
        # AQE would replace a stage that turned out empty by an empty relation, dropping the
        # row-count observations (CollectMetrics) above it: an empty input must report 0 rows.
        "spark.sql.adaptive.optimizer.excludedRules": (
            "org.apache.spark.sql.execution.adaptive.AQEPropagateEmptyRelation"
        ),
        # AQE coalesces the shuffles inside cached plans too (eager sources, a sort's input),
        # which it otherwise leaves at spark.sql.shuffle.partitions: a few rows, a few tasks.
        # (parallelismFirst stays true: with it off, bench.engine (a) measured 1.35x once; not
        # told apart from the machine's load in the time there was, so the default is kept.)
        "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
        "spark.ui.enabled": "true" if settings.spark_ui else "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.hive.convertMetastoreParquet": "true",
        "spark.hadoop.hive.exec.dynamic.partition.mode": "nonstrict",
        # Files from other runs must not be picked up by a reader half-way through a commit.
        "spark.sql.files.ignoreMissingFiles": "false",
        "spark.driver.extraJavaOptions": " ".join(
            filter(None, ["-Dderby.system.home=" + settings.derby_dir, settings.java_options])
        ),
        MAX_AGE_CONF: str(settings.staging_max_age_seconds),
    }
    if settings.shuffle_partitions:
        conf["spark.sql.shuffle.partitions"] = str(settings.shuffle_partitions)
    elif settings.master.startswith("local"):
        conf["spark.sql.shuffle.partitions"] = "8"
    # JDBC drivers from Debian's packages (scripts/system-deps.sh): PostgreSQL, and MariaDB's
    # Connector/J for jdbc:mysql: and jdbc:mariadb: sources and targets.
    jars = [jar for jar in (POSTGRES_JAR, MARIADB_JAR) if os.path.exists(jar)]
    if jars:
        conf["spark.jars"] = ",".join(jars)
        conf["spark.driver.extraClassPath"] = ":".join(jars)
        conf["spark.executor.extraClassPath"] = ":".join(jars)
    if settings.metastore_url:
        conf.update(
            {
                "spark.hadoop.javax.jdo.option.ConnectionURL": settings.metastore_url,
                "spark.hadoop.javax.jdo.option.ConnectionDriverName": _driver_for(
                    settings.metastore_url
                ),
                "spark.hadoop.datanucleus.schema.autoCreateAll": "true",
                "spark.hadoop.datanucleus.autoCreateSchema": "true",
                "spark.hadoop.datanucleus.fixedDatastore": "false",
                "spark.hadoop.hive.metastore.schema.verification": "false",
                "spark.hadoop.datanucleus.connectionPoolingType": "HikariCP",
                "spark.hadoop.datanucleus.connectionPool.maxPoolSize": str(
                    settings.metastore_pool_size
                ),
                "spark.hadoop.datanucleus.connectionPool.minPoolSize": "1",
            }
        )
    else:
        Path(settings.derby_dir).mkdir(parents=True, exist_ok=True)
        db = str(Path(settings.derby_dir).resolve() / "metastore_db")
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={db};create=true"
        )
    conf.update(dict(settings.extra_conf))
    return conf


def _driver_for(url: str) -> str:
    if url.startswith("jdbc:postgresql:"):
        return "org.postgresql.Driver"
    if url.startswith("jdbc:derby:"):
        return "org.apache.derby.jdbc.EmbeddedDriver"
    raise ValueError("HUB_METASTORE_URL must be a jdbc:postgresql:// URL")


def _create(settings: EngineSettings):
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", _python())
    builder = SparkSession.builder.master(settings.master).appName(settings.app_name)
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    builder = builder.enableHiveSupport()
    if not settings.metastore_url:
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        return spark
    ensure_metastore_database(settings.metastore_url)
    # First start of an empty metastore: one process at a time creates the schema, under a lock.
    with _advisory_lock(settings.metastore_url):
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        if not _metastore_ready(settings.metastore_url):
            _create_metastore_schema(spark, settings.metastore_url)
        spark.sql("SHOW DATABASES").collect()
    return spark


def _python() -> str:
    import sys

    return sys.executable


def postgres_conninfo(jdbc_url: str, user: str | None = None, password: str | None = None) -> dict:
    """``jdbc:postgresql://host:port/db?user=..&password=..`` -> psycopg keyword arguments."""
    if not jdbc_url.startswith("jdbc:postgresql:"):
        raise ValueError("not a jdbc:postgresql: URL")
    parts = urlsplit(jdbc_url[len("jdbc:") :])
    query = dict(parse_qsl(parts.query))
    info = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "dbname": (parts.path or "/").lstrip("/") or "postgres",
    }
    if user or query.get("user"):
        info["user"] = user or query["user"]
    if password or query.get("password"):
        info["password"] = password or query["password"]
    if query.get("sslmode"):
        info["sslmode"] = query["sslmode"]
    return info


def ensure_metastore_database(jdbc_url: str) -> None:
    """Creates the metastore's PostgreSQL database when it does not exist."""
    import psycopg
    from psycopg import sql

    info = postgres_conninfo(jdbc_url)
    dbname = info["dbname"]
    admin = dict(info, dbname="postgres")
    with psycopg.connect(**admin, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process won the race
            except psycopg.errors.UniqueViolation:
                pass


class _advisory_lock:
    def __init__(self, jdbc_url: str):
        self.info = postgres_conninfo(jdbc_url)
        self.conn = None

    def __enter__(self):
        import psycopg

        self.conn = psycopg.connect(**self.info, autocommit=True, connect_timeout=10)
        self.conn.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK_KEY,))
        return self

    def __exit__(self, *exc):
        try:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK_KEY,))
        finally:
            self.conn.close()


def _metastore_ready(jdbc_url: str) -> bool:
    import psycopg

    names = ("TBL_PRIVS", "PARTITION_KEY_VALS", "FUNCS", "NOTIFICATION_LOG", "PART_COL_PRIVS")
    with psycopg.connect(**postgres_conninfo(jdbc_url), connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s)",
            (list(names),),
        ).fetchone()
        return bool(row and row[0] == len(names))


def _create_metastore_schema(spark, jdbc_url: str) -> None:
    """Creates every metastore table and foreign key in one go, before any metastore call.

    Left to itself, DataNucleus creates tables lazily on first use, from a second connection,
    while the first holds row locks in a transaction: the ``ALTER TABLE .. ADD CONSTRAINT`` waits
    on that transaction forever. Creating the whole schema up front (DataNucleus' own schema
    tool API, the model classes of the Hive metastore jar Spark ships) avoids it.
    """
    jvm = spark._jvm
    props = jvm.java.util.Properties()
    for key, value in {
        "javax.jdo.PersistenceManagerFactoryClass": (
            "org.datanucleus.api.jdo.JDOPersistenceManagerFactory"
        ),
        "javax.jdo.option.ConnectionURL": jdbc_url,
        "javax.jdo.option.ConnectionDriverName": _driver_for(jdbc_url),
        "datanucleus.schema.autoCreateAll": "true",
        "datanucleus.identifierFactory": "datanucleus1",
        "datanucleus.rdbms.useLegacyNativeValueStrategy": "true",
        "datanucleus.storeManagerType": "rdbms",
        "datanucleus.connectionPoolingType": "None",
    }.items():
        props.setProperty(key, value)
    pmf = jvm.javax.jdo.JDOHelper.getPersistenceManagerFactory(props)
    try:
        names = jvm.java.util.HashSet()
        for name in _METASTORE_MODEL:
            names.add("org.apache.hadoop.hive.metastore.model." + name)
        pmf.getNucleusContext().getStoreManager().createSchemaForClasses(
            names, jvm.java.util.Properties()
        )
    finally:
        pmf.close()

"""Warming a worker's SparkSession before its first run (docs/operators/engine.md, warm-up).

A new JVM pays twice before it is quick: starting (the session, the metastore client) and its
first queries (class loading, the JIT, code generation). ``ensure_warm`` does both up front: it
gets the process's session (``get_session``: created, or recreated when its JVM died) and runs
one tiny pipeline through the engine, ``warmup_runs`` times (3), in a temporary folder (CSV in,
typed and untyped; deduplicate, mask, sort, aggregate; out to CSV and to two Hive tables, one
partitioned, in database ``hub_warmup``), so that a worker's first real run costs about what its
later ones do: the first Hive commits (the metastore client, Hive's classes, a table's create,
then its swap and a partition overwrite) are most of what a cold worker pays. The tables are
dropped with their files at the end (the empty database stays); nothing else is written outside
the temporary folder.

``wait_warm`` lets a run that arrives while a warm-up is under way wait for it rather than run
beside it on a half-ready JVM.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

from spark_runner.engine.session import get_session
from spark_runner.engine.settings import EngineSettings

log = logging.getLogger(__name__)

_warming = threading.Lock()
_warmed = None  # the session object warmed last (a new JVM gets a new one)

# Typed columns (the common types' parsing, casts and writers) and untyped ones, the usual steps.
_PIPELINE = """<pipeline id="hub_warmup" version="1.0" layer="staging">
  <sources>
    <csv id="rows" path="in.csv" schemaRef="rows.json"/>
    <csv id="plain" path="in.csv" header="true"/>
  </sources>
  <transformations>
    <deduplicate source="rows" keys="id" keep="latest" orderBy="updated"/>
    <mask source="rows" columns="kind" strategy="redact"/>
    <sort source="rows" orderBy="id"/>
    <aggregate source="plain" groupBy="day" metrics="count:n,max:updated:last" output="daily"/>
  </transformations>
  <targets>
    <csv path="out" mode="overwrite" source="daily"/>
    <hive table="hub_warmup.rows_{tag}" mode="overwrite" source="rows"/>
    <hive table="hub_warmup.parts_{tag}" mode="overwrite" partitionBy="day" source="plain"/>
  </targets>
</pipeline>"""
_SCHEMA = """{"type": "object", "properties": {
  "id": {"type": "integer"}, "kind": {"type": "string"},
  "amount": {"type": "number", "format": "decimal(10,2)"}, "ratio": {"type": "number"},
  "day": {"type": "string", "format": "date"},
  "updated": {"type": "string", "format": "date-time"}}}"""
_ROWS = "id,kind,amount,ratio,day,updated\n" + "".join(
    f"{i % 7},k{i % 3},{i}.25,{i / 8},2024-03-0{i % 3 + 1},2024-03-0{i % 9 + 1}T10:00:00Z\n"
    for i in range(50)
)


def ensure_warm(settings: EngineSettings | None = None) -> float | None:
    """Gets the process's session and warms it once per JVM. Returns the seconds spent, or None
    when the session was warm already."""
    global _warmed
    with _warming:
        started = time.monotonic()
        settings = settings or EngineSettings.from_env()
        spark = get_session(settings)
        if spark is _warmed:
            return None
        _exercise(spark, settings.warmup_runs)
        _warmed = spark
        seconds = time.monotonic() - started
        log.info("SparkSession warm in %.1f s", seconds)
        return seconds


def wait_warm() -> None:
    """Returns once no warm-up is under way."""
    with _warming:
        pass


def _exercise(spark, runs: int) -> None:
    if runs <= 0:
        return
    from spark_runner.definition import DirectoryFileSource, parse
    from spark_runner.engine.context import RunContext
    from spark_runner.engine.run import run_pipeline
    from spark_runner.engine.secrets import SecretResolver

    root = Path(tempfile.mkdtemp(prefix="hub-warmup-"))
    try:
        data = root / "data"
        app = data / "applications" / "hub_warmup"
        app.mkdir(parents=True)
        (app / "in.csv").write_text(_ROWS, encoding="utf-8")
        schemas = root / "applications" / "hub_warmup" / "staging" / "schemas"
        schemas.mkdir(parents=True)
        (schemas / "rows.json").write_text(_SCHEMA, encoding="utf-8")
        path = "applications/hub_warmup/staging/pipelines/hub_warmup.xml"
        tag = uuid.uuid4().hex[:8]  # workers warming at once write tables of their own
        pipeline = parse(_PIPELINE.format(tag=tag).encode(), path)
        ctx = RunContext(
            spark=spark,
            application="hub_warmup",
            layer="staging",
            run_id=f"warmup-{uuid.uuid4().hex[:8]}",
            run_date=date(2024, 3, 5),
            files=DirectoryFileSource(root),
            data_root=str(data),
            secrets=SecretResolver(None),
        )
        try:
            # the tables made, then written again: the JIT compiles what runs often
            for attempt in range(runs):
                ctx.run_id = f"warmup-{attempt + 1}-{uuid.uuid4().hex[:8]}"
                result = run_pipeline(pipeline, ctx)
                if not result.ok:
                    log.warning("warm-up run failed: %s", result.error)
                    break
        finally:
            try:
                _drop(spark, tag)
            except Exception:  # a warm-up never stops a worker
                log.warning("warm-up could not drop its tables *_%s", tag, exc_info=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _drop(spark, tag: str) -> None:
    """Drops the warm-up's tables and deletes their folders (the engine's tables are external:
    dropping one keeps its files); the database ``hub_warmup`` stays, empty. (Dropping a database
    made the metastore client open a second set of connection pools, of HikariCP's default size,
    for the rest of the JVM's life: 6 PostgreSQL connections -> 16.)"""
    from spark_runner.engine.fs import FS
    from spark_runner.engine.storage.hive import table_root

    warehouse = spark.conf.get("spark.sql.warehouse.dir")
    for table in (f"rows_{tag}", f"parts_{tag}"):
        spark.sql(f"DROP TABLE IF EXISTS hub_warmup.`{table}`")
        FS(spark).delete(table_root(warehouse, "hub_warmup", table))

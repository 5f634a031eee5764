"""Runs one pipeline in a fresh process (its own SparkSession), for the tests that need
several processes: ``python -m tests.engine.child <config dir> <pipeline path> <data root>
<run id>``. Settings from the environment (SPARK_MASTER, HUB_METASTORE_URL, ...);
``HUB_CHILD_WARMUP=1`` warms the session first, as a worker does. Prints the result as JSON on
the last line, with the PostgreSQL connections open to the metastore database at the end."""

import json
import os
import sys
from datetime import date

from spark_runner.definition import DirectoryFileSource, parse
from spark_runner.engine import EngineSettings, RunContext, get_session, run_pipeline
from spark_runner.engine.secrets import SecretResolver


def main(config: str, path: str, data_root: str, run_id: str) -> int:
    files = DirectoryFileSource(config)
    pipeline = parse(files.read(path), path)
    _, application, layer, *_ = path.split("/")
    settings = EngineSettings.from_env(data_root=data_root)
    spark = get_session(settings)
    if os.environ.get("HUB_CHILD_WARMUP") == "1":
        from spark_runner.engine.warmup import ensure_warm

        ensure_warm(settings)
    print("session ready", flush=True)
    ctx = RunContext(
        spark=spark,
        application=application,
        layer=layer,
        run_id=run_id,
        run_date=date(2024, 3, 5),
        files=files,
        data_root=data_root,
        secrets=SecretResolver(None),
    )
    result = run_pipeline(pipeline, ctx)
    tables = sorted(
        f"{db.name}.{t.name}"
        for db in spark.catalog.listDatabases()
        for t in spark.catalog.listTables(db.name)
        if not t.isTemporary
    )
    report = {"result": result.to_dict(), "tables": tables}
    report["metastore_connections"] = _metastore_connections(settings.metastore_url)
    print(json.dumps(report), flush=True)
    return 0 if result.ok else 1


def _metastore_connections(url: str) -> int | None:
    if not url:
        return None
    import psycopg

    from spark_runner.engine.session import postgres_conninfo

    info = postgres_conninfo(url)
    with psycopg.connect(**dict(info, dbname="postgres")) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (info["dbname"],)
        ).fetchone()
    return int(row[0])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))

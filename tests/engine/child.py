"""Runs one pipeline in a fresh process (its own SparkSession), for the tests that need
several processes: ``python -m tests.engine.child <config dir> <pipeline path> <data root>
<run id>``. Settings from the environment (SPARK_MASTER, HUB_METASTORE_URL, ...). Prints the
result as JSON on the last line."""

import json
import sys
from datetime import date

from spark_runner.definition import DirectoryFileSource, parse
from spark_runner.engine import EngineSettings, RunContext, get_session, run_pipeline
from spark_runner.engine.secrets import SecretResolver


def main(config: str, path: str, data_root: str, run_id: str) -> int:
    files = DirectoryFileSource(config)
    pipeline = parse(files.read(path), path)
    _, application, layer, *_ = path.split("/")
    spark = get_session(EngineSettings.from_env(data_root=data_root))
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
    print(json.dumps({"result": result.to_dict(), "tables": tables}), flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))

"""CSV ingest, before and after RFC 4180 (issue 9): ``.venv/bin/python -m bench.csv_ingest
[--rows 2000000] [--repeat 3]``.

The engine.py (b) measure, with the reader's options as they were before issue 9 (single-line
records, Spark's backslash escape) and as they are now (``escape='"'``, ``multiLine``, the null
mark), each against a plain ``spark.read.schema(..).csv`` with the same options, all in one
SparkSession, interleaved, best of N. Ratios: plain rows/s over engine rows/s (goal <= 1.10:
the engine's bad-row column and counts cost at most 10 %), and the RFC reader against the old
one (the price of ``multiLine``).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from unittest import mock

from bench.engine import STRUCT, generate, timed
from spark_runner.definition.model import CsvSource
from spark_runner.engine import EngineSettings, get_session
from spark_runner.engine.storage import csv as csv_connector

OLD_OPTIONS = {"header": "true", "sep": ",", "encoding": "UTF-8", "multiLine": "false"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-csv-"))
    settings = EngineSettings.from_env(
        data_root=str(root / "data"),
        warehouse_dir=str(root / "warehouse"),
        derby_dir=str(root / "metastore"),
        metastore_url="",
    )
    spark = get_session(settings)
    cores = spark.sparkContext.defaultParallelism
    try:
        print(f"generating {args.rows:,} rows ...", flush=True)
        generate(spark, args.rows, root / "orders")
        source = f"{root}/orders/*.csv"
        src = CsvSource(id="o", path=source, schema_ref="orders.json")
        new_options = csv_connector.reader_options(src)

        def plain(options):
            reader = spark.read.options(**options).schema(STRUCT)
            reader.csv(source).write.format("noop").mode("overwrite").save()

        def engine(old: bool):
            if old:
                with mock.patch.object(csv_connector, "reader_options", lambda s: OLD_OPTIONS):
                    df = csv_connector.read_csv(spark, src, source, STRUCT).df
            else:
                df = csv_connector.read_csv(spark, src, source, STRUCT).df
            df.write.format("noop").mode("overwrite").save()

        runs = {"plain old": [], "engine old": [], "plain rfc": [], "engine rfc": []}
        for _ in range(args.repeat):
            runs["plain old"].append(timed(plain, OLD_OPTIONS))
            runs["engine old"].append(timed(engine, True))
            runs["plain rfc"].append(timed(plain, new_options))
            runs["engine rfc"].append(timed(engine, False))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    best = {k: min(v) for k, v in runs.items()}
    rate = {k: args.rows / v / cores for k, v in best.items()}
    print(f"\nCSV ingest: {args.rows:,} rows, {cores} cores (local), best of {args.repeat}")
    for k in runs:
        print(f"  {k:<12} {best[k]:>7.2f} s  {rate[k]:>10,.0f} rows/s/core")
    print(f"(b) before: plain/engine {rate['plain old'] / rate['engine old']:.2f} (goal <= 1.10)")
    print(f"(b) after:  plain/engine {rate['plain rfc'] / rate['engine rfc']:.2f} (goal <= 1.10)")
    print(f"RFC reader vs old reader (engine): {best['engine rfc'] / best['engine old']:.2f}x time")


if __name__ == "__main__":
    main()

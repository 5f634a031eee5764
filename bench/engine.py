"""Engine speed: ``.venv/bin/python -m bench.engine [--rows 5000000] [--small-runs 20]``;
``--only small`` runs (c) to (g) alone (no 5 M rows); ``--metastore jdbc:postgresql://...`` (a
scratch database) puts the Hive tables of (e), (f), (g) in a PostgreSQL metastore as a deployed
worker does (default: Derby in a temporary folder).

All figures are measured in one run, in one SparkSession (``local[*]``), against a baseline
measured in the same run:

(a) pipeline: the engine running a pipeline (CSV source with an explicit schema -> deduplicate
    keep=latest -> aggregate -> CSV export) against a hand-written PySpark script doing the same
    work on the same CSV (schema read, row_number window, groupBy, CSV write). Goal <= 1.10x.
(b) CSV ingest with an explicit schema, every column parsed (``noop`` writer): the engine's CSV
    source (bad-row column + observed counts) against a plain ``spark.read.schema(..).csv``;
    rows per second per core. Goal >= 1 M rows/s/core.
(c) a small pipeline (10 rows) on a warm session, p50 over N runs, against the hand-written
    equivalent. Goal p50 <= 0.5 s. (c') the same without a schema (all columns strings, the
    header read from the file): a tiny CSV -> CSV run as most pipelines start.

Also (d): the cost of the per-step row counts: the engine with counting off (observations
removed) against the same run with counting on.

(e) a small pipeline with a Hive target (1,000 rows, three steps), (f) the demo job (three
pipelines, five Hive targets) and (g) the first run after a worker starts: see
``bench/engine_small.py``; (f) is also timed with one target staged at a time
(``HUB_PARALLEL_TARGETS=1``). Goals: (e) p50 <= 1 s and <= 1.5x the plain script; (f) <= 5 s;
(g) first run <= 1.5x a warm one. (h) the demo job as an operator runs it: triggered, through a
real Celery worker (``bench/engine_demo_job.py``), against (f)'s plain script; goal <= 5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pyspark.sql import Window
from pyspark.sql import functions as F

from bench import engine_small
from bench.orders import SCHEMA_JSON, STRUCT
from spark_runner.definition import parse
from spark_runner.engine import (
    SparkPipeline,
    get_session,
    run_pipeline,
)

PIPELINE = """<pipeline id="bench" version="1.0" layer="staging">
  <sources><csv id="o" path="{source}" schemaRef="orders.json"/></sources>
  <transformations>
    <deduplicate source="o" keys="order_id" keep="latest" orderBy="updated_at"/>
    <aggregate source="o" groupBy="day,status" metrics="count:orders,sum:amount:revenue"/>
  </transformations>
  <targets><csv path="{target}" mode="overwrite"/></targets>
</pipeline>"""


def generate(spark, rows: int, folder: Path) -> None:
    df = spark.range(rows).select(
        (F.col("id") % int(rows * 0.95 + 1)).alias("order_id"),
        (F.col("id") % 100_003).alias("customer_id"),
        F.date_add(F.lit("2024-01-01").cast("date"), (F.col("id") % 60).cast("int")).alias("day"),
        F.element_at(
            F.array(*[F.lit(s) for s in ("completed", "returned", "cancelled", "open")]),
            (F.col("id") % 4 + 1).cast("int"),
        ).alias("status"),
        ((F.col("id") % 100_000) / 100).cast("decimal(10,2)").alias("amount"),
        F.timestamp_seconds(F.lit(1_704_067_200) + F.col("id") % 5_000_000).alias("updated_at"),
    )
    df.write.option("header", "true").mode("overwrite").csv(str(folder))


PLAIN_PIPELINE = """<pipeline id="bench_plain" version="1.0" layer="staging">
  <sources><csv id="o" path="{source}"/></sources>
  <transformations>
    <deduplicate source="o" keys="order_id" keep="latest" orderBy="updated_at"/>
  </transformations>
  <targets><csv path="{target}" mode="overwrite"/></targets>
</pipeline>"""


def hand_written_plain(spark, source: str, target: str) -> None:
    df = spark.read.option("header", "true").csv(source)
    w = Window.partitionBy("order_id").orderBy(F.col("updated_at").desc_nulls_last())
    latest = df.withColumn("rn", F.row_number().over(w)).where("rn = 1").drop("rn")
    latest.write.option("header", "true").mode("overwrite").csv(target)


def hand_written(spark, source: str, target: str) -> None:
    df = spark.read.option("header", "true").schema(STRUCT).csv(source)
    w = Window.partitionBy("order_id").orderBy(F.col("updated_at").desc_nulls_last())
    latest = df.withColumn("rn", F.row_number().over(w)).where("rn = 1").drop("rn")
    out = latest.groupBy("day", "status").agg(
        F.count(F.lit(1)).alias("orders"), F.sum("amount").alias("revenue")
    )
    out.write.option("header", "true").mode("overwrite").csv(target)


def engine_run(
    spark, root: Path, source: str, target: str, count_rows: bool = True, template=PIPELINE
):
    config = root / "config"
    (config / "applications/bench/staging/pipelines").mkdir(parents=True, exist_ok=True)
    (config / "applications/bench/staging/schemas").mkdir(parents=True, exist_ok=True)
    (config / "applications/bench/staging/schemas/orders.json").write_text(SCHEMA_JSON)
    xml = template.format(source=source, target=target)
    pid = "bench_plain" if template is PLAIN_PIPELINE else "bench"
    pipeline = parse(xml.encode(), f"applications/bench/staging/pipelines/{pid}.xml")
    ctx = engine_small.bench_context(spark, root, config)
    if count_rows:
        result = run_pipeline(pipeline, ctx)
    else:
        runner = SparkPipeline(pipeline, ctx)
        runner.count_rows = False
        result = runner.run()
    if not result.ok:
        raise SystemExit(f"engine run failed: {result.error}")
    return result


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


C_PLAIN_LABEL = "(c') small, no schema, p50 s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--small-runs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2, help="(a): best of N each")
    parser.add_argument(
        "--only",
        choices=["all", "small", "big"],
        default="all",
        help="small: (c)-(g), no big input; big: (a), (b), (d) only",
    )
    parser.add_argument("--hive-runs", type=int, default=10, help="(e): warm runs, p50")
    parser.add_argument("--demo-runs", type=int, default=3, help="(f): warm runs, p50")
    parser.add_argument("--metastore", default="", help="(e)-(h): a scratch PostgreSQL metastore")
    parser.add_argument(
        "--celery-jobs",
        type=int,
        default=3,
        help="(h): demo jobs through a Celery worker, p50 (needs PostgreSQL and Redis; 0: skip)",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    settings = engine_small.bench_settings(root, args.metastore)
    spark = get_session(settings)
    if args.metastore:
        engine_small.drop_bench_databases(spark)
    cores = spark.sparkContext.defaultParallelism
    only_small = args.only == "small"
    only_big = args.only == "big"
    a_engine = a_hand = d_uncounted = b_engine = b_plain = None
    try:
        if not only_small:
            a_engine, a_hand, d_uncounted, b_plain, b_engine = big(spark, root, args)
        if not only_big:
            c_engine, c_hand, engine_small_runs, c2_engine, c2_hand = small_runs(spark, root, args)
            e_engine, e_hand, f_engine, f_hand, f_one = engine_small.small_and_demo(
                spark, root, args.hive_runs, args.demo_runs
            )
            g_warm = engine_small.first_run(root / "g_warm", True, 5, args.metastore)
            g_cold = engine_small.first_run(root / "g_cold", False, 5, args.metastore)
            if args.celery_jobs:
                from bench import engine_demo_job

                h = engine_demo_job.celery_demo(root / "h", args.celery_jobs, args.metastore)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    rows = args.rows
    print()
    print(f"engine bench: {rows:,} rows, {cores} cores (local), machine load shared")
    print(f"{'measure':<46} {'engine':>10} {'baseline':>10} {'ratio':>7} {'goal':>8}")
    if not only_small:
        print(
            f"{f'(a) pipeline, seconds (best of {args.repeat})':<46} "
            f"{a_engine:>10.2f} {a_hand:>10.2f} {a_engine / a_hand:>7.2f} {'<=1.10':>8}"
        )
        eng_rate = rows / b_engine / cores
        plain_rate = rows / b_plain / cores
        print(
            f"{'(b) CSV ingest, rows/s per core':<46} {eng_rate:>10,.0f} {plain_rate:>10,.0f} "
            f"{plain_rate / eng_rate:>7.2f} {'>=1M':>8}"
        )
    if not only_small:
        print(
            f"{'(d) pipeline with row counts vs without, s':<46} {a_engine:>10.2f} "
            f"{d_uncounted:>10.2f} {a_engine / d_uncounted:>7.2f} {'':>8}"
        )
    if not only_big:
        print(
            f"{'(c) small pipeline, warm session, p50 s':<46} {c_engine:>10.3f} {c_hand:>10.3f} "
            f"{c_engine / c_hand:>7.2f} {'<=0.5s':>8}"
        )
        print(
            f"{C_PLAIN_LABEL:<46} {c2_engine:>10.3f} "
            f"{c2_hand:>10.3f} {c2_engine / c2_hand:>7.2f} {'<=0.5s':>8}"
        )
        med = statistics.median
        print(
            f"{'(e) small Hive pipeline (1,000 rows), p50 s':<46} {med(e_engine):>10.3f} "
            f"{med(e_hand):>10.3f} {med(e_engine) / med(e_hand):>7.2f} {'<=1s,1.5x':>8}"
        )
        print(
            f"{'(f) demo job (3 pipelines, 5 Hive), p50 s':<46} {med(f_engine):>10.3f} "
            f"{med(f_hand):>10.3f} {med(f_engine) / med(f_hand):>7.2f} {'<=5s':>8}"
        )
        print(
            f"{'(f) side by side vs one target at a time, s':<46} {med(f_engine):>10.3f} "
            f"{med(f_one):>10.3f} {med(f_engine) / med(f_one):>7.2f} {'':>8}"
        )
        print(
            f"{'(g) first run after start / warm p50, s':<46} {g_warm['first']:>10.3f} "
            f"{g_warm['warm_p50']:>10.3f} {g_warm['first'] / g_warm['warm_p50']:>7.2f} "
            f"{'<=1.5x':>8}"
        )
        print(
            f"{'(g) the same without the warm-up, s':<46} {g_cold['first']:>10.3f} "
            f"{g_cold['warm_p50']:>10.3f} {g_cold['first'] / g_cold['warm_p50']:>7.2f} {'':>8}"
        )
        if args.celery_jobs:
            engine_demo_job.print_figures(h, med(f_hand))
        p90 = sorted(engine_small_runs)[int(len(engine_small_runs) * 0.9)]
        print(f"    (c) engine p90 {p90:.3f} s")
        print(
            f"    (g) session start {g_warm['session']:.1f} s, warm-up {g_warm['warmup']:.1f} s "
            "(before the worker takes its first run)"
        )
    print(f"    metastore: {'PostgreSQL' if args.metastore else 'Derby'}; load {_load()}")
    print("ratios: engine time / baseline time ((b): baseline rate / engine rate)")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def big(spark, root: Path, args):
    """(a), (d) and (b) on a generated CSV of ``--rows`` rows."""
    source_dir = root / "orders"
    print(f"generating {args.rows:,} rows ...", flush=True)
    generate(spark, args.rows, source_dir)
    source = f"{source_dir}/*.csv"

    # (a) pipeline, alternating, best of N each
    engine_times, hand_times = [], []
    for _ in range(args.repeat):
        hand_times.append(timed(hand_written, spark, source, str(root / "hand_out")))
        engine_times.append(timed(engine_run, spark, root, source, str(root / "engine_out")))
    a_engine, a_hand = min(engine_times), min(hand_times)
    # (d) the cost of counting rows: the same engine run without observations
    d_uncounted = min(
        timed(engine_run, spark, root, source, str(root / "engine_out"), False)
        for _ in range(args.repeat)
    )

    # (b) CSV ingest, every column parsed
    from spark_runner.definition.model import CsvSource
    from spark_runner.engine.storage.csv import read_csv

    def plain_ingest():
        spark.read.option("header", "true").schema(STRUCT).csv(source).write.format("noop").mode(
            "overwrite"
        ).save()

    def engine_ingest():
        src = CsvSource(id="o", path=source, schema_ref="orders.json")
        read_csv(spark, src, source, STRUCT).df.write.format("noop").mode("overwrite").save()

    b_plain = min(timed(plain_ingest) for _ in range(args.repeat))
    b_engine = min(timed(engine_ingest) for _ in range(args.repeat))

    return a_engine, a_hand, d_uncounted, b_plain, b_engine


def small_runs(spark, root: Path, args):
    """(c) and (c'): p50 of N warm runs each, engine and hand-written, interleaved."""
    small = root / "small.csv"
    small.write_text(
        "order_id,customer_id,day,status,amount,updated_at\n"
        + "".join(
            f"{i % 8},{i},2024-03-0{i % 3 + 1},completed,{i}.50,2024-03-01T10:00:0{i}Z\n"
            for i in range(10)
        )
    )
    out = str(root / "small_out")
    engine_small, hand_small, engine_plain, hand_plain = [], [], [], []
    for _ in range(2):  # warm-up: the first runs compile code paths
        engine_run(spark, root, str(small), out)
        engine_run(spark, root, str(small), out, True, PLAIN_PIPELINE)
    for _ in range(args.small_runs):
        engine_small.append(timed(engine_run, spark, root, str(small), out))
        hand_small.append(timed(hand_written, spark, str(small), str(root / "small_hand")))
        engine_plain.append(timed(engine_run, spark, root, str(small), out, True, PLAIN_PIPELINE))
        hand_plain.append(timed(hand_written_plain, spark, str(small), str(root / "small_hand")))
    med = statistics.median
    return med(engine_small), med(hand_small), engine_small, med(engine_plain), med(hand_plain)


if __name__ == "__main__":
    os.environ.setdefault("SPARK_MASTER", "local[*]")
    main()

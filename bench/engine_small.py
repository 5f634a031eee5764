"""Small runs with Hive targets, for ``bench.engine`` (e), (f) and (g).

(e) a small pipeline: a CSV source of 1,000 rows (explicit schema) -> deduplicate (latest) ->
    mask (redact) -> sort -> one Hive target (overwrite), end to end on a warm session, p50
    over N runs, against a plain PySpark script doing the same reads and writes (``spark.read``
    with the schema, a row_number window, a literal, ``orderBy``, ``saveAsTable``).
(f) the demo job (application ``retail``, job ``retail_daily``: its three pipelines in order,
    five Hive targets, four CSV exports), end to end on a warm session, p50 over N runs, against
    a plain script reading the same files and writing the same tables and folders.
(g) the first run after a worker starts: a new process (a new JVM) warms its session as a
    worker does (``spark_runner.engine.warmup.ensure_warm``), then runs (e) once, then N times;
    the first run against the warm p50. The same without the warm-up shows what it saves.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from pyspark.sql import Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from bench.orders import SCHEMA_JSON, STRUCT
from spark_runner.definition import DirectoryFileSource, load_schema, parse
from spark_runner.engine import RunContext, run_pipeline
from spark_runner.engine.schema import to_struct
from spark_runner.engine.secrets import SecretResolver

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
MASK_KEY = "bench-only-mask-key-0123456789abcdef"

# the orders of bench.engine without their day
_SMALL = json.loads(SCHEMA_JSON)
del _SMALL["properties"]["day"]
SMALL_SCHEMA = json.dumps(_SMALL)
SMALL_STRUCT = T.StructType([field for field in STRUCT.fields if field.name != "day"])
SMALL_PIPELINE = """<pipeline id="small_hive" version="1.0" layer="staging">
  <sources><csv id="o" path="{source}" schemaRef="small.json"/></sources>
  <transformations>
    <deduplicate source="o" keys="order_id" keep="latest" orderBy="updated_at"/>
    <mask source="o" columns="status" strategy="redact"/>
    <sort source="o" orderBy="order_id"/>
  </transformations>
  <targets><hive table="bench_small.orders" mode="overwrite"/></targets>
</pipeline>"""


def bench_context(spark, root: Path, config: Path) -> RunContext:
    """A run of application bench on the files of ``config``, its data under ``root``."""
    return RunContext(
        spark=spark,
        application="bench",
        layer="staging",
        run_id=uuid.uuid4().hex[:12],
        run_date=date(2024, 3, 5),
        files=DirectoryFileSource(config),
        data_root=str(root / "data"),
        secrets=SecretResolver(None),
    )


def small_source(root: Path, rows: int = 1000) -> str:
    path = root / "small_1000.csv"
    lines = ["order_id,customer_id,status,amount,updated_at"]
    lines += [
        f"{i % 900},{i % 97},{('open', 'completed', 'returned')[i % 3]},{i % 500}.25,"
        f"2024-03-0{i % 9 + 1}T10:{i % 60:02d}:00Z"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def small_engine(spark, root: Path, source: str) -> None:
    config = root / "config"
    schemas = config / "applications/bench/staging/schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    (schemas / "small.json").write_text(SMALL_SCHEMA)
    path = "applications/bench/staging/pipelines/small_hive.xml"
    pipeline = parse(SMALL_PIPELINE.format(source=source).encode(), path)
    ctx = bench_context(spark, root, config)
    result = run_pipeline(pipeline, ctx)
    if not result.ok:
        raise SystemExit(f"engine run failed: {result.error}")


def small_hand(spark, source: str) -> None:
    df = spark.read.option("header", "true").schema(SMALL_STRUCT).csv(source)
    w = Window.partitionBy("order_id").orderBy(F.col("updated_at").desc_nulls_last())
    latest = df.withColumn("rn", F.row_number().over(w)).where("rn = 1").drop("rn")
    out = latest.withColumn("status", F.lit("***")).orderBy("order_id")
    spark.sql("CREATE DATABASE IF NOT EXISTS bench_small")
    out.write.mode("overwrite").format("parquet").saveAsTable("bench_small.orders_hand")


# ------------------------------------------------------------------ the demo job

DEMO_PIPELINES = (
    "staging/pipelines/retail_staging_load",
    "standardization/pipelines/retail_order_facts",
    "service/pipelines/retail_daily_revenue",
)


def demo_engine(spark, data_root: Path, parallel_targets: int = 4) -> None:
    from demo.load import copy_data

    copy_data(data_root)
    files = DirectoryFileSource(DEMO / "config")
    os.environ["HUB_SECRET_RETAIL_MASK_KEY"] = MASK_KEY
    for name in DEMO_PIPELINES:
        path = f"applications/retail/{name}.xml"
        pipeline = parse(files.read(path), path)
        ctx = RunContext(
            spark=spark,
            application="retail",
            layer=pipeline.layer,
            run_id=uuid.uuid4().hex[:12],
            run_date=date(2024, 3, 5),
            files=files,
            data_root=str(data_root),
            secrets=SecretResolver(None),
            parallel_targets=parallel_targets,
        )
        result = run_pipeline(pipeline, ctx)
        if not result.ok:
            raise SystemExit(f"demo {name} failed: {result.error}")


def _schema(layer: str, ref: str) -> T.StructType:
    return to_struct(load_schema(DirectoryFileSource(DEMO / "config"), "retail", layer, ref))


def demo_hand(spark, data_root: Path) -> None:
    """The demo job's reads and writes as a plain script: the same files in, the same kinds of
    tables and folders out (tables in ``hand_*`` databases), the steps written directly."""
    from demo.load import copy_data

    copy_data(data_root)
    app = data_root / "applications/retail"
    out = data_root / "hand"

    def csv(path, schema):
        return spark.read.option("header", "true").schema(schema).csv(str(path))

    def table(df, name, partition=None, fmt="parquet"):
        db = name.split(".")[0]
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
        writer = df.write.mode("overwrite").format(fmt)
        if partition:
            writer = writer.partitionBy(partition)
        writer.saveAsTable(name)

    def export(df, name, **options):
        df.write.mode("overwrite").option("header", "true").options(**options).csv(str(out / name))

    # staging
    customers = csv(app / "landing/customers/*.csv", _schema("staging", "customer.avsc")).cache()
    customers.count()  # loadPolicy="eager"
    w = Window.partitionBy("customer_id").orderBy(F.col("updated_at").desc_nulls_last())
    customers = customers.withColumn("rn", F.row_number().over(w)).where("rn = 1").drop("rn")
    products = csv(app / "landing/products/products.csv.gz", _schema("staging", "product.avsc"))
    store = csv(app / "landing/orders_store/*.csv", _schema("staging", "order.json"))
    web = csv(app / "landing/orders_web/*.csv", _schema("staging", "schemas/order_web.json"))
    orders = store.unionByName(web.where("order_date IS NOT NULL"), allowMissingColumns=True)
    orders = orders.dropDuplicates(["order_id"])
    table(customers, "hand_staging.customers")
    table(products, "hand_staging.products", fmt="orc")
    table(orders, "hand_staging.orders", partition="order_date")
    export(customers, "staging/customers")
    export(products, "staging/products")
    export(orders, "staging/orders")
    # standardization
    line = _schema("standardization", "schemas/order_line.json")
    orders = csv(out / "staging/orders/*.csv", line)
    customers = csv(out / "staging/customers/*.csv", _schema("standardization", "customer.avsc"))
    customers = customers.cache()
    customers.count()
    products = csv(out / "staging/products/*.csv", _schema("standardization", "product.avsc"))
    countries = spark.read.option("header", "true").csv(
        str(DEMO / "config/common/lookups/country_dim.csv")
    )
    customers = customers.join(F.broadcast(countries), "country_code", "left")
    customers = customers.withColumn("email", F.sha2(F.col("email"), 256)).withColumn(
        "phone", F.lit("***")
    )
    facts = orders.join(customers.drop("updated_at"), "customer_id", "left").join(
        products, "product_id", "inner"
    )
    table(facts, "hand_std.order_facts", partition="order_date")
    table(customers, "hand_std.customers")
    export(facts, "standardization/order_facts")
    # service
    facts = csv(out / "standardization/order_facts/*.csv", _schema("service", "order_fact.json"))
    daily = (
        facts.groupBy("country_name", "category", F.col("order_date").alias("window_start"))
        .agg(
            F.count(F.lit(1)).alias("orders"),
            F.sum("amount").alias("revenue"),
            F.avg("amount").alias("avg_order"),
            F.sum("quantity").alias("items"),
        )
        .orderBy("window_start", "country_name", "category")
    )
    table(daily, "hand_service.daily_revenue")
    export(daily, "service/exports/daily_revenue/2024/03/05", compression="gzip")


def small_and_demo(spark, root: Path, runs: int, demo_runs: int):
    """(e) and (f): p50 of warm runs, engine and plain script interleaved; (f) also with one
    target staged at a time (``parallel_targets=1``), the engine before side-by-side staging."""
    source = small_source(root)
    for _ in range(2):  # warm-up: the first runs compile code paths
        small_engine(spark, root, source)
        small_hand(spark, source)
    e_engine, e_hand = [], []
    for _ in range(runs):
        e_engine.append(timed(small_engine, spark, root, source))
        e_hand.append(timed(small_hand, spark, source))
    demo_engine(spark, root / "demo_engine")
    demo_hand(spark, root / "demo_hand")
    f_engine, f_hand, f_one = [], [], []
    for _ in range(demo_runs):
        f_engine.append(timed(demo_engine, spark, root / "demo_engine"))
        f_hand.append(timed(demo_hand, spark, root / "demo_hand"))
        f_one.append(timed(demo_engine, spark, root / "demo_engine", 1))
    return e_engine, e_hand, f_engine, f_hand, f_one


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


# ------------------------------------------------------------------ (g) the first run


def first_run(root: Path, warm: bool, runs: int, metastore: str = "") -> dict:
    """Runs in a new process (a new JVM): [warm-up], then (e) once, then ``runs`` times."""
    argv = [sys.executable, "-m", "bench.engine_small", str(root), "1" if warm else "0", str(runs)]
    argv += [metastore] if metastore else []
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"first-run child failed:\n{done.stderr[-3000:]}")


def _child(root: Path, warm: bool, runs: int, metastore: str) -> None:
    from spark_runner.engine import get_session
    from spark_runner.engine.warmup import ensure_warm

    root.mkdir(parents=True, exist_ok=True)
    settings = bench_settings(root, metastore)
    started = time.perf_counter()
    spark = get_session(settings)
    session = time.perf_counter() - started
    warmup = ensure_warm(settings) if warm else 0.0
    if metastore:
        drop_bench_databases(spark)
    source = small_source(root)
    first = timed(small_engine, spark, root, source)
    warm_runs = [timed(small_engine, spark, root, source) for _ in range(runs)]
    print(
        json.dumps(
            {
                "session": session,
                "warmup": warmup,
                "first": first,
                "warm_p50": statistics.median(warm_runs),
            }
        )
    )


# The databases the bench writes; dropped first from a --metastore (a scratch one).
BENCH_DATABASES = (
    "bench_small",
    "hand_staging",
    "hand_std",
    "hand_service",
    "retail_staging",
    "retail_std",
    "retail_service",
)


def bench_settings(root: Path, metastore: str = ""):
    """Derby under ``root``, or ``metastore`` (``--metastore jdbc:postgresql://...``, a scratch
    database: as a deployment's workers, every metastore call is then a round trip)."""
    from spark_runner.engine import EngineSettings

    return EngineSettings.from_env(
        data_root=str(root / "data"),
        warehouse_dir=str(root / "warehouse"),
        derby_dir=str(root / "metastore"),
        metastore_url=metastore,
    )


def drop_bench_databases(spark) -> None:
    for db in BENCH_DATABASES:
        spark.sql(f"DROP DATABASE IF EXISTS `{db}` CASCADE")


if __name__ == "__main__":  # the (g) child: bench.engine_small ROOT WARM RUNS
    os.environ.setdefault("SPARK_MASTER", "local[*]")
    _child(Path(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3]), (sys.argv[4:] or [""])[0])

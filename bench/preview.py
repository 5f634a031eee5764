"""Preview speed: ``.venv/bin/python -m bench.preview [--repeats 20]``.

In one warm SparkSession (``local[*]``, warmed by ``spark_runner.engine.warmup`` as a preview
worker's is), against a baseline measured in the same run and session:

(a) the preview of a three-step pipeline (deduplicate, mask, sort) up to its last step on a
    1,000-row sample (a 5,000-row CSV, ``rows_per_source=1000``), under a data policy: p50 and
    p95 over ``--repeats`` previews. Baseline: plain PySpark doing the same reads and transforms
    (CSV read, limit, dropDuplicates, sha2 of the column, sort, a count per step, 20 rows
    collected). Goal: p95 <= 1.5 s.
(b) the dry run of a change with two pipelines: what ``dry_run_execute`` does for each (the whole
    pipeline on the sample at the change's head, and the same pipeline as on ``main``, each
    target's schema and rows), for both pipelines, one after the other (each pipeline's head and
    main previews side by side in two threads, as ``dry_run_execute`` runs them). Baseline: plain
    PySpark doing the same four in the same two threads. Goal: <= 5 s.

What is not in these figures: the Celery hop and the result row's round trip through the database
(milliseconds; ``python -m bench.orchestration`` measures a task's start), and the page's
polling interval (0.7 s in the wizard, 1 s on the change page).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from pyspark.sql import functions as F

from spark_runner.definition import DirectoryFileSource, parse
from spark_runner.definition.policy import DataPolicy
from spark_runner.engine import EngineSettings, RunContext, get_session
from spark_runner.engine.preview import PreviewLimits, preview_pipeline
from spark_runner.engine.secrets import SecretResolver
from spark_runner.engine.warmup import ensure_warm

APP = "bench_preview"
KEY = "bench-preview-key-0123456789abcdef0123456789"
THREE_STEPS = """<pipeline id="{id}" version="1.0" layer="staging">
  <sources><csv id="c" path="in/customers.csv" header="true"/></sources>
  <transformations>
    <deduplicate source="c" keys="id"/>
    <mask source="c" columns="email" strategy="hash" secretRef="{app}.key"/>
    <sort source="c" orderBy="{order}"/>
  </transformations>
  <targets><csv path="out/{id}" mode="overwrite"/></targets>
</pipeline>"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def plain(spark, path: str, order: str, rows: int = 1000, shown: int = 20) -> None:
    """The same reads and transforms in plain PySpark, with a count per step as the preview."""
    source = spark.read.option("header", "true").csv(path).limit(rows).persist()
    source.count()
    deduplicated = source.dropDuplicates(["id"]).persist()
    deduplicated.count()
    masked = deduplicated.withColumn("email", F.sha2(F.col("email"), 256)).persist()
    masked.count()
    ordered = masked.orderBy(order).persist()
    ordered.count()
    ordered.limit(shown).collect()
    for df in (source, deduplicated, masked, ordered):
        df.unpersist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--rows", type=int, default=5000, help="rows in the CSV file")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    try:
        data = root / "data"
        app_root = data / "applications" / APP
        (app_root / "in").mkdir(parents=True)
        lines = ["id,name,email,country"]
        lines += [f"{i % 800},n{i},p{i}@x.com,c{i % 7}" for i in range(args.rows)]
        csv = app_root / "in" / "customers.csv"
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        config = root / "config"
        settings = EngineSettings.from_env()
        started = time.monotonic()
        ensure_warm(settings)
        spark = get_session(settings)
        print(f"session warm in {time.monotonic() - started:.1f} s (a preview worker's start)\n")
        policy = DataPolicy(APP, str(data))
        secrets = SecretResolver(None, environ={f"HUB_SECRET_{APP.upper()}_KEY": KEY})

        def pipeline(pid: str, order: str):
            xml = THREE_STEPS.format(id=pid, app=APP, order=order)
            path = f"applications/{APP}/staging/pipelines/{pid}.xml"
            (config / path).parent.mkdir(parents=True, exist_ok=True)
            (config / path).write_text(xml, encoding="utf-8")
            return parse(xml.encode(), path)

        def context():
            return RunContext(
                spark=spark,
                application=APP,
                layer="staging",
                run_id=f"preview-{uuid.uuid4().hex[:8]}",
                run_date=date(2024, 3, 5),
                files=DirectoryFileSource(config),
                data_root=str(data),
                secrets=secrets,
                policy=policy,
            )

        limits = PreviewLimits(rows_per_source=1000, seconds=60)
        three = pipeline("three", "name")

        def one_preview():
            result = preview_pipeline(three, context(), step=3, limits=limits)
            assert result.ok, result.error
            assert result.steps[0]["rows_in"] == 1000

        for _ in range(3):  # the first previews compile what the later ones reuse
            one_preview()
            plain(spark, str(csv), "name")
        previews, baselines = [], []
        for _ in range(args.repeats):
            t = time.monotonic()
            one_preview()
            previews.append(time.monotonic() - t)
            t = time.monotonic()
            plain(spark, str(csv), "name")
            baselines.append(time.monotonic() - t)
        p50, p95 = statistics.median(previews), percentile(previews, 0.95)
        b50, b95 = statistics.median(baselines), percentile(baselines, 0.95)
        print(f"(a) preview of three steps on a 1,000-row sample, {args.repeats} times")
        print(f"    preview   p50 {p50:.3f} s  p95 {p95:.3f} s   (goal p95 <= 1.5 s)")
        print(f"    plain     p50 {b50:.3f} s  p95 {b95:.3f} s")
        print(f"    ratio     p50 {p50 / b50:.2f}x  p95 {p95 / b95:.2f}x\n")

        head = [pipeline("first", "name"), pipeline("second", "country")]
        main_ = [pipeline("first_main", "id"), pipeline("second_main", "id")]

        def whole(definition):
            result = preview_pipeline(definition, context(), limits=limits)
            assert result.ok and result.targets, result.error

        def dry_run():  # as dry_run_execute: main's preview in a second thread beside the head's
            for changed, published in zip(head, main_, strict=True):
                on_main = pool.submit(whole, published)
                whole(changed)
                on_main.result()

        def plain_dry_run():  # the same two threads
            for order, main_order in (("name", "id"), ("country", "id")):
                on_main = pool.submit(plain, spark, str(csv), main_order, shown=5)
                plain(spark, str(csv), order, shown=5)
                on_main.result()

        pool = ThreadPoolExecutor(max_workers=1)

        dry_run()
        plain_dry_run()
        dry, base = [], []
        for _ in range(max(3, args.repeats // 4)):
            t = time.monotonic()
            dry_run()
            dry.append(time.monotonic() - t)
            t = time.monotonic()
            plain_dry_run()
            base.append(time.monotonic() - t)
        d50, b50 = statistics.median(dry), statistics.median(base)
        print(f"(b) dry run of a change with two pipelines (head and main each), {len(dry)} times")
        print(f"    dry run   p50 {d50:.3f} s  max {max(dry):.3f} s   (goal <= 5 s)")
        print(f"    plain     p50 {b50:.3f} s")
        print(f"    ratio     p50 {d50 / b50:.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

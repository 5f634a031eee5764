"""Validation speed: ``.venv/bin/python -m bench.validate [--files N]``.

Generates a repository of N pipeline files (default 1,000; plus a job chaining some of them, the
schemas and a lookup they name) and times, on the same files in the same run:

- baseline: read each file and parse it with plain lxml (no validation);
- parse: the hardened parse + XSD + model + single-file rules of ``spark_runner.definition.parse``;
- validate: ``validate()`` over the repository (adds schemas, lookups, columns, layout, job refs);

then the same for the demo repository (``demo/config``) when it exists. Ratios are times over the
baseline of the same files.

First, the bounded cost of hostile or huge documents (issue 8): the time ``parse`` takes for one
ordinary pipeline document (the baseline), a document whose element carries 5,000 attributes
(refused by count) and 50,000 attributes, and a 4 MB document (an ordinary pipeline padded to
4 MB), each the median of several runs. ``--limits-only`` prints only this table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from lxml import etree

from spark_runner.definition import DirectoryFileSource, parse, validate
from spark_runner.definition.validate import definition_paths
from spark_runner.definition.xsdcheck import _fast, compiled

LAYERS = ("staging", "standardization", "service")
SCHEMA = """{"type": "record", "name": "orders", "fields": [
  {"name": "order_id", "type": "long"}, {"name": "customer_id", "type": "long"},
  {"name": "country_code", "type": ["null", "string"]},
  {"name": "email", "type": ["null", "string"]},
  {"name": "amount", "type": "double"},
  {"name": "updated_at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}"""
CUSTOMERS = """{"type": "object", "properties": {"id": {"type": "integer"},
  "customer_id": {"type": "integer"}, "segment": {"type": ["string", "null"]}},
  "required": ["id"]}"""

PIPELINE = """<pipeline id="{id}" version="1.{n}" layer="{layer}">
  <metadata>
    <owner>bench-team</owner>
    <sla>PT2H</sla>
    <schedule>{minute} * * * *</schedule>
  </metadata>
  <parameters>
    <parameter name="region" default="eu"/>
  </parameters>
  <sources>
    <csv id="orders" path="landing/orders/{n}/*.csv" schemaRef="schemas/orders.avsc"/>
    <database id="customers" jdbcUrl="jdbc:postgresql://db:5432/crm" userSecretRef="crm.reader"
              schemaRef="customers.json">
      <sql><![CDATA[
        SELECT id, customer_id, segment FROM customer
        WHERE region = :region AND updated_at >= :runDate
      ]]></sql>
    </database>
  </sources>
  <transformations>
    <deduplicate source="orders" keys="order_id" keep="latest"/>
    <sort source="orders" orderBy="order_id" direction="desc"/>
    <join left="orders" right="customers" type="left"
          condition="orders.customer_id = customers.id"/>
    <lookup source="orders" reference="country_dim" outputFields="country_name"/>
    <mask source="orders" columns="email" strategy="hash" secretRef="pii"/>
    <aggregate source="orders" groupBy="country_name,segment" metrics="count:n,sum:amount"
               window="daily" timeColumn="updated_at" output="daily"/>
  </transformations>
  <targets>
    <hive table="{layer}.orders_{n}" mode="overwrite" partitionBy="window_start" source="daily"/>
    <csv path="exports/{n}/%Y/%m/%d" compression="gzip"/>
  </targets>
  <notifications>
    <email to="ops@example.com" on="failure"/>
  </notifications>
</pipeline>
"""


def generate(root: Path, count: int) -> None:
    for layer in LAYERS:
        (root / f"applications/bench/{layer}/schemas").mkdir(parents=True)
        (root / f"applications/bench/{layer}/pipelines").mkdir(parents=True)
        (root / f"applications/bench/{layer}/schemas/orders.avsc").write_text(SCHEMA)
    (root / "common/schemas").mkdir(parents=True)
    (root / "common/lookups").mkdir(parents=True)
    (root / "common/schemas/customers.json").write_text(CUSTOMERS)
    (root / "common/lookups/country_dim.csv").write_text("country_code,country_name\nDE,Germany\n")
    ids = []
    for n in range(count):
        layer = LAYERS[n % 3]
        pid = f"orders_{n:05d}"
        ids.append(pid)
        text = PIPELINE.format(id=pid, n=n, layer=layer, minute=n % 60)
        (root / f"applications/bench/{layer}/pipelines/{pid}.xml").write_text(text)
    refs = "".join(
        f'<pipelineRef id="{pid}"' + (f' dependsOn="{ids[i - 1]}"' if i else "") + "/>"
        for i, pid in enumerate(ids[:50])
    )
    (root / "applications/bench/service/jobs").mkdir(parents=True)
    (root / "applications/bench/service/jobs/bench_job.xml").write_text(
        f'<jobPipeline id="bench_job" version="1.0"><pipelines>{refs}</pipelines></jobPipeline>'
    )


def measure(root: Path) -> list[tuple[str, int, float, int]]:
    files = DirectoryFileSource(root)
    paths = definition_paths(files)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

    start = time.perf_counter()
    for path in paths:
        etree.fromstring(files.read(path), parser)
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    for path in paths:
        parse(files.read(path), path)
    parsing = time.perf_counter() - start

    start = time.perf_counter()
    report = validate(DirectoryFileSource(root))
    validating = time.perf_counter() - start
    problems = len(report.problems)
    return [
        ("baseline: read + lxml parse", len(paths), baseline, 0),
        ("parse (harden + XSD + model + rules)", len(paths), parsing, 0),
        ("validate (all rules, cross-file)", report.files_checked, validating, problems),
    ]


def median_seconds(data: bytes, repeat: int) -> tuple[float, int]:
    """(median seconds of ``parse_with_problems``, problems found)."""
    from spark_runner.definition.parser import parse_with_problems

    times, problems = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        _, problems = parse_with_problems(data, "bench.xml")
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(problems)


def limit_documents() -> list[tuple[str, bytes, int]]:
    ordinary = PIPELINE.format(id="orders", n=1, layer="staging", minute=5)
    attributes = " ".join(f'a{i}="v"' for i in range(5000))
    many = ordinary.replace('<csv id="orders"', f'<csv id="orders" {attributes}', 1)
    more = " ".join(f'a{i}="v"' for i in range(50000))
    flood = ordinary.replace('<csv id="orders"', f'<csv id="orders" {more}', 1)
    padding = 4 * 1024 * 1024 - len(ordinary) - len("<!--  -->\n")
    big = f"<!-- {'x' * padding} -->\n{ordinary}"
    return [
        ("baseline: an ordinary pipeline document", ordinary.encode(), 50),
        ("5,000 attributes on one element", many.encode(), 20),
        ("50,000 attributes on one element", flood.encode(), 5),
        ("4 MB document (ordinary + padding)", big.encode(), 5),
    ]


def limits() -> None:
    print("\nbounded validation cost: parse() of one document, median")
    print(f"{'case':<42} {'bytes':>9} {'seconds':>9} {'x baseline':>11} {'problems':>9}")
    baseline = None
    for name, data, repeat in limit_documents():
        seconds, problems = median_seconds(data, repeat)
        baseline = baseline or seconds
        print(
            f"{name:<42} {len(data):>9} {seconds:>9.4f} {seconds / baseline:>11.1f} {problems:>9}"
        )


def table(title: str, rows) -> None:
    baseline = rows[0][2]
    print(f"\n{title}")
    print(
        f"{'case':<40} {'files':>6} {'seconds':>9} {'files/s':>10} {'x baseline':>11} {'errors':>7}"
    )
    for name, count, seconds, problems in rows:
        rate = count / seconds if seconds else float("inf")
        print(
            f"{name:<40} {count:>6} {seconds:>9.3f} {rate:>10.0f} {seconds / baseline:>11.1f}"
            f" {problems:>7}"
        )


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--files", type=int, default=1000)
    arguments.add_argument("--limits-only", action="store_true")
    options = arguments.parse_args()
    start = time.perf_counter()
    for root in ("pipeline", "jobPipeline"):
        compiled(root)
        _fast(root)
    print(f"XSD compile (once per process): {time.perf_counter() - start:.3f} s")
    limits()
    if options.limits_only:
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, options.files)
        table(f"generated repository ({options.files} pipelines + 1 job)", measure(root))
    demo = Path(__file__).resolve().parents[1] / "demo" / "config"
    if (demo / "applications").is_dir():
        table(f"demo repository ({demo})", measure(demo))
    else:
        print(f"\n(no demo repository at {demo}; skipped)")


if __name__ == "__main__":
    main()

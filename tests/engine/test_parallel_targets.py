"""Targets staged side by side (``RunContext.parallel_targets``, spark_runner/engine/parallel.py):
the same rows, counts and all-or-nothing commit as one by one; a failure is located at its target
and cancels the jobs staging beside it; every staging job carries the run's job group, so an
operator's cancel reaches it."""

import contextvars
import threading
import time
from pathlib import Path

import pytest

from spark_runner.engine import parallel
from spark_runner.engine.masking.vault import read_vault
from spark_runner.engine.run import run_pipeline
from tests.engine.helpers import Workspace, read_csv_dir, rows

pytestmark = pytest.mark.spark

SECRET = "parallel-targets-mask-key-0123456789abcdef"
ORDERS = "id,customer,amount\n1,ann@x.org,10\n2,bob@x.org,20\n2,bob@x.org,20\n3,,30\n"


def _workspace(spark, tmp_path):
    ws = Workspace(spark, tmp_path, env={"HUB_SECRET_SHOP_MASK_KEY": SECRET})
    ws.file("in/orders.csv", ORDERS)
    return ws


def _pipeline(ws, table, second_table):
    # "orders" after the dedupe is read by three targets: a shared, cached frame
    return ws.pipeline(
        '<sources><csv id="orders" path="in/orders.csv"/></sources>'
        "<transformations>"
        '<deduplicate source="orders" keys="id" keep="first"/>'
        '<mask source="orders" columns="customer" strategy="tokenize" secretRef="shop.mask-key"/>'
        "</transformations>"
        f'<targets><hive table="{table}" mode="overwrite"/>'
        f'<hive table="{second_table}" mode="overwrite"/>'
        '<csv path="out/orders" mode="overwrite"/></targets>',
        pid=table.replace(".", "_"),
    )


def _run(ws, pipeline, workers, **kw):
    ctx = ws.context(**kw)
    ctx.parallel_targets = workers
    return run_pipeline(pipeline, ctx), ctx


def test_side_by_side_writes_what_one_by_one_writes_with_the_same_counts(spark, tmp_path):
    outcomes = []
    for workers in (1, 4):
        ws = _workspace(spark, tmp_path / f"w{workers}")
        pipeline = _pipeline(ws, f"par.one_{workers}", f"par.two_{workers}")
        result, ctx = _run(ws, pipeline, workers)
        assert result.ok, result.error
        table = rows(spark.table(f"par.one_{workers}"), "id", "customer", "amount")
        assert table == rows(spark.table(f"par.two_{workers}"), "id", "customer", "amount")
        export = rows(read_csv_dir(spark, ws.app_root / "out/orders"), "id", "customer", "amount")
        vault = read_vault(spark, ctx.vault_path())
        outcomes.append(
            (
                table,
                export,
                [(s.tag, s.rows_in, s.rows_out) for s in result.steps],
                [t.rows_written for t in result.targets],
                vault.count(),
            )
        )
    one_by_one, side_by_side = outcomes
    assert side_by_side == one_by_one
    steps, written, vault_entries = one_by_one[2:]
    assert steps == [("deduplicate", 4, 3), ("mask", 3, 3)]
    assert written == [3, 3, 3]
    assert vault_entries == 2  # two distinct e-mails; the empty one is null, not a token
    assert [r[0] for r in one_by_one[0]] == ["1", "2", "3"]


def test_a_failing_target_is_named_and_nothing_is_committed(spark, tmp_path):
    ws = _workspace(spark, tmp_path)
    pipeline = _pipeline(ws, "par.keep_one", "par.keep_two")
    first, ctx = _run(ws, pipeline, 4)
    assert first.ok, first.error
    before = {
        "one": rows(spark.table("par.keep_one"), "id", "customer", "amount"),
        "csv": sorted(p.name for p in (ws.app_root / "out/orders").iterdir()),
        "vault": sorted(p.name for p in Path(ctx.vault_path()).iterdir()),
    }
    # The second table does not fit the data: its staging fails while the others stage.
    spark.sql("CREATE TABLE par.misfit (id STRING, other STRING) USING parquet")
    ws.file("in/orders.csv", ORDERS + "4,new@x.org,40\n")
    failed, _ = _run(ws, _pipeline(ws, "par.keep_one", "par.misfit"), 4)
    assert not failed.ok
    assert failed.error.where == "target hive par.misfit"
    assert failed.error.category == "schema_mismatch"
    assert rows(spark.table("par.keep_one"), "id", "customer", "amount") == before["one"]
    assert sorted(p.name for p in (ws.app_root / "out/orders").iterdir()) == before["csv"]
    # the new e-mail's vault entry was staged, then dropped with the run
    assert sorted(p.name for p in Path(ctx.vault_path()).iterdir()) == before["vault"]


def test_every_staging_job_carries_the_runs_job_group(spark, tmp_path):
    ws = _workspace(spark, tmp_path)
    pipeline = _pipeline(ws, "par.group_one", "par.group_two")
    tracker = spark.sparkContext.statusTracker()
    group = "parallel-group-test"
    ctx = ws.context(run_id=group)
    ctx.parallel_targets = 4
    store = spark.sparkContext._jsc.sc().statusStore()
    before = store.jobsList(None).size()
    result = run_pipeline(pipeline, ctx)
    assert result.ok, result.error
    ran = store.jobsList(None).size() - before
    assert ran > 3
    assert len(tracker.getJobIdsForGroup(group)) == ran


def test_tasks_after_a_failure_are_skipped_and_results_keep_their_order(spark):
    started = []
    gate, slow_started = threading.Event(), threading.Event()

    def slow():
        started.append("slow")
        slow_started.set()
        gate.wait(5)

    def broken():
        slow_started.wait(5)
        started.append("broken")
        gate.set()
        raise ValueError("boom")

    def late():
        started.append("late")

    errors = parallel.run_side_by_side(spark, [slow, broken, late], workers=2)
    assert errors[0] is None
    assert isinstance(errors[1], ValueError)
    assert isinstance(errors[2], parallel.Skipped)
    assert not isinstance(errors[2], parallel.Cancelled)
    assert "late" not in started


def test_a_failure_cancels_the_spark_jobs_running_beside_it(spark):
    # Without the cancel, the slow task's job (10^13 rows summed) would run for hours.
    tracker = spark.sparkContext.statusTracker()
    slow_running = threading.Event()

    def slow():
        threading.Thread(target=_when_a_job_runs, args=(tracker, slow_running)).start()
        spark.range(0, 10**13, numPartitions=2).selectExpr("sum(id % 7)").collect()

    def broken():
        assert slow_running.wait(60), "the slow job never started"
        raise ValueError("boom")

    def late():
        spark.range(0, 10**13, numPartitions=2).selectExpr("sum(id % 7)").collect()

    # Should the cancel regress, this one ends the jobs so the test fails instead of hanging.
    backstop = threading.Timer(90, spark.sparkContext.cancelAllJobs)
    backstop.start()
    started = time.monotonic()
    try:
        errors = parallel.run_side_by_side(spark, [slow, broken, late], workers=2)
    finally:
        backstop.cancel()
    assert time.monotonic() - started < 80
    assert isinstance(errors[1], ValueError)
    assert isinstance(errors[0], parallel.Cancelled) and "cancel" in str(errors[0].__cause__)
    assert isinstance(errors[2], parallel.Skipped)
    assert not tracker.getActiveJobsIds()
    # the tag is this call's threads' alone: the caller's next job runs
    assert spark.range(3).count() == 3


def _when_a_job_runs(tracker, event):
    deadline = time.monotonic() + 60
    while not tracker.getActiveJobsIds() and time.monotonic() < deadline:
        time.sleep(0.05)
    event.set()


def test_tasks_see_the_callers_context_and_spark_properties(spark):
    marker = contextvars.ContextVar("marker", default="unset")
    marker.set("run-42")
    sc = spark.sparkContext
    sc.setLocalProperty("hub.test.property", "from-the-caller")
    seen = []

    def task():
        time.sleep(0.05)
        seen.append((marker.get(), sc.getLocalProperty("hub.test.property")))

    try:
        assert parallel.run_side_by_side(spark, [task, task], workers=2) == [None, None]
    finally:
        sc.setLocalProperty("hub.test.property", None)
    assert seen == [("run-42", "from-the-caller")] * 2


def test_writes_sharing_a_frame_not_computed_yet_go_one_after_another():
    from spark_runner.definition import parse
    from spark_runner.engine.datasets import frames_below, shared_frames
    from spark_runner.engine.targets_phase import _sharing

    xml = b"""<pipeline id="p" version="1.0" layer="staging">
      <sources><csv id="a" path="a.csv"/><csv id="b" path="b.csv"/>
        <csv id="c" path="c.csv" loadPolicy="eager"/></sources>
      <transformations>
        <deduplicate source="a" keys="id"/>
        <mask source="c" columns="mail" strategy="tokenize"/>
      </transformations>
      <targets>
        <hive table="s.a1" source="a"/><csv path="a2" source="a"/>
        <hive table="s.b1" source="b"/>
        <hive table="s.c1" source="c"/><csv path="c2" source="c"/>
      </targets></pipeline>"""
    pipeline = parse(xml, "applications/shop/staging/pipelines/p.xml")
    targets, vault = frames_below(pipeline)
    assert targets[0] == {("a", 0), ("a", 1)}
    assert vault == {("c", 0)}
    cached = shared_frames(pipeline) - {("c", 0)}  # an eager source is computed when read
    assert cached == {("a", 1), ("c", 1)}
    # a1 and a2 share the deduplicated a (cached, not computed yet): one after another; the
    # masked c too; b alone; the vault reads only the eager c: side by side with them
    assert _sharing([*targets, vault], cached) == [[0, 1], [2], [3, 4], [5]]

"""Failure injection for Hive targets, cancellation, and located, redacted errors."""

import threading
import time

import pytest

from spark_runner.engine import cancel_run
from spark_runner.engine.errors import condense, redact
from tests.engine.helpers import Workspace, rows

pytestmark = pytest.mark.spark

SALES = "id,day,amount\n1,2024-03-01,10\n2,2024-03-02,20\n"


def test_a_failed_run_leaves_hive_tables_as_they_were(spark, tmp_path):
    # given: two tables written by a first run
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES)
    targets = (
        '<hive table="fail_t.by_day" mode="overwrite" partitionBy="day"/>'
        '<hive table="fail_t.whole" mode="overwrite"/>'
    )
    first = ws.pipeline(
        f'<sources><csv id="s" path="in/sales.csv"/></sources><targets>{targets}</targets>'
    )
    assert ws.run(first).ok
    # when: new data, and a third target that fails after the two Hive tables were staged
    ws.file("in/sales.csv", "id,day,amount\n1,2024-03-01,99\n3,2024-03-03,30\n")
    ws.file("blocked", "not a folder")
    second = ws.pipeline(
        '<sources><csv id="s" path="in/sales.csv"/></sources>'
        f'<targets>{targets}<csv path="blocked/x"/></targets>'
    )
    result = ws.run(second)
    # then
    assert result.status == "failed"
    assert result.error.where == "target csv blocked/x"
    expected = [("1", "2024-03-01", "10"), ("2", "2024-03-02", "20")]
    assert rows(spark.table("fail_t.by_day"), "id", "day", "amount") == expected
    assert rows(spark.table("fail_t.whole"), "id", "day", "amount") == expected
    # and data that does not fit the existing table fails at that target, table untouched
    ws.file("in/sales.csv", "id,day\n5,2024-03-05\n")
    misfit = ws.run(second)
    assert (misfit.error.category, misfit.error.where) == (
        "schema_mismatch",
        "target hive fail_t.by_day",
    )
    assert "amount" in misfit.error.message
    assert rows(spark.table("fail_t.by_day"), "id", "day", "amount") == expected


def test_cancel_run_stops_a_running_pipeline_and_reports_cancelled(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/n.csv", "n\n" + "\n".join(str(i) for i in range(200_000)) + "\n")
    ws.file("out/n/part-0.csv", "previous\n")
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/n.csv"/></sources>'
        '<transformations><sort source="s" orderBy="n"/></transformations>'
        '<targets><csv path="out/n" compression="bzip2"/></targets>'
    )
    ctx = ws.context(run_id="to-cancel")
    tracker = spark.sparkContext.statusTracker()

    def cancel_once_a_job_runs():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if tracker.getJobIdsForGroup("to-cancel"):
                cancel_run(spark, "to-cancel")
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=cancel_once_a_job_runs, daemon=True)
    watcher.start()
    from spark_runner.engine import run_pipeline

    started = time.monotonic()
    result = run_pipeline(pipeline, ctx)
    watcher.join(timeout=5)
    if result.ok:  # pragma: no cover - the machine outran the timer
        pytest.skip(f"the run finished in {time.monotonic() - started:.1f}s, before the cancel")
    assert result.status == "cancelled"
    assert result.error.category == "cancelled"
    assert (ws.app_root / "out/n/part-0.csv").read_text() == "previous\n"
    # the session still works for the next run
    assert spark.range(3).count() == 3


def test_errors_are_condensed_to_one_line_and_secrets_are_removed(spark):
    try:
        spark.sql("SELECT no_such_column FROM range(1)").collect()
    except Exception as exc:
        message, _trace = condense(exc)
    assert "\n" not in message
    assert "no_such_column" in message
    text = "jdbc:postgresql://h/db?user=a&password=s3cret failed for etl:hunter22@h"
    assert (
        redact(text, ["hunter22"])
        == "jdbc:postgresql://h/db?user=a&password=*** failed for etl:***@h"
    )

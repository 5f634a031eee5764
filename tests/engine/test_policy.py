"""The engine under a data policy (``RunContext.policy``): a run that reaches outside it fails with
category ``policy`` before it reads or writes anything; one that stays inside runs."""

import os

import pytest

from spark_runner.definition.policy import Connection, DataPolicy, HiveDatabase
from spark_runner.engine import run_pipeline
from tests.engine.helpers import Workspace, read_csv_dir, rows

pytestmark = pytest.mark.spark

KEY = "shop-mask-key-0123456789abcdef0123456789"


@pytest.fixture
def ws(spark, tmp_path):
    workspace = Workspace(
        spark, tmp_path, app="shop", env={"HUB_SECRET_SHOP_KEY": KEY, "HUB_SECRET_OTHER": KEY}
    )
    workspace.file("raw/a.csv", "id,email\n1,a@x.com\n2,b@x.com\n")
    return workspace


def _run(ws, pipeline, **policy):
    return run_pipeline(pipeline, ws.context(policy=DataPolicy("shop", str(ws.data), **policy)))


def test_a_symbolic_link_out_of_the_folder_fails_the_run_before_anything_is_written(ws, tmp_path):
    secret = tmp_path / "elsewhere" / "b.csv"
    secret.parent.mkdir()
    secret.write_text("id,email\n9,secret@x.com\n")
    os.symlink(secret, ws.app_root / "raw" / "b.csv")
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="raw/*.csv"/></sources>'
        '<targets><csv path="out/s" mode="overwrite"/></targets>'
    )

    result = _run(ws, pipeline)

    assert result.status == "failed"
    assert (result.error.category, result.error.where) == ("policy", "source s")
    assert str(secret) in result.error.message
    assert not (ws.app_root / "out").exists()


def test_secrets_of_other_applications_are_not_handed_out_even_without_validation(ws):
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="raw/a.csv"/></sources>'
        '<transformations><mask source="s" columns="email" strategy="hash" secretRef="other"/>'
        '</transformations><targets><csv path="out/s" mode="overwrite"/></targets>'
    )
    confined = DataPolicy("shop", str(ws.data))
    # what validation would have said; the engine's door must hold on its own
    assert confined.problems(pipeline)

    from spark_runner.engine.secrets import ScopedSecrets

    scoped = ScopedSecrets(ws.context().secrets, confined)
    with pytest.raises(Exception, match="does not belong to application shop"):
        scoped.get("other")
    result = _run(ws, pipeline)

    assert result.error.category == "policy"
    assert not (ws.app_root / "out").exists()


def test_a_hive_target_outside_the_owned_databases_is_refused_and_not_created(ws, spark):
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="raw/a.csv"/></sources>'
        '<targets><hive table="finance_std.stolen" mode="overwrite"/></targets>'
    )

    result = _run(ws, pipeline)

    assert (result.error.category, result.error.where) == (
        "policy",
        "target hive finance_std.stolen",
    )
    assert "finance_std" not in [d.name for d in spark.catalog.listDatabases()]


def test_a_run_inside_its_policy_succeeds(ws, spark):
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="raw/*.csv"/></sources>'
        '<transformations><mask source="s" columns="email" strategy="hash" secretRef="shop.key"/>'
        '</transformations><targets><csv path="out/s" mode="overwrite"/>'
        '<hive table="shop_std.masked" mode="overwrite"/></targets>'
    )

    result = _run(
        ws,
        pipeline,
        connections=(Connection("postgresql", "db", 5432, "x", "crm.login"),),
        hive_databases=(HiveDatabase("reference", read_only=True),),
    )

    assert result.status == "succeeded", result.error
    written = read_csv_dir(spark, ws.app_root / "out" / "s")
    assert [r[0] for r in rows(written, "id")] == ["1", "2"]
    assert {r[0] for r in rows(written, "email")}.isdisjoint({"a@x.com", "b@x.com"})
    assert spark.table("shop_std.masked").count() == 2

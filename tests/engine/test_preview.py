"""Preview of a pipeline on a sample (spark_runner/engine/preview.py): limited sources, rows
in/out per step, the selected step's rows, targets' would-be output, never a write, the data
policy as a run has it, the time budget, the mask side by side."""

import psycopg
import pytest

from spark_runner.definition.policy import Connection, DataPolicy
from spark_runner.engine.preview import PreviewLimits, preview_pipeline
from tests.engine.helpers import JDBC, Workspace

pytestmark = pytest.mark.spark

KEY = "shop-mask-key-0123456789abcdef0123456789"
THREE_STEPS = (
    '<sources><csv id="s" path="raw/people.csv"/></sources>'
    "<transformations>"
    '<deduplicate source="s" keys="id"/>'
    '<mask source="s" columns="email" strategy="hash" secretRef="shop.key"/>'
    '<sort source="s" orderBy="id"/>'
    "</transformations>"
)
OUT = '<targets><csv path="out/p" mode="overwrite"/></targets>'


@pytest.fixture
def ws(spark, tmp_path):
    workspace = Workspace(spark, tmp_path, app="shop", env={"HUB_SECRET_SHOP_KEY": KEY})
    lines = ["id,email,city"] + [f"{i % 40},p{i}@x.com,c{i % 3}" for i in range(60)]
    workspace.file("raw/people.csv", "\n".join(lines) + "\n")
    return workspace


def _policy(ws, **extra):
    return DataPolicy("shop", str(ws.data), **extra)


def test_a_step_preview_counts_rows_per_step_on_the_sample_and_shows_the_step_output(ws):
    pipeline = ws.pipeline(THREE_STEPS + OUT)
    limits = PreviewLimits(rows_per_source=50, output_rows=5)

    result = preview_pipeline(pipeline, ws.context(policy=_policy(ws)), step=1, limits=limits)

    assert result.status == "ok", result.error
    assert result.sources == [{"id": "s", "kind": "csv", "rows": 50}]
    assert [(s["index"], s["tag"], s["rows_in"], s["rows_out"]) for s in result.steps] == [
        (1, "deduplicate", 50, 40)
    ]
    assert result.selected["columns"] == [
        ["id", "string"],
        ["email", "string"],
        ["city", "string"],
    ]
    assert len(result.selected["rows"]) == 5
    assert result.targets == []


def test_a_whole_preview_shows_each_target_and_writes_nothing(ws):
    pipeline = ws.pipeline(
        THREE_STEPS + '<targets><csv path="out/p" mode="overwrite"/>'
        '<hive table="shop.people" mode="overwrite"/></targets>'
    )

    result = preview_pipeline(
        pipeline, ws.context(policy=_policy(ws)), limits=PreviewLimits(target_rows=3)
    )

    assert result.status == "ok", result.error
    assert [s["rows_out"] for s in result.steps] == [40, 40, 40]
    assert [(t["kind"], t["name"], t["rows_out"]) for t in result.targets] == [
        ("csv", "out/p", 40),
        ("hive", "shop.people", 40),
    ]
    assert result.targets[0]["rows"][0][0] == "0"  # sorted
    assert len(result.targets[1]["rows"]) == 3
    assert not (ws.app_root / "out").exists()
    assert not (ws.app_root / "_vault").exists()
    assert not ws.spark.catalog.tableExists("shop.people")


def test_a_mask_preview_shows_the_original_beside_the_masked_value_only_when_revealed(ws):
    pipeline = ws.pipeline(THREE_STEPS + OUT)
    ctx = ws.context(policy=_policy(ws))

    shown = preview_pipeline(pipeline, ctx, step=2, reveal=True)
    hidden = preview_pipeline(pipeline, ws.context(policy=_policy(ws)), step=2)

    assert shown.status == hidden.status == "ok"
    before, after = shown.mask["rows"][0]["email"]
    assert before.endswith("@x.com") and len(after) == 64 and "@" not in after
    assert hidden.mask["revealed"] is False
    assert all(row["email"][0] is None for row in hidden.mask["rows"])
    assert "@x.com" not in repr(hidden.to_dict())
    # the step's output is the masked frame, without the copies
    assert [c for c, _ in shown.selected["columns"]] == ["id", "email", "city"]


def test_a_preview_reaching_outside_the_data_policy_fails_before_reading(ws, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.csv").write_text("id\n1\n")
    pipeline = ws.pipeline(f'<sources><csv id="s" path="{outside}/x.csv"/></sources>' + OUT)

    result = preview_pipeline(pipeline, ws.context(policy=_policy(ws)), source="s")

    assert result.status == "failed"
    assert (result.error["category"], result.error["where"]) == ("policy", "source s")
    assert result.selected is None


def test_a_target_outside_the_policy_fails_the_preview_as_it_would_the_run(ws):
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="raw/people.csv"/></sources>'
        '<targets><hive table="other.people" mode="overwrite"/></targets>'
    )

    result = preview_pipeline(pipeline, ws.context(policy=_policy(ws)), source="s")

    assert result.status == "failed"
    assert result.error["category"] == "policy"


def test_an_unknown_column_names_the_step(ws):
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="raw/people.csv"/></sources>'
        '<transformations><sort source="s" orderBy="contry"/></transformations>' + OUT
    )

    result = preview_pipeline(pipeline, ws.context(policy=_policy(ws)), step=1)

    assert result.status == "failed"
    assert result.error["where"] == "step 1 (sort)"
    assert "contry" in result.error["message"]
    assert result.sources == [{"id": "s", "kind": "csv", "rows": 60}]  # read before it failed


def test_a_preview_over_its_budget_says_it_was_cut_short(ws):
    pipeline = ws.pipeline(THREE_STEPS + OUT)

    result = preview_pipeline(
        pipeline, ws.context(policy=_policy(ws)), step=3, limits=PreviewLimits(seconds=0.0)
    )

    assert result.status == "cut_short"
    assert "cut short" in result.error["message"]


def _scratch_table(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS preview_rows;"
            "CREATE TABLE preview_rows AS SELECT g AS id, 'n' || g AS name"
            " FROM generate_series(1, 500) g"
        )


def test_a_database_source_is_sampled_with_the_limit_in_the_query(ws, scratch_db):
    _scratch_table(scratch_db)
    pipeline = ws.pipeline(
        f'<sources><database id="d" jdbcUrl="{JDBC}" userSecretRef="shop.db">'
        "<sql>SELECT * FROM preview_rows</sql></database></sources>" + OUT
    )
    ws.env["HUB_SECRET_SHOP_DB"] = "postgres:"
    host, port, name = "127.0.0.1", 5432, JDBC.rsplit("/", 1)[-1]
    policy = _policy(ws, connections=(Connection("postgresql", host, port, name, "shop.db"),))

    result = preview_pipeline(
        pipeline, ws.context(policy=policy), source="d", limits=PreviewLimits(rows_per_source=7)
    )

    assert result.status == "ok", result.error
    assert result.sources == [{"id": "d", "kind": "database", "rows": 7}]
    assert result.selected["columns"] == [["id", "int"], ["name", "string"]]


def test_a_database_the_application_may_not_use_is_never_connected_to(ws, scratch_db):
    pipeline = ws.pipeline(
        f'<sources><database id="d" jdbcUrl="{JDBC}" userSecretRef="shop.db">'
        "<sql>SELECT * FROM preview_rows</sql></database></sources>" + OUT
    )
    ws.env["HUB_SECRET_SHOP_DB"] = "postgres:"

    result = preview_pipeline(pipeline, ws.context(policy=_policy(ws)), source="d")

    assert result.status == "failed"
    assert result.error["category"] == "policy"


@pytest.mark.parametrize(
    "target",
    [
        '<hive table="other.people" mode="overwrite"/>',
        f'<database id="crm" jdbcUrl="{JDBC}" userSecretRef="shop.db" mode="append">'
        '<table name="public.people"/></database>',
        '<csv path="/elsewhere/people" mode="overwrite"/>',
    ],
    ids=["hive", "database", "csv"],
)
def test_each_storage_kind_checks_its_target_for_the_output_and_the_preview_alike(ws, target):
    from spark_runner.definition.policy import PolicyViolation
    from spark_runner.engine import storage
    from spark_runner.engine.run_state import RunState

    pipeline = ws.pipeline(
        f'<sources><csv id="s" path="raw/people.csv"/></sources><targets>{target}</targets>'
    )
    (element,) = pipeline.targets
    kind = storage.kind_of(element)
    state = RunState(pipeline, ws.context(policy=_policy(ws)), where=kind.target_where(element))

    with pytest.raises(PolicyViolation):
        kind.check_target(element, state)
    with pytest.raises(PolicyViolation):
        kind.output(element, None, state)  # refused before anything is staged
    kind.check_target(element, RunState(pipeline, ws.context(policy=None)))  # no policy: no check

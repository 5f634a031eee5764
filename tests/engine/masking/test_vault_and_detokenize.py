import json
import os

import pytest

from spark_runner.definition.model import Mask
from spark_runner.engine.masking.detokenize import DetokenizeRefused, detokenize
from spark_runner.engine.masking.vault import TokenVault, read_vault
from spark_runner.engine.transformations.mask import apply
from tests.engine.masking.conftest import MASK_SECRET, OTHER_SECRET

pytestmark = pytest.mark.spark

PEOPLE = [
    (1, "Zoë", "zoe@example.org"),
    (2, "東京", None),
    (3, "🙂", "zoe@example.org"),
    (4, None, None),
]


def tokenize(spark, ctx, data=PEOPLE):
    df = spark.createDataFrame(data, "id int, name string, email string")
    step = Mask(
        source="people", columns=("name", "email"), strategy="tokenize", secret_ref="mask.key"
    )
    return apply(step, {"people": df}, ctx)


def test_tokens_round_trip_through_the_vault_with_an_audit_line(spark, ctx, vault_path, tmp_path):
    # given a tokenized dataset whose vault entries were written at commit
    masked = tokenize(spark, ctx).collect()
    assert ctx.vault.write(spark) == 4
    assert ctx.vault.pending == []
    tokens = [masked[0].name, masked[0].email, masked[1].name, masked[2].name, "tok_unknown"]
    audit = tmp_path / "audit" / "detokenize.jsonl"
    # when
    originals = detokenize(
        spark,
        vault_path,
        tokens,
        MASK_SECRET,
        actor="ops@example.org",
        reason="INC-42",
        audit_log_path=audit,
    )
    # then
    assert originals == {
        masked[0].name: "Zoë",
        masked[0].email: "zoe@example.org",
        masked[1].name: "東京",
        masked[2].name: "🙂",
        "tok_unknown": None,
    }
    (line,) = audit.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry.pop("at")
    assert entry == {
        "action": "detokenize",
        "actor": "ops@example.org",
        "reason": "INC-42",
        "vault": vault_path,
        "tokens_requested": 5,
        "tokens_found": 4,
        "outcome": "ok",
    }
    for value in ("Zoë", "zoe@example.org", "東京", "🙂", MASK_SECRET):
        assert value not in line


def test_the_vault_holds_ciphertexts_not_values(spark, ctx, vault_path):
    tokenize(spark, ctx)
    ctx.vault.write(spark)
    stored = " ".join(f"{r.token} {r.ciphertext}" for r in read_vault(spark, vault_path).collect())
    for value in ("Zoë", "zoe@example.org", "東京", "🙂", MASK_SECRET):
        assert value not in stored


def test_a_second_run_writes_only_new_tokens(spark, ctx, vault_path):
    tokenize(spark, ctx)
    assert ctx.vault.write(spark) == 4
    # a new run with one new value and the old ones again
    again = TokenVault(vault_path)
    ctx2 = type(ctx)(secrets=ctx.secrets, load_lookup=ctx.load_lookup, vault=again, run_id="run-2")
    tokenize(spark, ctx2, data=[(5, "Zoë", "new@example.org")])
    assert again.write(spark) == 1
    assert read_vault(spark, vault_path).count() == 5


def test_writing_an_empty_vault_writes_nothing(spark, ctx, vault_path):
    assert ctx.vault.write(spark) == 0
    tokenize(spark, ctx, data=[(1, None, None)])
    assert ctx.vault.write(spark) == 0
    assert read_vault(spark, vault_path) is None


def test_a_failed_vault_write_leaves_nothing_visible(spark, ctx, vault_path):
    from pyspark.sql import functions as F

    def explode(value):
        raise RuntimeError("disk on fire")

    failing = spark.createDataFrame([("tok_a", "x")], "token string, ciphertext string")
    failing = failing.withColumn(
        "ciphertext", F.udf(explode, "string", useArrow=False)("ciphertext")
    )
    ctx.vault.record(failing)
    with pytest.raises(Exception, match="disk on fire"):
        ctx.vault.write(spark)
    assert read_vault(spark, vault_path) is None
    left = os.listdir(vault_path) if os.path.exists(vault_path) else []
    assert [n for n in left if n.startswith("_staging")] == []


def test_the_wrong_key_is_refused_and_audited(spark, ctx, vault_path, tmp_path):
    token = tokenize(spark, ctx).collect()[0].name
    ctx.vault.write(spark)
    audit = tmp_path / "audit.jsonl"
    with pytest.raises(DetokenizeRefused, match="the key does not open"):
        detokenize(spark, vault_path, [token], OTHER_SECRET, "ops", "INC-1", audit)
    entry = json.loads(audit.read_text())
    assert (entry["outcome"], entry["tokens_requested"], entry["tokens_found"]) == ("refused", 1, 0)


def test_detokenize_needs_an_actor_and_a_reason(spark, vault_path, tmp_path):
    audit = tmp_path / "audit.jsonl"
    with pytest.raises(DetokenizeRefused, match="needs a reason"):
        detokenize(spark, vault_path, ["tok_x"], MASK_SECRET, "ops", " ", audit)
    with pytest.raises(DetokenizeRefused, match="needs the actor"):
        detokenize(spark, vault_path, ["tok_x"], MASK_SECRET, "", "INC-1", audit)
    assert len(audit.read_text().splitlines()) == 2


def test_detokenize_on_a_vault_never_written_finds_nothing(spark, vault_path, tmp_path):
    result = detokenize(
        spark, vault_path, ["tok_x"], MASK_SECRET, "ops", "INC-1", tmp_path / "a.jsonl"
    )
    assert result == {"tok_x": None}

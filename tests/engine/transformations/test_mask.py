import base64
import hashlib
import hmac

import pytest

from spark_runner.definition.model import Mask
from spark_runner.engine.masking.crypto import decrypt_value
from spark_runner.engine.registry import StepContext, StepError
from spark_runner.engine.transformations.mask import apply
from tests.engine.transformations.conftest import MASK_SECRET, OTHER_SECRET
from tests.engine.transformations.rows import rows, wide_schema

pytestmark = pytest.mark.spark

PEOPLE = [(1, "Zoë", "zoe@example.org"), (2, "東京", None), (3, "🙂", "zoe@example.org")]
SCHEMA = "id int, name string, email string"


def hkdf(secret, purpose):
    """RFC 5869 (SHA-256, no salt, one block), written independently of the code under test."""
    prk = hmac.new(b"\0" * 32, secret.encode(), hashlib.sha256).digest()
    return hmac.new(prk, b"datahub-mask/" + purpose.encode() + b"\x01", hashlib.sha256).digest()


def hmac_hex(secret, purpose, value):
    return hmac.new(hkdf(secret, purpose), value.encode(), hashlib.sha256).hexdigest()


def token(secret, value):
    return "tok_" + hmac_hex(secret, "token", value)


def mask(
    spark,
    ctx,
    strategy,
    columns=("name", "email"),
    data=PEOPLE,
    schema=SCHEMA,
    secret_ref="mask.key",
):
    df = spark.createDataFrame(data, schema)
    step = Mask(source="people", columns=columns, strategy=strategy, secret_ref=secret_ref)
    return apply(step, {"people": df}, ctx)


def test_redact_replaces_values_and_keeps_nulls(spark, ctx):
    result = mask(spark, ctx, "redact", secret_ref=None)
    assert result.columns == ["id", "name", "email"]
    assert rows(result) == [
        (1, "***REDACTED***", "***REDACTED***"),
        (2, "***REDACTED***", None),
        (3, "***REDACTED***", "***REDACTED***"),
    ]


def test_redact_turns_a_number_column_into_text(spark, ctx):
    result = mask(spark, ctx, "redact", columns=("id",), secret_ref=None)
    assert result.schema["id"].dataType.simpleString() == "string"
    assert [r[0] for r in rows(result)] == ["***REDACTED***"] * 3


def test_hash_is_a_keyed_hmac_in_hex_and_keeps_nulls(spark, ctx):
    result = mask(spark, ctx, "hash")
    assert rows(result) == [
        (1, hmac_hex(MASK_SECRET, "hash", "Zoë"), hmac_hex(MASK_SECRET, "hash", "zoe@example.org")),
        (2, hmac_hex(MASK_SECRET, "hash", "東京"), None),
        (3, hmac_hex(MASK_SECRET, "hash", "🙂"), hmac_hex(MASK_SECRET, "hash", "zoe@example.org")),
    ]
    # a bare hash would be guessable: the keyed one is not it
    assert rows(result)[0][1] != hashlib.sha256("Zoë".encode()).hexdigest()


def test_hash_of_a_number_column_hashes_its_text(spark, ctx):
    result = mask(spark, ctx, "hash", columns=("id",))
    assert [r[0] for r in rows(result)] == [
        hmac_hex(MASK_SECRET, "hash", str(i)) for i in (1, 2, 3)
    ]


def test_hash_with_another_key_gives_other_values(spark, ctx):
    mine = rows(mask(spark, ctx, "hash"))
    other = rows(mask(spark, ctx, "hash", secret_ref="other-key"))
    assert other[0][1] == hmac_hex(OTHER_SECRET, "hash", "Zoë")
    assert all(a[1] != b[1] for a, b in zip(mine, other))


def test_tokenize_is_deterministic_and_records_each_distinct_value_in_the_vault(spark, ctx):
    result = mask(spark, ctx, "tokenize")
    zoe, email = token(MASK_SECRET, "Zoë"), token(MASK_SECRET, "zoe@example.org")
    assert rows(result) == [
        (1, zoe, email),
        (2, token(MASK_SECRET, "東京"), None),
        (3, token(MASK_SECRET, "🙂"), email),
    ]
    (entries,) = ctx.vault.pending
    assert entries.columns == ["token", "ciphertext"]
    assert sorted(r.token for r in entries.collect()) == sorted(
        [zoe, email, token(MASK_SECRET, "東京"), token(MASK_SECRET, "🙂")]
    )


def test_tokenize_with_another_key_gives_other_tokens(spark, ctx):
    result = mask(spark, ctx, "tokenize", columns=("name",), secret_ref="other-key")
    assert rows(result)[0] == (1, token(OTHER_SECRET, "Zoë"), "zoe@example.org")
    assert token(OTHER_SECRET, "Zoë") != token(MASK_SECRET, "Zoë")


def test_encrypt_round_trips_with_a_fresh_nonce_per_value(spark, ctx):
    result = rows(mask(spark, ctx, "encrypt"))
    assert [r[0] for r in result] == [1, 2, 3]
    assert result[1][2] is None
    originals = [
        (decrypt_value(MASK_SECRET, r[1]), r[2] and decrypt_value(MASK_SECRET, r[2]))
        for r in result
    ]
    assert originals == [("Zoë", "zoe@example.org"), ("東京", None), ("🙂", "zoe@example.org")]
    # the same e-mail twice: two different ciphertexts
    assert result[0][2] != result[2][2]
    # nonce (12) + "Zoë" in UTF-8 (4) + tag (16)
    assert len(base64.b64decode(result[0][1])) == 32


def test_encrypt_writes_long_values_as_one_line_of_base64(spark, ctx):
    long_text = "東京 " * 2000
    (row,) = rows(mask(spark, ctx, "encrypt", columns=("name",), data=[(1, long_text, None)]))
    assert "\n" not in row[1]
    assert decrypt_value(MASK_SECRET, row[1]) == long_text


def test_no_secret_or_key_appears_in_results_or_the_query_plan(spark, ctx):
    keys = [hkdf(MASK_SECRET, p) for p in ("token", "vault", "hash", "encrypt")]
    forms = [MASK_SECRET]
    for key in keys:
        forms += [key.hex(), base64.b64encode(key).decode(), base64.b32encode(key).decode().lower()]
    for strategy in ("tokenize", "hash", "encrypt"):
        df = mask(spark, ctx, strategy)
        plan = df._jdf.queryExecution().toString()
        text = " ".join(str(v) for row in rows(df) for v in row)
        for form in forms:
            assert form not in text
            assert form not in plan


def test_an_empty_input_keeps_its_columns(spark, ctx):
    for strategy in ("tokenize", "hash", "redact", "encrypt"):
        result = mask(spark, ctx, strategy, data=[])
        assert result.columns == ["id", "name", "email"]
        assert rows(result) == []


def test_a_wide_row_masks_only_the_named_columns(spark, ctx):
    result = mask(
        spark, ctx, "hash", columns=("c199",), data=[tuple(range(200))], schema=wide_schema()
    )
    assert rows(result) == [(*range(199), hmac_hex(MASK_SECRET, "hash", "199"))]


def test_a_missing_secret_is_a_step_error_naming_the_secret_ref(spark, ctx):
    with pytest.raises(StepError) as error:
        mask(spark, ctx, "hash", secret_ref="crm.key")
    assert str(error.value) == (
        'mask: secretRef secret "crm.key" not found: looked in environment variable '
        "HUB_SECRET_CRM_KEY; no secrets file is set (HUB_SECRETS_FILE)"
    )


def test_a_keyed_strategy_without_secret_ref_uses_the_default_masking_secret(spark, ctx):
    with pytest.raises(StepError, match='secret "masking_default" not found'):
        mask(spark, ctx, "encrypt", secret_ref=None)


def test_a_short_secret_is_refused_without_showing_it(spark, ctx):
    from spark_runner.engine.secrets import SecretResolver

    short = StepContext(
        secrets=SecretResolver(None, environ={"HUB_SECRET_WEAK": "hunter2"}),
        load_lookup=ctx.load_lookup,
        vault=ctx.vault,
    )
    with pytest.raises(StepError) as error:
        mask(spark, short, "hash", secret_ref="weak")
    assert "shorter than 16 bytes" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_tokenize_without_a_vault_is_a_step_error(spark, ctx):
    no_vault = StepContext(secrets=ctx.secrets, load_lookup=ctx.load_lookup, vault=None)
    with pytest.raises(StepError, match="tokenize needs a token vault"):
        mask(spark, no_vault, "tokenize")


def test_a_missing_column_is_a_step_error_naming_it(spark, ctx):
    with pytest.raises(StepError, match='mask: column "ssn" not found in dataset "people"'):
        mask(spark, ctx, "redact", columns=("ssn",), secret_ref=None)

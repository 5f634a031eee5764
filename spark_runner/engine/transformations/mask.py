"""``<mask source columns strategy secretRef/>``: mask sensitive columns before anything is written.

- ``redact``: the text ``***REDACTED***``.
- ``hash``: hex HMAC-SHA-256 keyed by the secret (not a bare hash: guessable values stay unguessed).
- ``tokenize``: ``tok_...``, the same token for the same value and key, so joins and counts still
  work. The originals go to the run's token vault, encrypted; only ``detokenize`` gives them back.
- ``encrypt``: AES-256-GCM with a random nonce per value (``decrypt_value`` reverses it).

Nulls stay null. A masked column becomes a string column holding the masked form of the value's
text (``cast`` to string). Keys come from the ``secretRef`` secret through HKDF, one per purpose; no
key or secret appears in the plan, an error or a result (the UDFs carry them in their closures).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from spark_runner.definition.model import Mask
from spark_runner.engine.masking.crypto import (
    MIN_SECRET_BYTES,
    REDACTED,
    derive_key,
    hmac_hex,
    seal,
    seal_for_vault,
    token_for,
)
from spark_runner.engine.registry import StepContext, StepError, transformation
from spark_runner.engine.secrets import SecretMissing
from spark_runner.engine.transformations._columns import col, dataset, resolve

TAG = "mask"
STRATEGIES = ("tokenize", "hash", "redact", "encrypt")


@transformation(TAG)
def apply(step: Mask, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    df = dataset(TAG, datasets, step.source)
    if step.strategy not in STRATEGIES:
        raise StepError(TAG, f'strategy "{step.strategy}" is not one of {", ".join(STRATEGIES)}')
    columns = resolve(TAG, df, step.source, step.columns)
    if step.strategy == "redact":
        mask = _redact
    else:
        secret = _secret(step, ctx)
        if step.strategy == "hash":
            mask = _keyed_udf("hmac_sha256", hmac_hex, derive_key(secret, "hash"))
        elif step.strategy == "encrypt":
            key = derive_key(secret, "encrypt")
            mask = _keyed_udf("aes_gcm", seal, key, deterministic=False)
        else:
            if ctx.vault is None:
                raise StepError(TAG, "tokenize needs a token vault, and this run has none")
            mask = _keyed_udf("tokenize", token_for, derive_key(secret, "token"))
            ctx.vault.record(_vault_entries(df, columns, mask, derive_key(secret, "vault")))
    masked = set(columns)
    return df.select(*[mask(col(c)).alias(c) if c in masked else col(c) for c in df.columns])


def _secret(step: Mask, ctx: StepContext) -> bytes:
    if not step.secret_ref:
        raise StepError(TAG, f'strategy "{step.strategy}" needs secretRef')
    try:
        secret = ctx.secrets.get_bytes(step.secret_ref)
    except SecretMissing as exc:
        raise StepError(TAG, f"secretRef {exc}") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise StepError(
            TAG,
            f'secret "{step.secret_ref}" is shorter than {MIN_SECRET_BYTES} bytes; '
            "use a long random secret",
        )
    return secret


def _redact(column: Column) -> Column:
    return F.when(column.isNull(), F.lit(None).cast(StringType())).otherwise(F.lit(REDACTED))


def _keyed_udf(
    name: str, function: Callable[[bytes, str], str], key: bytes, *, deterministic: bool = True
) -> Callable[[Column], Column]:
    # A plain Python UDF: measured faster here than a pandas_udf (see docs in the report), and
    # the key travels in the closure rather than as a literal in the query plan.
    def masked(value: str | None) -> str | None:
        return None if value is None else function(key, value)

    masked.__name__ = name
    udf = F.udf(masked, StringType(), useArrow=False)
    if not deterministic:
        udf = udf.asNondeterministic()
    return lambda column: udf(column.cast(StringType()))


def _vault_entries(
    df: DataFrame, columns: list[str], tokenize: Callable[[Column], Column], vault_key: bytes
) -> DataFrame:
    def sealed(token: str, value: str) -> str:
        return seal_for_vault(vault_key, token, value)

    sealed.__name__ = "vault_seal"
    seal_udf = F.udf(sealed, StringType(), useArrow=False).asNondeterministic()
    values = reduce(
        DataFrame.unionByName,
        [df.select(col(c).cast(StringType()).alias("value")) for c in columns],
    )
    return (
        values.where(F.col("value").isNotNull())
        .distinct()
        .withColumn("token", tokenize(F.col("value")))
        .select(F.col("token"), seal_udf(F.col("token"), F.col("value")).alias("ciphertext"))
    )

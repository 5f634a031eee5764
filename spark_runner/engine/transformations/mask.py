"""``<mask source columns strategy secretRef/>``: mask sensitive columns before anything is written.

- ``redact``: the text ``***REDACTED***``.
- ``hash``: hex HMAC-SHA-256 keyed by the secret (not a bare hash: guessable values stay unguessed).
- ``tokenize``: ``tok_`` + hex HMAC-SHA-256 under the token key: the same token for the same value
  and key, so joins and counts still work. Each distinct original goes to the run's token vault,
  AES-GCM-encrypted under the vault key and bound to its token; only ``detokenize`` gives it back.
- ``encrypt``: AES-256-GCM with a random nonce per value, ``base64(nonce || ciphertext || tag)``
  (``masking.crypto.decrypt_value`` reverses it).

Nulls stay null. A masked column becomes a string column holding the masked form of the value's
text (``cast`` to string). Keys come from the ``secretRef`` secret through HKDF, one per purpose
(``masking.crypto``); they reach Spark as columns of a broadcast row, never as literals, so no key
or secret appears in a plan, an error or a result (``masking.columns``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from spark_runner.definition.model import DEFAULT_MASKING_SECRET, Mask
from spark_runner.engine.masking.columns import aes_gcm_base64, hmac_sha256_hex, with_keys
from spark_runner.engine.masking.crypto import MIN_SECRET_BYTES, REDACTED, TOKEN_PREFIX, derive_key
from spark_runner.engine.registry import StepContext, StepError, transformation
from spark_runner.engine.secrets import SecretMissing
from spark_runner.engine.transformations._columns import col, dataset, resolve

if TYPE_CHECKING:
    from spark_runner.engine.masking.vault import TokenVault

TAG = "mask"
STRATEGIES = ("tokenize", "hash", "redact", "encrypt")
KEYED = ("tokenize", "hash", "encrypt")


@transformation(TAG)
def apply(step: Mask, datasets: Mapping[str, DataFrame], ctx: StepContext) -> DataFrame:
    df = dataset(TAG, datasets, step.source)
    secret = _secret(step, ctx) if step.strategy in KEYED else None
    return mask(df, step.columns, step.strategy, secret, ctx.vault, name=step.source)


def mask(
    df: DataFrame,
    columns: Sequence[str],
    strategy: str,
    secret: bytes | None = None,
    vault: TokenVault | None = None,
    *,
    name: str = "input",
) -> DataFrame:
    """``df`` with ``columns`` masked by ``strategy``; the keyed strategies derive their keys from
    ``secret``, and tokenize records each distinct original in ``vault``."""
    if strategy not in STRATEGIES:
        raise StepError(TAG, f'strategy "{strategy}" is not one of {", ".join(STRATEGIES)}')
    columns = resolve(TAG, df, name, columns)
    keyed = df
    masking: Callable[[Column], Column]
    if strategy == "redact":
        masking = _redact
    else:
        if secret is None or len(secret) < MIN_SECRET_BYTES:
            raise StepError(TAG, f"{strategy} needs a secret of {MIN_SECRET_BYTES} bytes or more")
        if strategy == "hash":
            keyed = with_keys(df, hmac_key=derive_key(secret, "hash"))
            masking = hmac_sha256_hex
        elif strategy == "encrypt":
            keyed = with_keys(df, aes_key=derive_key(secret, "encrypt"))
            masking = aes_gcm_base64
        else:
            if vault is None:
                raise StepError(TAG, "tokenize needs a token vault, and this run has none")
            token_key = derive_key(secret, "token")
            keyed = with_keys(df, hmac_key=token_key)
            masking = _tokenize
            vault.record(_vault_entries(df, columns, token_key, derive_key(secret, "vault")))
    masked = set(columns)
    return keyed.select(*[masking(col(c)).alias(c) if c in masked else col(c) for c in df.columns])


def _secret(step: Mask, ctx: StepContext) -> bytes:
    name = step.secret_ref or DEFAULT_MASKING_SECRET
    try:
        secret = ctx.secrets.get_bytes(name)
    except SecretMissing as exc:
        raise StepError(TAG, f"secretRef {exc}") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise StepError(
            TAG,
            f'secret "{name}" is shorter than {MIN_SECRET_BYTES} bytes; use a long random secret',
        )
    return secret


def _redact(column: Column) -> Column:
    return F.when(column.isNull(), F.lit(None).cast(StringType())).otherwise(F.lit(REDACTED))


def _tokenize(column: Column) -> Column:
    return F.concat(F.lit(TOKEN_PREFIX), hmac_sha256_hex(column))


def _vault_entries(
    df: DataFrame, columns: list[str], token_key: bytes, vault_key: bytes
) -> DataFrame:
    values = reduce(
        DataFrame.unionByName,
        [df.select(col(c).cast(StringType()).alias("value")) for c in columns],
    )
    distinct = values.where(F.col("value").isNotNull()).distinct()
    tokens = with_keys(distinct, hmac_key=token_key).select(
        F.col("value"), _tokenize(F.col("value")).alias("token")
    )
    return with_keys(tokens, aes_key=vault_key).select(
        F.col("token"), aes_gcm_base64(F.col("value"), F.col("token")).alias("ciphertext")
    )

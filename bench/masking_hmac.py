"""Keyed masking over a column: which implementation is fastest? (issue 3, mask step)

Runs each variant over 1 M e-mail-like strings in one session, forcing evaluation with an aggregate
over the masked column (best of three after a warm-up pass), and prints seconds and the ratio to
Spark's unkeyed ``sha2``:

HMAC-SHA-256 (hash and tokenize)
- ``sha2 (unkeyed, baseline)``: ``F.sha2``; not usable for masking (no key), the floor.
- ``hmac built-ins, key row``: what the mask step does (``masking.columns``): HMAC spelled with
  ``sha2``/``concat``/``unhex``, the key pads in a broadcast one-row DataFrame (not in the plan).
- ``hmac built-ins, key literal``: the same with the key as a literal (the key shows in the plan).
- ``hmac python udf``, ``hmac arrow python udf``, ``hmac pandas_udf``: Python per value; the last
  two need pandas and pyarrow (not in requirements.txt; skipped when missing).

AES-256-GCM (encrypt and the token vault)
- ``aes built-in, key row``: ``aes_encrypt(..., 'GCM')`` + ``base64``, as the mask step does.
- ``aes python udf``: ``cryptography``'s AESGCM per value.

    .venv/bin/python -m bench.masking_hmac [rows]
"""

import base64
import hashlib
import hmac
import os
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from spark_runner.engine.masking.columns import (
    aes_gcm_base64,
    hmac_pads,
    hmac_sha256_hex,
    with_keys,
)

KEY = hashlib.sha256(b"bench key").digest()


def hmac_hex(value):
    return None if value is None else hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def aes_seal(value):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if value is None:
        return None
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(KEY).encrypt(nonce, value.encode(), None)).decode()


def literal_hmac(column):
    ipad, opad = hmac_pads(KEY)
    inner = F.unhex(F.sha2(F.concat(F.lit(ipad), F.encode(column, "UTF-8")), 256))
    return F.sha2(F.concat(F.lit(opad), inner), 256)


def variants(emails):
    """name -> (DataFrame, column expression)."""
    hmac_row = with_keys(emails, hmac_key=KEY)
    aes_row = with_keys(emails, aes_key=KEY)
    value = F.col("email")
    found = {
        "sha2 (unkeyed, baseline)": (emails, F.sha2(value, 256)),
        "hmac built-ins, key row": (hmac_row, hmac_sha256_hex(value)),
        "hmac built-ins, key literal": (emails, literal_hmac(value)),
        "hmac python udf": (emails, F.udf(hmac_hex, StringType(), useArrow=False)(value)),
    }
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        print("(pandas/pyarrow not installed: arrow udf and pandas_udf skipped)")
    else:
        from pyspark.sql.functions import pandas_udf

        @pandas_udf(StringType())
        def pandas_hmac(values: pd.Series) -> pd.Series:
            return values.map(hmac_hex)

        found["hmac arrow python udf"] = (
            emails,
            F.udf(hmac_hex, StringType(), useArrow=True)(value),
        )
        found["hmac pandas_udf"] = (emails, pandas_hmac(value))
    found["aes built-in, key row"] = (aes_row, aes_gcm_base64(value))
    found["aes python udf"] = (emails, F.udf(aes_seal, StringType(), useArrow=False)(value))
    return found


def main(rows: int) -> None:
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bench-masking-hmac")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    emails = spark.range(rows).select(
        F.concat(F.lit("user-"), F.col("id").cast("string"), F.lit("@example.org")).alias("email")
    )
    emails = emails.cache()
    emails.count()
    sample = "user-7@example.org"
    results: dict[str, float] = {}
    for name, (frame, masked) in variants(emails).items():
        if name.startswith("hmac"):
            got = frame.where(F.col("email") == sample).select(masked).first()[0]
            assert got == hmac_hex(sample), name
        frame.select(F.max(masked)).collect()  # warm-up: JIT and Python workers
        best = float("inf")
        for _ in range(3):  # best of three: the machine is shared
            started = time.perf_counter()
            frame.select(F.max(masked)).collect()
            best = min(best, time.perf_counter() - started)
        results[name] = best
    baseline = results["sha2 (unkeyed, baseline)"]
    print(f"\nkeyed masking over {rows:,} strings, best of 3 after a warm-up, local[2]")
    print(f"{'variant':<30}{'seconds':>9}{'x baseline':>12}{'rows/s':>12}")
    for name, seconds in results.items():
        print(f"{name:<30}{seconds:>9.2f}{seconds / baseline:>12.2f}{rows / seconds:>12,.0f}")
    spark.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

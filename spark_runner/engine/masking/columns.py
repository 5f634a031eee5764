"""Keyed masking as Spark built-in expressions, with the keys kept out of the query plan.

Spark has ``sha2`` and ``aes_encrypt`` but no keyed hash; HMAC is spelled out from them
(``sha2(opad || unhex(sha2(ipad || value)))``, RFC 2104). A key written as a literal would show in
every plan string (``explain``, the UI, event logs, some error messages), so keys travel instead
as columns of a one-row DataFrame that is broadcast and cross-joined: plans show only the column
names. Measured on 1 M strings (bench/masking_hmac.py) this runs 3-4x faster than a Python UDF.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, StringType, StructField, StructType

HMAC_INNER_PAD = "__mask_hmac_ipad"
HMAC_OUTER_PAD = "__mask_hmac_opad"
AES_KEY = "__mask_aes_key"
_BLOCK = 64  # SHA-256 block size in bytes


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        raise ValueError("HMAC keys longer than one block are not supported here")
    block = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def with_keys(
    df: DataFrame, *, hmac_key: bytes | None = None, aes_key: bytes | None = None
) -> DataFrame:
    """``df`` with the key columns added (drop them with a final ``select``)."""
    fields, values = [], []
    if hmac_key is not None:
        fields += [
            StructField(HMAC_INNER_PAD, BinaryType()),
            StructField(HMAC_OUTER_PAD, BinaryType()),
        ]
        values += list(hmac_pads(hmac_key))
    if aes_key is not None:
        fields.append(StructField(AES_KEY, BinaryType()))
        values.append(aes_key)
    keys = df.sparkSession.createDataFrame([tuple(values)], StructType(fields))
    return df.crossJoin(F.broadcast(keys))


def utf8(column: Column) -> Column:
    return F.encode(column.cast(StringType()), "UTF-8")


def hmac_sha256_hex(value: Column) -> Column:
    """Hex HMAC-SHA-256 of the value's UTF-8 text; null stays null.

    Needs ``with_keys(hmac_key=...)``."""
    inner = F.unhex(F.sha2(F.concat(F.col(HMAC_INNER_PAD), utf8(value)), 256))
    return F.sha2(F.concat(F.col(HMAC_OUTER_PAD), inner), 256)


def aes_gcm_base64(value: Column, associated: Column | None = None) -> Column:
    """``base64(nonce || AES-256-GCM(value) || tag)``, a random 96-bit nonce per value; null stays
    null. Needs ``with_keys(aes_key=)``."""
    aad = utf8(associated) if associated is not None else F.lit(b"")
    sealed = F.aes_encrypt(
        utf8(value), F.col(AES_KEY), F.lit("GCM"), F.lit("DEFAULT"), F.lit(b""), aad
    )
    # Spark may chunk base64 into MIME lines (spark.sql.chunkBase64String.enabled): one line here.
    return F.translate(F.base64(sealed), "\r\n", "")

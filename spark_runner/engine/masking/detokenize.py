"""Audited detokenize: tokens back to their originals, for someone with a reason and the key.

Every call appends one JSON line to the audit log, whether it succeeds or not: when, who, why,
which vault, how many tokens were asked for and found, and the outcome. Never a token's value, and
never a key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_runner.engine.masking.crypto import DecryptionFailed, derive_key, unseal_from_vault
from spark_runner.engine.masking.vault import read_vault


class DetokenizeRefused(PermissionError):
    """Missing actor or reason, or a key that does not open the vault."""


def detokenize(
    spark: SparkSession,
    vault_path: str,
    tokens: Iterable[str],
    key: bytes | str,
    actor: str,
    reason: str,
    audit_log_path: str | Path,
) -> dict[str, str | None]:
    """``{token: original}`` for each distinct token asked for; None for a token not in the vault.

    ``key`` is the secret of the ``secretRef`` the mask step used.
    """
    wanted = sorted({t for t in tokens if t})
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": "detokenize",
        "actor": actor,
        "reason": reason,
        "vault": vault_path,
        "tokens_requested": len(wanted),
        "tokens_found": 0,
        "outcome": "refused",
    }
    try:
        if not actor or not actor.strip():
            raise DetokenizeRefused("detokenize needs the actor who asks")
        if not reason or not reason.strip():
            raise DetokenizeRefused("detokenize needs a reason")
        found = _open(spark, vault_path, wanted, derive_key(key, "vault"))
        entry["tokens_found"] = len(found)
        entry["outcome"] = "ok"
        return {token: found.get(token) for token in wanted}
    finally:
        _append_audit(Path(audit_log_path), entry)


def _open(spark: SparkSession, vault_path: str, tokens: list[str], key: bytes) -> dict[str, str]:
    vault = read_vault(spark, vault_path)
    if vault is None or not tokens:
        return {}
    rows = vault.where(F.col("token").isin(tokens)).dropDuplicates(["token"]).collect()
    try:
        return {row.token: unseal_from_vault(key, row.token, row.ciphertext) for row in rows}
    except DecryptionFailed:
        raise DetokenizeRefused("the key does not open this vault's entries") from None


def _append_audit(path: Path, entry: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    # One write on an O_APPEND descriptor: concurrent callers never interleave inside a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)

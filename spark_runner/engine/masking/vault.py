"""The token vault: where tokenize keeps each original, encrypted, for an audited detokenize.

A mask step ``record``s a DataFrame of ``(token, ciphertext)``; nothing is written then. While the
run's targets are staged, ``stage(spark)`` writes the pending entries as one new batch to a hidden
staging folder under the vault path (``_staging-<id>``, which readers skip); at commit,
``commit(spark)`` renames it to ``batch-<id>`` in one step, so a failed run leaves no visible rows
(``abort`` drops the staging). ``write`` does both. Tokens the vault already holds are not written
again.

Layout: ``<vault path>/batch-<id>/part-*.parquet`` with columns ``token`` and ``ciphertext``
(``base64(nonce || AES-256-GCM(value) || tag)``, the token as associated data).
"""

from __future__ import annotations

import uuid
from functools import reduce

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

COLUMNS = ("token", "ciphertext")
SCHEMA = "token STRING, ciphertext STRING"


class TokenVault:
    def __init__(self, path: str):
        self.path = path.rstrip("/")
        self.pending: list[DataFrame] = []
        self._staged: tuple[str, str, int] | None = None  # (staging, final, entries)

    def __repr__(self) -> str:
        return f"TokenVault({self.path!r}, pending={len(self.pending)})"

    def record(self, entries: DataFrame) -> None:
        missing = [c for c in COLUMNS if c not in entries.columns]
        if missing:
            raise ValueError(f"vault entries need columns token, ciphertext (missing {missing})")
        self.pending.append(entries.select(*[F.col(c) for c in COLUMNS]))

    def write(self, spark: SparkSession) -> int:
        """Appends the pending entries as one batch; returns how many entries were new."""
        written = self.stage(spark)
        self.commit(spark)
        return written

    def stage(self, spark: SparkSession) -> int:
        """Writes the pending entries new to the vault to a hidden staging folder (the costly part,
        done while the run's targets are staged); returns how many there are. Nothing shows
        until ``commit``."""
        self._staged = None
        if not self.pending:
            return 0
        batch = reduce(DataFrame.unionByName, self.pending)
        # One entry per token: two ciphertexts of one value are equally good.
        batch = batch.groupBy(F.col("token")).agg(F.first(F.col("ciphertext")).alias("ciphertext"))
        existing = read_vault(spark, self.path)
        if existing is not None:
            batch = batch.join(existing.select(F.col("token")), on="token", how="left_anti")
        batch_id = uuid.uuid4().hex
        staging = f"{self.path}/_staging-{batch_id}"
        # Counted while written (an observation), not by a second job reading the batch back.
        observation = Observation()
        batch = batch.observe(observation, F.count(F.lit(1)).alias("rows"))
        try:
            batch.write.mode("error").parquet(staging)
        except BaseException:
            _delete(spark, staging)
            raise
        written = int(observation.get["rows"])
        self._staged = (staging, f"{self.path}/batch-{batch_id}", written)
        return written

    def commit(self, spark: SparkSession) -> None:
        """Moves the staged batch into place in one rename (or drops an empty one)."""
        staged, self._staged = self._staged, None
        if staged is None:
            self.pending.clear()
            return
        staging, final, written = staged
        try:
            if written and not _rename(spark, staging, final):
                raise OSError(f"could not move the vault batch into place at {final}")
        finally:
            _delete(spark, staging)  # a no-op once renamed
        self.pending.clear()

    def abort(self, spark: SparkSession) -> None:
        """Drops a staged batch that will not be committed."""
        staged, self._staged = self._staged, None
        if staged is not None:
            _delete(spark, staged[0])


def read_vault(spark: SparkSession, path: str) -> DataFrame | None:
    """The vault's entries, or None while it holds no batch."""
    fs, root = _filesystem(spark, path)
    if not fs.exists(root):
        return None
    batches = [s for s in fs.listStatus(root) if s.getPath().getName().startswith("batch-")]
    if not batches:
        return None
    # Recursive listing: batch folders are not partitions; hidden staging folders are skipped.
    # The schema given: no job to infer it from the files' footers.
    reader = spark.read.schema(SCHEMA).option("recursiveFileLookup", "true")
    return reader.parquet(path).select(*[F.col(c) for c in COLUMNS])


def _filesystem(spark: SparkSession, path: str):  # Py4J FileSystem and Path
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), hadoop_path


def _rename(spark: SparkSession, source: str, target: str) -> bool:
    fs, src = _filesystem(spark, source)
    _, dst = _filesystem(spark, target)
    return bool(fs.rename(src, dst))


def _delete(spark: SparkSession, path: str) -> None:
    fs, hadoop_path = _filesystem(spark, path)
    fs.delete(hadoop_path, True)

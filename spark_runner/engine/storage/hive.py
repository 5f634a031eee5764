"""Hive tables: lookups read from a table; targets staged, then committed by one quick swap.

* Not partitioned, overwrite/merge: the new content is written to a new folder
  ``<table root>/v-<run>`` and the table is pointed at it (``ALTER TABLE .. SET LOCATION``, one
  metastore update); the previous folder is deleted afterwards.
* Partitioned (any mode), and append to a table in another format: the rows are staged as
  parquet, then one ``INSERT [OVERWRITE]`` with dynamic partition overwrite, whose files appear
  only at job commit; overwrite replaces exactly the partitions the run wrote.
* append to a parquet or orc table: the run's files, named by the output key, are moved into the
  table's folder at commit (replacing that key's files).
* merge upserts by ``keys`` across the whole table (``HiveOutput._merged``).
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_runner.definition.model import HiveTarget
from spark_runner.engine.confine import check_table
from spark_runner.engine.errors import EngineError
from spark_runner.engine.fs import FS, glob_escape, name, parent
from spark_runner.engine.outputs import (
    NO_SUCCESS_MARKER,
    STAGING_WRITE,
    Output,
    _observed,
    _rows,
    _tag,
)
from spark_runner.engine.staging import _newest, key_and_attempt, staging_max_age, staging_tag
from spark_runner.engine.storage import StorageKind, storage_kind

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@storage_kind(target=HiveTarget)
class Hive(StorageKind):
    name = "hive"

    def output(self, target: HiveTarget, df: DataFrame, run) -> Output:
        self.check_target(target, run)
        warehouse = run.spark.conf.get("spark.sql.warehouse.dir")
        return HiveOutput(run.spark, df, target, run.ctx.run_id, warehouse, run.ctx.key)

    def check_target(self, target: HiveTarget, run) -> None:
        # the engine creates (and writes) only databases the application owns
        check_table(run.ctx.policy, target.table, True, run.where)

    def target_where(self, target: HiveTarget) -> str:
        return f"target hive {target.table}"


def read_table(spark, table: str) -> DataFrame:
    """A Hive table as a DataFrame (a lookup ``reference`` that names one)."""
    # Another process may have committed to the table since this session cached its file
    # list: list it afresh.
    with contextlib.suppress(Exception):
        spark.catalog.refreshTable(table)
    return spark.table(table)


class HiveOutput(Output):
    kind = "hive"

    def __init__(
        self,
        spark,
        df: DataFrame,
        target: HiveTarget,
        run_id: str,
        warehouse: str,
        key: str = "",
    ):
        if target.format == "delta":
            raise EngineError(
                "target",
                f"hive {target.table}: format delta is not installed here; use parquet or orc",
            )
        self.spark, self.df, self.target = spark, df, target
        self.db, self.table = split_table(target.table)
        self.full = f"`{self.db}`.`{self.table}`"
        self.name = f"{self.db}.{self.table}"
        self.fs = FS(spark)
        self.tag = _tag(run_id)
        self.key = _tag(key or run_id)
        # append: the run's files are named by the output key and moved into the table's
        # folder at commit (replacing that key's files); False for a table in another format.
        self.file_append = target.mode == "append"
        self.fmt = target.format
        self.warehouse = warehouse.rstrip("/")
        self.attempt = staging_tag(self.key, self.tag)  # names this attempt's staging
        self.staging_root = f"{self.warehouse}/_hub_staging/{self.attempt}"
        self.staging = f"{self.staging_root}/{self.db}.{self.table}"
        self.exists = False
        self.info: TableInfo | None = None  # the table as found at stage, if it exists
        self.partitions: list[str] = list(target.partition_by)
        self.version_dir: str | None = None
        self.schema = None
        self._obs = None
        self._merge_obs = None
        self._affected: list[tuple] = []  # merge: the partitions it rewrites (values)

    def _root(self) -> str:
        return table_root(self.warehouse, self.db, self.table)

    def stage(self) -> None:
        spark, target = self.spark, self.target
        # One metastore look-up for everything below (no listColumns: it runs Spark jobs).
        self.info = describe(spark, self.db, self.table)
        self.exists = self.info is not None
        self._tidy()
        df = self.df
        missing = [c for c in self.partitions if c not in df.columns]
        if missing:
            raise EngineError(
                "schema_mismatch", f"partitionBy column(s) {', '.join(missing)} not in the data"
            )
        if self.exists:
            # Another process may have committed since this session cached the file list.
            forget_cached(spark, self.db, self.table)
            self.partitions = list(self.info.partitions)
            provider = self.info.provider
            if self.file_append and provider in ("parquet", "orc"):
                self.fmt = provider
            else:
                self.file_append = False
            columns = [c for c, _ in self.info.columns]
            have = {c.lower(): c for c in df.columns}
            lacking = [c for c in columns if c.lower() not in have]
            extra = [c for c in df.columns if c.lower() not in {x.lower() for x in columns}]
            if lacking or extra:
                raise EngineError(
                    "schema_mismatch",
                    f"the data does not fit table {self.name}: "
                    + (f"missing {', '.join(lacking)}" if lacking else "")
                    + ("; " if lacking and extra else "")
                    + (f"unexpected {', '.join(extra)}" if extra else ""),
                )
            types = dict(self.info.columns)
            df = df.select(
                *[F.col(f"`{have[c.lower()]}`").cast(types[c]).alias(c) for c in columns]
            )
        else:
            ordered = [c for c in df.columns if c not in self.partitions] + self.partitions
            df = df.select(*[F.col(f"`{c}`") for c in ordered])
        if target.mode == "merge":
            df = self._merged(df)
        df, self._obs = _observed(df)
        self.schema = df.schema
        if self.file_append:
            # The table's own format and layout, moved into its folder at commit.
            self.fs.delete(self.staging)
            (
                df.write.format(self.fmt)
                .options(**STAGING_WRITE, **NO_SUCCESS_MARKER)
                .partitionBy(*self.partitions)
                .mode("overwrite")
                .save(self.staging)
            )
        elif not self.partitions and (target.mode != "append" or not self.exists):
            # A whole new version of the table, swapped in at commit.
            self.version_dir = f"{self._root()}/v-{self.attempt}"
            self.fs.delete(self.version_dir)
            (
                df.write.format(target.format)
                .options(**STAGING_WRITE)
                .mode("overwrite")
                .save(self.version_dir)
            )
        else:
            self.fs.delete(self.staging)
            df.write.options(**STAGING_WRITE, **NO_SUCCESS_MARKER).mode("overwrite").parquet(
                self.staging
            )

    def _tidy(self, now: float | None = None, only_earlier: bool = False) -> None:
        """Deletes what killed runs left: their ``_hub_staging/<key>[.<run>]`` folders and this
        table's ``v-<key>[.<run>]`` version folders that the table does not point at; at once
        when they belong to another attempt of this run's output key (that attempt is over),
        otherwise once nothing in them changed for ``HUB_STAGING_MAX_AGE_SECONDS`` (a live
        run's are younger). ``only_earlier``: just the former (after a successful commit)."""
        now = time.time() if now is None else now
        limit = staging_max_age(self.spark)
        current = ""
        with contextlib.suppress(Exception):
            if only_earlier:  # after the commit: the location may have just changed
                current = self.fs.qualify(table_location(self.spark, self.db, self.table))
            elif self.exists:
                current = self.fs.qualify(self.info.location)
        found = self.fs.glob_status(f"{glob_escape(self.warehouse)}/_hub_staging/*")
        found += self.fs.glob_status(f"{glob_escape(self._root())}/v-*")
        for folder, modified, is_dir in found:
            tag = name(folder)[2:] if name(folder).startswith("v-") else name(folder)
            if not is_dir or tag in (self.attempt, "base") or self.fs.qualify(folder) == current:
                continue
            earlier = key_and_attempt(tag)[0] == self.key
            stale = now - modified > limit and now - _newest(self.fs, folder) > limit
            if earlier or (stale and not only_earlier):
                with contextlib.suppress(Exception):
                    self.fs.delete(folder)

    def drop_earlier_attempts(self) -> None:
        self._tidy(only_earlier=True)

    def _merged(self, df: DataFrame) -> DataFrame:
        """The upsert by ``keys`` across the whole table: the run's rows, plus the table's rows
        whose key the run does not bring. Partitioned, only the affected partitions are
        rewritten: those the run writes to and those holding an old copy of one of its keys (a
        key that moved partition); an affected partition left empty is dropped at commit."""
        keys = list(self.target.keys)
        missing = [k for k in keys if k not in df.columns]
        if missing:
            raise EngineError("schema_mismatch", f"merge key(s) {', '.join(missing)} not in data")
        new, obs = _observed(df)
        self._merge_obs = obs
        if not self.exists:
            return new
        existing = self.spark.table(self.full)
        new_keys = df.select(*keys).distinct()
        if self.partitions:
            parts = self.partitions
            moved_from = existing.join(new_keys, on=keys, how="left_semi").select(*parts)
            affected = df.select(*parts).unionByName(moved_from).distinct().collect()
            self._affected = [tuple(r) for r in affected]
            touched = self.spark.createDataFrame(affected, df.select(*parts).schema)
            same = [existing[c].eqNullSafe(touched[c]) for c in parts]
            existing = existing.join(touched, on=same, how="left_semi")
        kept = existing.join(new_keys, on=keys, how="left_anti")
        # the joins put the key and partition columns first: back to the data's order
        return kept.unionByName(new).select(*[F.col(f"`{c}`") for c in df.columns])

    def commit(self) -> None:
        spark = self.spark
        # merge: the rows the run brought (inserted or updated), not the table's size.
        self.rows_written = _rows(self._merge_obs if self.target.mode == "merge" else self._obs)
        if not self.exists:
            spark.sql(f"CREATE DATABASE IF NOT EXISTS `{self.db}`")
        fmt = self.target.format
        if self.version_dir is not None:
            if not self.exists:
                # The staged data's schema (nullable, as a reader would see the files): no job
                # to read it back from the files.
                schema = nullable(spark, self.schema)
                spark.catalog.createTable(
                    self.name, path=self.version_dir, source=fmt, schema=schema
                )
            else:
                old = self.info.location
                # One metastore update; the command refreshes the session's view of the table.
                spark.sql(f"ALTER TABLE {self.full} SET LOCATION {sql_string(self.version_dir)}")
                # Only a previous version folder of ours is removed, never the table's root
                # (a table made elsewhere keeps its files where they were).
                old_q, new_q = self.fs.qualify(old), self.fs.qualify(self.version_dir)
                root_q = self.fs.qualify(self._root())
                if old_q != new_q and parent(old_q) == root_q and name(old_q).startswith("v-"):
                    self.fs.delete(old)
            return
        if self.file_append:
            self._append_files()
            return
        staged = spark.read.schema(nullable(spark, self.schema)).parquet(self.staging)
        if not self.exists:
            (
                staged.limit(0)
                .write.format(fmt)
                .partitionBy(*self.partitions)
                .option("path", self._root() if self.partitions else f"{self._root()}/v-base")
                .saveAsTable(self.name)
            )
        view = f"hub_staged_{uuid.uuid4().hex[:12]}"
        staged.createOrReplaceTempView(view)
        # By name, in the table's own column order (INSERT .. SELECT matches by position).
        columns = ", ".join(f"`{c}`" for c in spark.table(self.full).columns)
        try:
            verb = "INSERT INTO" if self.target.mode == "append" else "INSERT OVERWRITE TABLE"
            if self.partitions:
                parts = ", ".join(f"`{c}`" for c in self.partitions)
                spark.sql(f"{verb} {self.full} PARTITION ({parts}) SELECT {columns} FROM {view}")
            else:
                spark.sql(f"{verb} {self.full} SELECT {columns} FROM {view}")
        finally:
            spark.catalog.dropTempView(view)
        self._drop_emptied(staged)
        self.fs.delete(self.staging)

    def _drop_emptied(self, staged: DataFrame) -> None:
        """merge: a partition that held the old copy of a key that moved, and nothing else, is
        now empty; dynamic partition overwrite leaves partitions without rows alone: drop it."""
        if not self._affected:
            return
        written = {tuple(r) for r in staged.select(*self.partitions).distinct().collect()}
        for values in self._affected:
            if values in written or any(v is None for v in values):
                continue
            spec = ", ".join(
                f"`{c}` = {sql_string(str(v))}"
                for c, v in zip(self.partitions, values, strict=True)
            )
            self.spark.sql(f"ALTER TABLE {self.full} DROP IF EXISTS PARTITION ({spec})")

    def _append_files(self) -> None:
        """Moves the staged files into the table's folder as ``part-<key>-NNNNN``, after deleting
        the files an earlier run with the same output key put there; then the metastore learns
        new partitions and the session's file listing is refreshed."""
        spark = self.spark
        if not self.exists:
            # The data's own types (read back, the partition folders' names would be guessed at).
            empty = spark.createDataFrame([], self.schema)
            root = self._root() if self.partitions else f"{self._root()}/v-base"
            (
                empty.write.format(self.fmt)
                .options(**NO_SUCCESS_MARKER)
                .partitionBy(*self.partitions)
                .option("path", root)
                .saveAsTable(self.name)
            )
        location = (
            self.info.location if self.exists else table_location(spark, self.db, self.table)
        ).rstrip("/")
        depth = "/*" * len(self.partitions)
        mine = f"{glob_escape(location)}{depth}/part-{glob_escape(self.key)}-*"
        for old, _, is_dir in self.fs.glob_status(mine):
            if not is_dir:
                self.fs.delete(old)
        staged_root = self.fs.qualify(self.staging).rstrip("/")
        files = sorted(
            f for f in self.fs.list_files(self.staging) if not name(f).startswith(("_", "."))
        )
        made: set[str] = set()
        for i, part in enumerate(files):
            inside = self.fs.qualify(part)[len(staged_root) + 1 :]  # "c=v/part-..." or "part-..."
            relative = parent(inside) if "/" in inside else ""
            folder = f"{location}/{relative}" if relative else location
            if folder not in made:
                self.fs.mkdirs(folder)
                made.add(folder)
            base = name(part)
            ext = base[base.index(".") :] if "." in base else ""
            self.fs.rename(part, f"{folder}/part-{self.key}-{i:05d}{ext}")
        if self.partitions:
            spark.sql(f"ALTER TABLE {self.full} RECOVER PARTITIONS")
        spark.sql(f"REFRESH TABLE {self.full}")
        self.fs.delete(self.staging)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.fs.delete(self.staging)
            if self.version_dir is not None:
                self.fs.delete(self.version_dir)


# ---------------------------------------------------------------- the catalog


def table_root(warehouse: str, db: str, name: str) -> str:
    """The folder under which the engine keeps a table's files (its version folders, or its
    partitions): the table stays external, so dropping it leaves them."""
    return f"{warehouse.rstrip('/')}/{db}.db/{name}"


def split_table(table: str) -> tuple[str, str]:
    db, dot, name = table.partition(".")
    if not dot or not _NAME.fullmatch(db) or not _NAME.fullmatch(name):
        raise EngineError("definition", f"hive table {table!r} must be written database.table")
    return db.lower(), name.lower()


@dataclass(frozen=True)
class TableInfo:
    """What a write needs to know of an existing table, from one metastore look-up."""

    columns: tuple[tuple[str, str], ...]  # (name, type), data columns then partition columns
    partitions: tuple[str, ...]
    provider: str  # parquet, orc, ... (hive for a Hive SerDe table)
    location: str


def describe(spark, db: str, name: str) -> TableInfo | None:
    """The table's columns, partition columns, format and location in one metastore round trip
    (``spark.catalog.listColumns`` costs a round trip and, on Spark 4, two Spark jobs per call);
    None when there is no such table."""
    from pyspark.errors import AnalysisException

    try:
        meta = (
            spark._jsparkSession.sessionState()
            .catalog()
            .getTableMetadata(_identifier(spark, db, name))
        )
    except AnalysisException as exc:
        if exc.getCondition() in ("TABLE_OR_VIEW_NOT_FOUND", "SCHEMA_NOT_FOUND"):
            return None
        raise
    fields = meta.schema().fields()
    provider = meta.provider()
    return TableInfo(
        columns=tuple((f.name(), f.dataType().catalogString()) for f in fields),
        partitions=tuple(str(c) for c in _scala_list(meta.partitionColumnNames())),
        provider=str(provider.get()).lower() if provider.isDefined() else "hive",
        location=str(meta.location().toString()),
    )


def forget_cached(spark, db: str, name: str) -> None:
    """Drops what this session cached of the table (its resolved relation, file listings), so
    that files another process committed since are seen. Local: no metastore call, no job."""
    jvm = spark._jvm
    session = spark._jsparkSession
    session.sessionState().catalog().invalidateCachedTable(_identifier(spark, db, name))
    jvm.org.apache.spark.sql.execution.datasources.FileStatusCache.getOrCreate(
        session
    ).invalidateAll()


def nullable(spark, schema):
    """``schema`` with every field nullable (as Spark reads back what it wrote to files)."""
    from pyspark.sql.types import _parse_datatype_json_string

    jschema = spark._jsparkSession.parseDataType(schema.json()).asNullable()
    return _parse_datatype_json_string(jschema.json())


def _identifier(spark, db: str, name: str):
    jvm = spark._jvm
    return jvm.org.apache.spark.sql.catalyst.TableIdentifier(name, jvm.scala.Option.apply(db))


def _scala_list(seq) -> list:
    return [seq.apply(i) for i in range(seq.size())]


def table_location(spark, db: str, name: str) -> str:
    meta = (
        spark._jsparkSession.sessionState()
        .catalog()
        .getTableMetadata(
            spark._jvm.org.apache.spark.sql.catalyst.TableIdentifier(
                name, spark._jvm.scala.Option.apply(db)
            )
        )
    )
    return str(meta.location().toString())


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

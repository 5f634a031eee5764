"""All-or-nothing outputs: every target is staged first, then committed by a quick swap.

* CSV export: written to ``.<name>.hub-tmp-<run>`` beside the destination, then moved into place;
  overwrite keeps the old folder (``.<name>.hub-old-<run>``) until the new one is in place.
  append moves the new part files (named after the run, so a re-run replaces its own files).
* Hive, not partitioned, overwrite/merge: the new content is written to a new folder
  ``<table root>/v-<run>`` and the table is pointed at it (``ALTER TABLE .. SET LOCATION``, one
  metastore update); the previous folder is deleted afterwards.
* Hive partitioned (any mode) and append: the rows are staged as parquet, then one
  ``INSERT [OVERWRITE]`` with dynamic partition overwrite, whose files appear only at job commit;
  overwrite replaces exactly the partitions the run wrote.
* Database (PostgreSQL): a staging table, then one transaction (see connectors/jdbc.py).

A failure before the commit phase leaves every previous output as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import uuid

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from spark_runner.definition.model import CsvTarget, DatabaseTarget, HiveTarget
from spark_runner.engine.connectors import hive
from spark_runner.engine.connectors.csv import export_path, writer_options
from spark_runner.engine.connectors.jdbc import JdbcTargetWriter
from spark_runner.engine.errors import EngineError
from spark_runner.engine.fs import FS, glob_escape, name, parent


def _tag(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", run_id)[:40] or uuid.uuid4().hex[:8]


def _observed(df: DataFrame) -> tuple[DataFrame, Observation]:
    obs = Observation()
    return df.observe(obs, F.count(F.lit(1)).alias("rows")), obs


def _rows(obs: Observation | None) -> int | None:
    if obs is None or obs._jo is None:
        return None
    try:
        if not obs._jo.future().isCompleted():
            return None
        return int(obs.get["rows"])
    except Exception:
        return None


class Output:
    kind = ""
    name = ""
    rows_written: int | None = None

    def stage(self) -> None:  # the expensive part; touches nothing visible
        raise NotImplementedError

    def commit(self) -> None:  # quick swap into place
        raise NotImplementedError

    def abort(self) -> None:  # drop what stage left
        pass


class CsvOutput(Output):
    kind = "csv"

    def __init__(
        self, spark, df: DataFrame, target: CsvTarget, path: str, run_id: str, key: str = ""
    ):
        self.spark, self.df, self.target = spark, df, target
        self.fs = FS(spark)
        self.path = path.rstrip("/")
        self.name = self.path
        tag = _tag(run_id)
        self.tag = tag
        self.key = _tag(key or run_id)
        self.tmp = f"{parent(self.path)}/.{name(self.path)}.hub-tmp-{tag}"
        self.old = f"{parent(self.path)}/.{name(self.path)}.hub-old-{tag}"
        self.skip = False
        self._obs = None

    def stage(self) -> None:
        tidy(self.fs, self.path, self.tag, self.key)
        mode = self.target.mode
        if self.fs.exists(self.path):
            if mode == "error":
                raise EngineError("target", f"{self.path} exists and mode is error")
            if mode == "ignore":
                self.skip = True
                self.rows_written = 0
                return
        try:
            self.fs.mkdirs(parent(self.path))
        except Exception as exc:
            raise EngineError("permission", f"cannot create {parent(self.path)}: {exc}") from None
        self.fs.delete(self.tmp)
        df, self._obs = _observed(self.df)
        options = {**writer_options(self.target), **STAGING_WRITE}
        if mode == "append":
            options.update(NO_SUCCESS_MARKER)
        df.write.options(**options).mode("overwrite").csv(self.tmp)

    def commit(self) -> None:
        if self.skip:
            return
        self.rows_written = _rows(self._obs)
        if self.target.mode == "append":
            # Part files named after the output key: a repeat with the same key (the same run
            # again, or a retry of a killed attempt) replaces that key's files.
            if not self.fs.exists(self.path):
                self.fs.mkdirs(self.path)
            for old, _, _ in self.fs.glob_status(
                f"{glob_escape(self.path)}/part-{glob_escape(self.key)}-*"
            ):
                self.fs.delete(old)
            for i, part in enumerate(sorted(self.fs.list(self.tmp))):
                base = name(part)
                if base.startswith(("_", ".")):
                    continue
                ext = base[base.index(".") :] if "." in base else ""
                self.fs.rename(part, f"{self.path}/part-{self.key}-{i:05d}{ext}")
            self.fs.delete(self.tmp)
            return
        if self.fs.exists(self.path):
            self.fs.rename(self.path, self.old)
            self.fs.rename(self.tmp, self.path)
            self.fs.delete(self.old)
        else:
            self.fs.rename(self.tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.fs.delete(self.tmp)


# Staging writes land in a folder only the engine reads; the engine's own rename at commit is
# what makes them visible. So the file committer may move each task's files into the staging
# folder at task commit (algorithm 2: no second, job-level rename pass). A task that fails after
# its commit was authorised fails the job (Spark's output commit coordinator), and a failed job
# deletes the whole staging folder: nothing partial is ever renamed in.
STAGING_WRITE = {"mapreduce.fileoutputcommitter.algorithm.version": "2"}
# No _SUCCESS file where nobody looks for one (append part files, Hive staging).
NO_SUCCESS_MARKER = {"mapreduce.fileoutputcommitter.marksuccessfuljobs": "false"}


def staging_max_age() -> float:
    """Seconds after which a staging folder nobody touched is taken as left by a dead run."""
    try:
        return float(os.environ.get("HUB_STAGING_MAX_AGE_SECONDS", "3600"))
    except ValueError:
        return 3600.0


def tidy(fs: FS, path: str, run_tag: str, key_tag: str, now: float | None = None) -> None:
    """Before a CSV target is staged, with one listing of what sits beside it:

    * recover: a run killed between the two renames of an overwrite left the old folder aside
      (``.<name>.hub-old-<run>``) and no destination: put it back;
    * stale staging: ``.<name>.hub-tmp-<run>`` folders of killed attempts are deleted when
      nothing in them changed for ``HUB_STAGING_MAX_AGE_SECONDS`` (default an hour), or when
      they belong to an earlier attempt with this run's output key (that attempt is over: its
      retry is running). A concurrent live run's staging is younger and is left alone.
    """
    prefix = f".{name(path)}.hub-"
    found = fs.glob_status(f"{glob_escape(parent(path))}/{glob_escape(prefix)}*")
    if not found:
        return
    now = time.time() if now is None else now
    limit = staging_max_age()
    exists = None
    for candidate, modified, _ in found:
        rest = name(candidate)[len(prefix) :]
        if rest.startswith("old-"):
            if exists is None:
                exists = fs.exists(path)
            if not exists:
                fs.rename(candidate, path)
                exists = True
            elif now - modified > limit:
                fs.delete(candidate)  # a finished swap whose last delete did not happen
        elif rest.startswith("tmp-"):
            tag = rest[len("tmp-") :]
            if tag == run_tag:
                continue  # ours (deleted before staging anyway)
            if (tag == key_tag and key_tag != run_tag) or now - _newest(fs, candidate) > limit:
                with contextlib.suppress(Exception):
                    fs.delete(candidate)


def recover(fs: FS, path: str) -> None:
    """Puts back the old folder of an overwrite killed between its two renames."""
    if fs.exists(path):
        return
    prefix = f".{name(path)}.hub-old-"
    for candidate, _, _ in fs.glob_status(f"{glob_escape(parent(path))}/{glob_escape(prefix)}*"):
        fs.rename(candidate, path)
        return


def _newest(fs: FS, folder: str) -> float:
    """The latest modification time of ``folder`` or anything in it (a long write of a live run
    keeps changing files deep inside ``_temporary``)."""
    return fs.newest_modification(folder)


class RejectsOutput(Output):
    kind = "rejects"

    def __init__(self, spark, df: DataFrame, path: str):
        self.spark, self.df, self.path, self.name = spark, df, path, path
        self.fs = FS(spark)
        self.tmp = f"{parent(path)}/.{name(path)}.hub-tmp"

    def stage(self) -> None:
        self.fs.delete(self.tmp)
        self.df.write.mode("overwrite").text(self.tmp)

    def commit(self) -> None:
        self.fs.delete(self.path)
        self.fs.rename(self.tmp, self.path)

    def abort(self) -> None:
        self.fs.delete(self.tmp)


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
        self.db, self.table = hive.split_table(target.table)
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
        self.staging_root = f"{self.warehouse}/_hub_staging/{self.tag}"
        self.staging = f"{self.staging_root}/{self.db}.{self.table}"
        self.exists = False
        self.partitions: list[str] = list(target.partition_by)
        self.version_dir: str | None = None
        self.schema = None
        self._obs = None
        self._merge_obs = None

    def _root(self) -> str:
        return f"{self.warehouse}/{self.db}.db/{self.table}"

    def stage(self) -> None:
        spark, target = self.spark, self.target
        self.exists = hive.table_exists(spark, self.db, self.table)
        self._tidy()
        df = self.df
        missing = [c for c in self.partitions if c not in df.columns]
        if missing:
            raise EngineError(
                "schema_mismatch", f"partitionBy column(s) {', '.join(missing)} not in the data"
            )
        if self.exists:
            # Another process may have committed since this session cached the file list.
            spark.catalog.refreshTable(self.name)
            self.partitions = hive.partition_columns(spark, self.db, self.table)
            provider = hive.table_provider(spark, self.db, self.table)
            if self.file_append and provider in ("parquet", "orc"):
                self.fmt = provider
            else:
                self.file_append = False
            columns = [c for c, _ in hive.table_columns(spark, self.db, self.table)]
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
            types = dict(hive.table_columns(spark, self.db, self.table))
            df = df.select(
                *[F.col(f"`{have[c.lower()]}`").cast(types[c]).alias(c) for c in columns]
            )
        else:
            ordered = [c for c in df.columns if c not in self.partitions] + self.partitions
            df = df.select(*[F.col(f"`{c}`") for c in ordered])
        if target.mode == "merge":
            df = self._merged(df)
        df, self._obs = _observed(df)
        if self.file_append:
            # The table's own format and layout, moved into its folder at commit.
            self.schema = df.schema
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
            self.version_dir = f"{self._root()}/v-{self.tag}"
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

    def _tidy(self, now: float | None = None) -> None:
        """Deletes what killed runs left: their ``_hub_staging/<run>`` folders and this table's
        ``v-<run>`` version folders that the table does not point at, once nothing in them
        changed for ``HUB_STAGING_MAX_AGE_SECONDS`` (a live run's are younger); and at once
        the staging of an earlier attempt with this run's output key (that attempt is over)."""
        now = time.time() if now is None else now
        limit = staging_max_age()
        current = ""
        if self.exists:
            with contextlib.suppress(Exception):
                current = self.fs.qualify(hive.table_location(self.spark, self.db, self.table))
        found = self.fs.glob_status(f"{glob_escape(self.warehouse)}/_hub_staging/*")
        found += self.fs.glob_status(f"{glob_escape(self._root())}/v-*")
        for folder, modified, is_dir in found:
            tag = name(folder)[2:] if name(folder).startswith("v-") else name(folder)
            if not is_dir or tag in (self.tag, "base") or self.fs.qualify(folder) == current:
                continue
            earlier = tag == self.key and self.key != self.tag
            if earlier or (now - modified > limit and now - _newest(self.fs, folder) > limit):
                with contextlib.suppress(Exception):
                    self.fs.delete(folder)

    def _merged(self, df: DataFrame) -> DataFrame:
        keys = list(self.target.keys)
        missing = [k for k in keys if k not in df.columns]
        if missing:
            raise EngineError("schema_mismatch", f"merge key(s) {', '.join(missing)} not in data")
        new, obs = _observed(df)
        self._merge_obs = obs
        if not self.exists:
            return new
        existing = self.spark.table(self.full)
        if self.partitions:
            touched = new.select(*self.partitions).distinct()
            existing = existing.join(touched, on=self.partitions, how="left_semi")
        kept = existing.join(new.select(*keys).distinct(), on=keys, how="left_anti")
        return kept.unionByName(new)

    def commit(self) -> None:
        spark = self.spark
        # merge: the rows the run brought (inserted or updated), not the table's size.
        self.rows_written = _rows(self._merge_obs if self.target.mode == "merge" else self._obs)
        spark.sql(f"CREATE DATABASE IF NOT EXISTS `{self.db}`")
        fmt = self.target.format
        if self.version_dir is not None:
            if not self.exists:
                schema = spark.read.format(fmt).load(self.version_dir).schema
                spark.catalog.createTable(
                    self.name, path=self.version_dir, source=fmt, schema=schema
                )
            else:
                old = hive.table_location(spark, self.db, self.table)
                spark.sql(
                    f"ALTER TABLE {self.full} SET LOCATION {hive.sql_string(self.version_dir)}"
                )
                spark.sql(f"REFRESH TABLE {self.full}")
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
        staged = spark.read.parquet(self.staging)
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
        try:
            verb = "INSERT INTO" if self.target.mode == "append" else "INSERT OVERWRITE TABLE"
            if self.partitions:
                parts = ", ".join(f"`{c}`" for c in self.partitions)
                spark.sql(f"{verb} {self.full} PARTITION ({parts}) SELECT * FROM {view}")
            else:
                spark.sql(f"{verb} {self.full} SELECT * FROM {view}")
        finally:
            spark.catalog.dropTempView(view)
        self.fs.delete(self.staging)

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
        location = hive.table_location(spark, self.db, self.table).rstrip("/")
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


class DatabaseOutput(Output):
    kind = "database"

    def __init__(
        self, spark, df: DataFrame, target: DatabaseTarget, run_id: str, secrets, key: str = ""
    ):
        self.df, self.target = df, target
        self.name = f"{target.id} {target.table}"
        self.writer = JdbcTargetWriter(spark, target, run_id, secrets, key or run_id)
        self.columns = list(df.columns)

    def stage(self) -> None:
        self.writer.stage(self.df)

    def commit(self) -> None:
        self.rows_written = self.writer.commit(self.columns)

    def abort(self) -> None:
        self.writer.abort()


def csv_destination(ctx, target: CsvTarget) -> str:
    return ctx.resolve_path(export_path(target.path, ctx.run_date))

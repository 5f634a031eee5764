"""Hive tables: names, existence, location, and the writes behind the atomic commit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spark_runner.engine.errors import EngineError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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


def table_exists(spark, db: str, name: str) -> bool:
    return bool(spark.catalog.tableExists(f"{db}.{name}"))


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


def table_provider(spark, db: str, name: str) -> str:
    """``parquet``, ``orc``, ... (``hive`` for a Hive SerDe table)."""
    meta = (
        spark._jsparkSession.sessionState()
        .catalog()
        .getTableMetadata(
            spark._jvm.org.apache.spark.sql.catalyst.TableIdentifier(
                name, spark._jvm.scala.Option.apply(db)
            )
        )
    )
    provider = meta.provider()
    return str(provider.get()).lower() if provider.isDefined() else "hive"


def partition_columns(spark, db: str, name: str) -> list[str]:
    return [c.name for c in spark.catalog.listColumns(f"{db}.{name}") if c.isPartition]


def table_columns(spark, db: str, name: str) -> list[tuple[str, str]]:
    return [(c.name, c.dataType) for c in spark.catalog.listColumns(f"{db}.{name}")]


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

"""Hive tables: names, existence, location, and the writes behind the atomic commit."""

from __future__ import annotations

import re

from spark_runner.engine.errors import EngineError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def split_table(table: str) -> tuple[str, str]:
    db, dot, name = table.partition(".")
    if not dot or not _NAME.fullmatch(db) or not _NAME.fullmatch(name):
        raise EngineError("definition", f"hive table {table!r} must be written database.table")
    return db.lower(), name.lower()


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

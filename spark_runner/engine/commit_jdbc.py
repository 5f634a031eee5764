"""Database targets: a staging table, then one transaction (see connectors/jdbc.py; MySQL and
MariaDB: connectors/jdbc_mysql.py)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from spark_runner.definition.model import DatabaseTarget
from spark_runner.engine.connectors.jdbc import target_writer
from spark_runner.engine.outputs import Output


class DatabaseOutput(Output):
    kind = "database"

    def __init__(
        self, spark, df: DataFrame, target: DatabaseTarget, run_id: str, secrets, key: str = ""
    ):
        self.df, self.target = df, target
        self.name = f"{target.id} {target.table}"
        self.writer = target_writer(spark, target, run_id, secrets, key or run_id)
        self.columns = list(df.columns)

    def stage(self) -> None:
        self.writer.stage(self.df)

    def commit(self) -> None:
        self.rows_written = self.writer.commit(self.columns)

    def abort(self) -> None:
        self.writer.abort()

    def drop_earlier_attempts(self) -> None:
        self.writer.drop_earlier_attempts()

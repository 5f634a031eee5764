"""Databases over JDBC: sources (parameters bound as values) and all-or-nothing table writes.

Parameters. ``:name`` in ``<sql>`` is replaced by the value as a SQL literal quoted by the
database driver's own escaping (psycopg's ``sql.Literal`` for PostgreSQL: ``'it''s'``, ``E'..'``
for backslashes), never pasted as raw text. The scanner skips string literals, quoted
identifiers, comments and ``::`` casts. Other databases: standard quoting, and a value holding a
backslash or a NUL is refused (their escaping rules differ).

Writes (PostgreSQL): rows go to a staging table first (Spark's JDBC writer, ``writeBatchSize``
rows per batch); the commit then moves them into the target in one transaction (psycopg):
append = INSERT, overwrite = DELETE + INSERT, truncateInsert = TRUNCATE + INSERT, merge =
INSERT .. ON CONFLICT (keys) DO UPDATE. The staging table is dropped in that transaction.
MySQL and MariaDB: the same protocol in jdbc_mysql.py (their dialect of this kind). Other
databases are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pyspark.sql import DataFrame

from spark_runner.definition.model import DatabaseSource, DatabaseTarget
from spark_runner.engine.confine import check_connection
from spark_runner.engine.errors import EngineError
from spark_runner.engine.outputs import Output
from spark_runner.engine.schema import conform
from spark_runner.engine.storage import SourceRead, StorageKind, storage_kind

# The databases sources and targets work with, and the driver each is read and written with
# (MySQL through MariaDB's Connector/J: see jdbc_mysql.py).
DRIVERS = {
    "postgresql": "org.postgresql.Driver",
    "mysql": "org.mariadb.jdbc.Driver",
    "mariadb": "org.mariadb.jdbc.Driver",
}
SUPPORTED = ", ".join(f"jdbc:{kind}:" for kind in DRIVERS)
ISOLATION_SQL = {
    "READ_COMMITTED": "READ COMMITTED",
    "READ_UNCOMMITTED": "READ UNCOMMITTED",
    "REPEATABLE_READ": "REPEATABLE READ",
    "SERIALIZABLE": "SERIALIZABLE",
}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


@storage_kind(source=DatabaseSource, target=DatabaseTarget)
class Database(StorageKind):
    name = "database"

    def read(self, source: DatabaseSource, run, fields) -> SourceRead:
        check_connection(run.ctx.policy, source)
        df = read_jdbc(run.spark, source, run.params, run.ctx.secrets)
        if fields is not None:
            df = conform(df, fields, f"source {source.id}")
        return SourceRead(df)

    def output(self, target: DatabaseTarget, df: DataFrame, run) -> Output:
        self.check_target(target, run)
        ctx = run.ctx
        return DatabaseOutput(run.spark, df, target, ctx.run_id, ctx.secrets, ctx.key)

    def check_target(self, target: DatabaseTarget, run) -> None:
        check_connection(run.ctx.policy, target)

    def target_where(self, target: DatabaseTarget) -> str:
        return f"target database {target.id}"


def vendor(url: str) -> str:
    match = re.match(r"jdbc:([a-z0-9]+):", url or "")
    if not match:
        raise EngineError("connection", "jdbcUrl must start with jdbc:<database>:")
    return match.group(1)


def driver_class(url: str) -> str:
    kind = vendor(url)
    if kind not in DRIVERS:
        raise EngineError(
            "connection",
            f"jdbc:{kind}: databases are not supported; use one of {SUPPORTED}",
        )
    return DRIVERS[kind]


def spark_url(url: str) -> str:
    """The URL Spark reads and writes with (MySQL's dialect for jdbc:mariadb:, see jdbc_mysql)."""
    from spark_runner.engine.storage.jdbc_mysql import MYSQL_KINDS
    from spark_runner.engine.storage.jdbc_mysql import spark_url as mysql_url

    return mysql_url(url) if vendor(url) in MYSQL_KINDS else url


def credentials(secrets, ref: str | None) -> tuple[str | None, str | None]:
    """``userSecretRef`` -> (user, password) from a ``user:password`` secret."""
    if not ref:
        return None, None
    try:
        value = secrets.get(ref)
    except LookupError as exc:
        raise EngineError("connection", str(exc)) from None
    user, colon, password = value.partition(":")
    if not colon:
        raise EngineError("connection", f'secret "{ref}" must hold user:password')
    return user, password


def bind_parameters(sql: str, params: Mapping[str, str], url: str) -> str:
    """Replaces each ``:name`` outside literals/comments by the quoted value of ``params[name]``."""
    out = []
    i, n = 0, len(sql)
    quote = _quoter(url)
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
        elif sql.startswith("::", i):
            out.append("::")
            i += 2
        elif c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            match = _IDENT.match(sql, i + 1)
            param = match.group(0)
            if param not in params:
                raise EngineError("definition", f"<sql> uses :{param}, which has no value")
            out.append(quote(str(params[param])))
            i = match.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _quoter(url: str):
    if vendor(url) == "postgresql":
        from psycopg import sql

        return lambda value: sql.Literal(value).as_string(None)

    def standard(value: str) -> str:
        if "\\" in value or "\x00" in value:
            raise EngineError(
                "definition", "a parameter value holding a backslash is refused for this database"
            )
        return "'" + value.replace("'", "''") + "'"

    return standard


def read_options(source, params: Mapping[str, str], secrets) -> dict[str, str]:
    url = source.jdbc_url
    options = {"url": spark_url(url), "driver": driver_class(url)}
    if source.sql:
        options["query"] = bind_parameters(source.sql.strip().rstrip(";"), params, url)
    else:
        options["dbtable"] = quote_table(source.table)
    if source.fetch_size:
        options["fetchsize"] = str(source.fetch_size)
    if source.isolation_level:
        level = ISOLATION_SQL[source.isolation_level]
        options["sessionInitStatement"] = (
            f"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {level}"
            if vendor(url) == "postgresql"
            else f"SET SESSION TRANSACTION ISOLATION LEVEL {level}"
        )
    user, password = credentials(secrets, source.user_secret_ref)
    if user is not None:
        options["user"] = user
        options["password"] = password or ""
    return options


def quote_table(table: str) -> str:
    parts = table.split(".")
    if not all(_IDENT.fullmatch(p) for p in parts) or len(parts) > 3:
        raise EngineError("definition", f"table name {table!r} is not schema.table")
    return table


def read_jdbc(spark, source, params: Mapping[str, str], secrets):
    options = read_options(source, params, secrets)
    return spark.read.format("jdbc").options(**options).load()


# ---------------------------------------------------------------- writes


APPLIED_TABLE = "hub_applied_outputs"


def target_writer(spark, target, run_id: str, secrets, key: str = ""):
    """The writer for the target's database: PostgreSQL here, MySQL/MariaDB in jdbc_mysql."""
    kind = vendor(target.jdbc_url)
    driver_class(target.jdbc_url)  # refuses the databases not supported, naming those that are
    if kind == "postgresql":
        return JdbcTargetWriter(spark, target, run_id, secrets, key)
    from spark_runner.engine.storage.jdbc_mysql import MysqlTargetWriter

    return MysqlTargetWriter(spark, target, run_id, secrets, key)


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


class JdbcTargetWriter:
    """Stages rows into ``<table>__hub_<key>_<run>`` (output key and attempt), then commits them
    in one transaction."""

    def __init__(self, spark, target, run_id: str, secrets, key: str = ""):
        if vendor(target.jdbc_url) != "postgresql":
            raise EngineError(
                "target",
                f"database target {target.id}: only PostgreSQL targets can be committed "
                "atomically here (jdbc:postgresql://...)",
            )
        self.spark = spark
        self.target = target
        self.user, self.password = credentials(secrets, target.user_secret_ref)
        schema, _, table = quote_table(target.table).rpartition(".")
        self.schema = schema or "public"
        self.table = table
        self.key = key or run_id
        # 30 + 6 + 12 + 1 + 12 characters: within PostgreSQL's 63.
        self.key_prefix = f"{table[:30]}__hub_{_short(self.key)}_"
        self.staging = f"{self.key_prefix}{_short(run_id)}"
        # the name before attempts were in it (``<table>__hub_<key>``), left by a killed one
        self.earlier_staging = f"{table[:40]}__hub_{_short(self.key, 16)}"
        self.skipped = False  # append already applied by an earlier run with the same key

    def _connect(self):
        import psycopg

        from spark_runner.engine.session import postgres_conninfo

        info = postgres_conninfo(self.target.jdbc_url, self.user, self.password)
        try:
            return psycopg.connect(**info, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise EngineError("connection", _pg_message(exc)) from None

    def stage(self, df) -> None:
        options = {
            "url": self.target.jdbc_url,
            "driver": driver_class(self.target.jdbc_url),
            "dbtable": f'"{self.schema}"."{self.staging}"',
            "batchsize": str(self.target.write_batch_size or 1000),
            "truncate": "false",
        }
        if self.user is not None:
            options["user"] = self.user
            options["password"] = self.password or ""
        with self._connect() as conn:
            self._drop_staging(conn)
            # an earlier attempt with this output key was killed: its staging tables go
            self._drop_earlier(conn)
        df.write.format("jdbc").options(**options).mode("overwrite").save()

    def _drop_earlier(self, conn) -> None:
        """Drops every other attempt's staging table of this output key."""
        like = self.key_prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
        names = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE %s",
            (self.schema, like + "%"),
        ).fetchall()
        for (table,) in [*names, (self.earlier_staging,)]:
            if table != self.staging:
                self._drop_staging(conn, table)

    def drop_earlier_attempts(self) -> None:
        """After a successful commit; waits at most 5 s for a lock a reaped attempt still holds."""
        with self._connect() as conn:
            conn.execute("SET lock_timeout = '5s'")
            self._drop_earlier(conn)

    def _drop_staging(self, conn, staging: str | None = None) -> None:
        from psycopg import sql

        conn.execute(
            sql.SQL("DROP TABLE IF EXISTS {}.{}").format(
                sql.Identifier(self.schema), sql.Identifier(staging or self.staging)
            )
        )

    def commit(self, columns: list[str]) -> int:
        from psycopg import sql

        target = sql.Identifier(self.schema, self.table)
        staging = sql.Identifier(self.schema, self.staging)
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        mode = self.target.mode
        with self._connect() as conn, conn.transaction():
            if self.target.isolation_level:
                conn.execute(
                    sql.SQL("SET TRANSACTION ISOLATION LEVEL {}").format(
                        sql.SQL(ISOLATION_SQL[self.target.isolation_level])
                    )
                )
            exists = conn.execute(
                "SELECT to_regclass(%s) IS NOT NULL", (f'"{self.schema}"."{self.table}"',)
            ).fetchone()[0]
            if not exists:
                conn.execute(
                    sql.SQL("CREATE TABLE {} AS SELECT {} FROM {} WITH NO DATA").format(
                        target, cols, staging
                    )
                )
            if mode == "append" and not self._first_application(conn):
                self.skipped = True
                self._drop_staging(conn)
                return 0
            if mode == "overwrite":
                conn.execute(sql.SQL("DELETE FROM {}").format(target))
            elif mode == "truncateInsert":
                conn.execute(sql.SQL("TRUNCATE {}").format(target))
            insert = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
                target, cols, cols, staging
            )
            if mode == "merge":
                keys = list(self.target.keys) or self._primary_key(conn)
                if not keys:
                    raise EngineError(
                        "target",
                        f"database target {self.target.id}: merge needs keys and table "
                        f"{self.target.table} has no primary key",
                    )
                others = [c for c in columns if c not in keys]
                action = (
                    sql.SQL("DO UPDATE SET {}").format(
                        sql.SQL(", ").join(
                            sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c))
                            for c in others
                        )
                    )
                    if others
                    else sql.SQL("DO NOTHING")
                )
                insert = sql.SQL("{} ON CONFLICT ({}) {}").format(
                    insert, sql.SQL(", ").join(sql.Identifier(k) for k in keys), action
                )
            cursor = conn.execute(insert)
            written = cursor.rowcount
            self._drop_staging(conn)
        return written

    def _first_application(self, conn) -> bool:
        """Records (target table, output key) in ``<schema>.hub_applied_outputs`` inside the
        commit's transaction; False when that key was applied already (the append is then
        skipped). A concurrent commit with the same key waits on the row's lock and skips."""
        from psycopg import sql

        applied = sql.Identifier(self.schema, APPLIED_TABLE)
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (target text NOT NULL, output_key text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (target, output_key))"
            ).format(applied)
        )
        inserted = conn.execute(
            sql.SQL(
                "INSERT INTO {} (target, output_key) VALUES (%s, %s) ON CONFLICT DO NOTHING"
            ).format(applied),
            (f"{self.schema}.{self.table}", self.key),
        ).rowcount
        return inserted == 1

    def _primary_key(self, conn) -> list[str]:
        rows = conn.execute(
            """SELECT a.attname FROM pg_index i
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
               WHERE i.indrelid = to_regclass(%s) AND i.indisprimary ORDER BY a.attnum""",
            (f'"{self.schema}"."{self.table}"',),
        ).fetchall()
        return [r[0] for r in rows]

    def abort(self) -> None:
        try:
            with self._connect() as conn:
                self._drop_staging(conn)
        except Exception:  # noqa: S110 - best effort cleanup
            pass


def _short(value: str, length: int = 12) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", value)[:length].lower() or "run"


def _pg_message(exc) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text

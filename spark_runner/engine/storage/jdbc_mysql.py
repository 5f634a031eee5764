"""MySQL and MariaDB targets (``jdbc:mysql://`` or ``jdbc:mariadb://``): a staging table, then one
transaction, as for PostgreSQL (see jdbc.py), through the MariaDB Connector/J driver
(Debian's ``libmariadb-java``, ``/usr/share/java/mariadb-java-client.jar``).

The driver: Connector/J 2.x takes ``jdbc:mysql:`` URLs as they are; 3.x only with
``permitMysqlScheme``, which ``driver_url`` adds (2.x ignores it). Spark is always handed the
``jdbc:mysql:`` form, whose dialect quotes names with backticks and maps types for MySQL.

The commit, on one connection (the engine's JVM, the same driver Spark staged with):

* before the transaction (MySQL commits implicitly around DDL): the target table is created
  from the staging table's columns when missing; ``hub_applied_outputs`` likewise;
* in the transaction: append = INSERT (skipped when the output key was applied already),
  overwrite and truncateInsert = DELETE + INSERT (``TRUNCATE`` would commit on its own),
  merge = ``INSERT .. ON DUPLICATE KEY UPDATE`` on the keys, which must be the table's primary
  key or a unique index (that is what MySQL matches rows on). Columns are named, never by
  position;
* after it: the staging table is dropped (also by ``abort`` and by the next attempt).
"""

from __future__ import annotations

import re

from spark_runner.engine.errors import EngineError

DRIVER = "org.mariadb.jdbc.Driver"
MYSQL_KINDS = ("mysql", "mariadb")
APPLIED_TABLE = "hub_applied_outputs"
_ISOLATION = {  # java.sql.Connection.TRANSACTION_*
    "READ_UNCOMMITTED": 1,
    "READ_COMMITTED": 2,
    "REPEATABLE_READ": 4,
    "SERIALIZABLE": 8,
}


def spark_url(url: str) -> str:
    """The URL handed to Spark: ``jdbc:mysql:`` so that Spark's MySQL dialect applies."""
    return re.sub(r"^jdbc:mariadb:", "jdbc:mysql:", url)


def driver_url(url: str) -> str:
    """``spark_url`` with ``permitMysqlScheme`` (Connector/J 3 refuses ``jdbc:mysql:`` without)."""
    url = spark_url(url)
    if "permitMysqlScheme" in url:
        return url
    return url + ("&" if "?" in url else "?") + "permitMysqlScheme"


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class MysqlTargetWriter:
    """Stages rows into ``<table>__hub_<run>`` then commits them in one transaction."""

    def __init__(self, spark, target, run_id: str, secrets, key: str = ""):
        from spark_runner.engine.storage.jdbc import credentials, quote_table

        self.spark = spark
        self.target = target
        self.user, self.password = credentials(secrets, target.user_secret_ref)
        parts = quote_table(target.table).split(".")
        if len(parts) > 2:
            raise EngineError(
                "definition", f"table name {target.table!r}: MySQL tables are database.table"
            )
        self.database = parts[0] if len(parts) == 2 else None  # None: the URL's database
        self.table = parts[-1]
        suffix = re.sub(r"[^A-Za-z0-9]", "", run_id)[:16].lower() or "run"
        self.staging = f"{self.table[:40]}__hub_{suffix}"
        self.key = key or run_id
        earlier = re.sub(r"[^A-Za-z0-9]", "", self.key)[:16].lower() or "run"
        self.earlier_staging = f"{self.table[:40]}__hub_{earlier}"
        self.skipped = False

    def _name(self, table: str) -> str:
        return f"{quote(self.database)}.{quote(table)}" if self.database else quote(table)

    def _connect(self):
        jvm = self.spark._jvm
        props = jvm.java.util.Properties()
        if self.user is not None:
            props.setProperty("user", self.user)
            props.setProperty("password", self.password or "")
        try:
            # The driver class itself, not DriverManager: it sees only the system class path.
            conn = jvm.org.mariadb.jdbc.Driver().connect(driver_url(self.target.jdbc_url), props)
        except Exception as exc:
            raise EngineError("connection", _first_line(exc)) from None
        if conn is None:
            raise EngineError("connection", "the MariaDB driver does not accept this jdbcUrl")
        return conn

    def stage(self, df) -> None:
        options = {
            "url": spark_url(self.target.jdbc_url),
            "driver": DRIVER,
            "dbtable": self._name(self.staging),
            "batchsize": str(self.target.write_batch_size or 1000),
            "truncate": "false",
        }
        if self.user is not None:
            options["user"] = self.user
            options["password"] = self.password or ""
        conn = self._connect()
        try:
            self._drop(conn, self.staging)
            if self.earlier_staging != self.staging:
                # an earlier attempt with this output key was killed: its staging table goes
                self._drop(conn, self.earlier_staging)
        finally:
            conn.close()
        df.write.format("jdbc").options(**options).mode("overwrite").save()

    def commit(self, columns: list[str]) -> int:
        mode = self.target.mode
        cols = ", ".join(quote(c) for c in columns)
        target, staging = self._name(self.table), self._name(self.staging)
        conn = self._connect()
        try:
            if not self._exists(conn, self.table):
                _execute(conn, f"CREATE TABLE {target} AS SELECT {cols} FROM {staging} WHERE 1=0")
            keys: list[str] = []
            if mode == "merge":
                keys = self._merge_keys(conn)
            if mode == "append":
                _execute(
                    conn,
                    f"CREATE TABLE IF NOT EXISTS {self._name(APPLIED_TABLE)} ("
                    "target varchar(255) NOT NULL, output_key varchar(255) NOT NULL, "
                    "applied_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP, "
                    "PRIMARY KEY (target, output_key))",
                )
            if self.target.isolation_level:
                conn.setTransactionIsolation(_ISOLATION[self.target.isolation_level])
            conn.setAutoCommit(False)
            try:
                written = self._apply(conn, mode, cols, target, staging, columns, keys)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            conn.setAutoCommit(True)
            self._drop(conn, self.staging)
            return written
        finally:
            conn.close()

    def _apply(self, conn, mode, cols, target, staging, columns, keys) -> int:
        if mode == "append" and not self._first_application(conn):
            self.skipped = True
            return 0
        if mode in ("overwrite", "truncateInsert"):
            _execute(conn, f"DELETE FROM {target}")
        insert = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {staging}"
        if mode != "merge":
            return _execute(conn, insert)
        others = [c for c in columns if c not in keys]
        # No other column: a key already there is left as it is.
        updates = [f"{quote(c)} = VALUES({quote(c)})" for c in others] or [
            f"{quote(keys[0])} = {quote(keys[0])}"
        ]
        _execute(conn, f"{insert} ON DUPLICATE KEY UPDATE {', '.join(updates)}")
        # MySQL counts an update twice; the run reports the rows it brought.
        return _query_int(conn, f"SELECT COUNT(*) FROM {staging}")

    def _merge_keys(self, conn) -> list[str]:
        unique = self._unique_keys(conn)
        keys = list(self.target.keys)
        if not keys:
            primary = unique.get("PRIMARY")
            if not primary:
                raise EngineError(
                    "target",
                    f"database target {self.target.id}: merge needs keys and table "
                    f"{self.target.table} has no primary key",
                )
            return primary
        wanted = {k.lower() for k in keys}
        if not any({c.lower() for c in cols} == wanted for cols in unique.values()):
            raise EngineError(
                "target",
                f"database target {self.target.id}: merge keys {', '.join(keys)} must be the "
                f"primary key or a unique index of {self.target.table} on MySQL/MariaDB "
                "(INSERT .. ON DUPLICATE KEY UPDATE matches rows on those)",
            )
        return keys

    def _unique_keys(self, conn) -> dict[str, list[str]]:
        statement = conn.prepareStatement(
            "SELECT index_name, column_name FROM information_schema.statistics "
            "WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? AND non_unique = 0 "
            "ORDER BY index_name, seq_in_index"
        )
        try:
            statement.setString(1, self.database)
            statement.setString(2, self.table)
            result = statement.executeQuery()
            found: dict[str, list[str]] = {}
            while result.next():
                found.setdefault(result.getString(1), []).append(result.getString(2))
            return found
        finally:
            statement.close()

    def _exists(self, conn, table: str) -> bool:
        statement = conn.prepareStatement(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ?"
        )
        try:
            statement.setString(1, self.database)
            statement.setString(2, table)
            result = statement.executeQuery()
            result.next()
            return result.getInt(1) > 0
        finally:
            statement.close()

    def _first_application(self, conn) -> bool:
        """Records (target table, output key) in ``hub_applied_outputs`` inside the commit's
        transaction; False when that key was applied already (the append is then skipped)."""
        statement = conn.prepareStatement(
            f"INSERT IGNORE INTO {self._name(APPLIED_TABLE)} (target, output_key) VALUES (?, ?)"
        )
        try:
            statement.setString(1, f"{self.database or ''}.{self.table}".lstrip("."))
            statement.setString(2, self.key)
            return statement.executeUpdate() == 1
        finally:
            statement.close()

    def _drop(self, conn, table: str) -> None:
        _execute(conn, f"DROP TABLE IF EXISTS {self._name(table)}")

    def abort(self) -> None:
        try:
            conn = self._connect()
            try:
                self._drop(conn, self.staging)
            finally:
                conn.close()
        except Exception:  # noqa: S110 - best effort cleanup
            pass


def _execute(conn, sql: str) -> int:
    statement = conn.createStatement()
    try:
        return statement.executeUpdate(sql)
    except Exception as exc:
        raise EngineError("target", _first_line(exc)) from None
    finally:
        statement.close()


def _query_int(conn, sql: str) -> int:
    statement = conn.createStatement()
    try:
        result = statement.executeQuery(sql)
        result.next()
        return int(result.getLong(1))
    finally:
        statement.close()


def _first_line(exc: BaseException) -> str:
    java = getattr(exc, "java_exception", None)
    text = str(java.getMessage()) if java is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__

"""MySQL/MariaDB sources and targets against the MariaDB server at 127.0.0.1:3306 (root, no
password), in a scratch database made for this test run. The tests read and set up the
database with the ``mariadb`` command-line client, not with the engine's own driver code."""

import subprocess
import uuid

import pytest

from tests.engine.helpers import Workspace, read_csv_dir, rows

pytestmark = pytest.mark.spark

HOST = "127.0.0.1"
SALES = "id,day,amount\n2,2024-03-01,25\n4,2024-03-01,40\n"


def sql(statement: str, database: str | None = None) -> list[tuple[str, ...]]:
    argv = ["mariadb", "-h", HOST, "-P", "3306", "-u", "root", "--batch", "--skip-column-names"]
    argv += [database] if database else []
    done = subprocess.run(
        [*argv, "-e", statement], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [tuple(line.split("\t")) for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def mysql_db():
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    yield name
    sql(f"DROP DATABASE IF EXISTS {name}")


def url(database: str, kind: str = "mysql") -> str:
    return f"jdbc:{kind}://{HOST}:3306/{database}"


def test_a_mysql_source_binds_parameters_as_values_and_reads_with_a_secret(
    spark, tmp_path, mysql_db
):
    # given: credentials only in the secret; an injection attempt as a parameter value
    sql(
        "CREATE TABLE customers (id int PRIMARY KEY, name varchar(50), updated date);"
        "CREATE TABLE x (a int);"
        "INSERT INTO customers VALUES (1, 'Ann', '2024-01-01'), (2, 'Zoë', '2024-03-01'),"
        " (3, NULL, '2024-03-05'), (4, 'it''s', '2024-03-06')",
        mysql_db,
    )
    ws = Workspace(spark, tmp_path, env={"HUB_SECRET_CRM_LOGIN": "root:"})
    pipeline = ws.pipeline(
        f'<sources><database id="db" jdbcUrl="{url(mysql_db)}" userSecretRef="crm.login"'
        ' fetchSize="2" isolationLevel="READ_COMMITTED" loadPolicy="eager">'
        "<sql><![CDATA[SELECT id, name FROM customers WHERE updated >= :since"
        " OR name = :who]]></sql></database></sources>"
        '<targets><csv path="out/db"/></targets>',
        params='<parameters><parameter name="since" default="2024-03-01"/>'
        '<parameter name="who"/></parameters>',
    )
    # when
    result = ws.run(pipeline, params={"who": "'; DROP TABLE x; --"})
    # then
    assert result.ok, result.error
    assert rows(read_csv_dir(spark, ws.app_root / "out/db"), "id", "name") == [
        ("2", "Zoë"),
        ("3", None),
        ("4", "it's"),
    ]
    assert sql("SHOW TABLES LIKE 'x'", mysql_db) == [("x",)]
    # a jdbc:mariadb: URL and a table source read the same rows
    table = ws.run(
        ws.pipeline(
            f'<sources><database id="db" jdbcUrl="{url(mysql_db, "mariadb")}?user=root">'
            f'<table name="{mysql_db}.customers"/></database></sources>'
            '<targets><csv path="out/t"/></targets>',
            pid="t",
        )
    )
    assert table.ok, table.error
    assert table.targets[0].rows_written == 4


def test_mysql_targets_commit_each_mode_in_one_transaction(spark, tmp_path, mysql_db):
    # given: a keyed table whose columns are in another order than the data's
    sql(
        "CREATE TABLE sales_m (amount varchar(10), id varchar(10) PRIMARY KEY, day varchar(10));"
        "INSERT INTO sales_m VALUES ('5', '1', '2024-02-01'), ('y', '2', 'x')",
        mysql_db,
    )
    ws = Workspace(spark, tmp_path, env={"HUB_SECRET_DB": "root:"})
    ws.file("in/sales.csv", SALES)

    def to_db(mode, table, extra=""):
        return ws.pipeline(
            '<sources><csv id="s" path="in/sales.csv"/></sources>'
            f'<targets><database id="crm" jdbcUrl="{url(mysql_db)}" userSecretRef="db"'
            f' mode="{mode}" writeBatchSize="1" {extra}><table name="{table}"/>'
            "</database></targets>",
            pid=f"d_{mode}",
        )

    def table(name):
        return sorted(sql(f"SELECT id, day, amount FROM {name}", mysql_db))

    # append: a new table; the same run key twice adds the rows once
    first = ws.run(to_db("append", "sales_t"), run_id="run-a")
    assert first.ok, first.error
    assert ws.run(to_db("append", "sales_t"), run_id="run-a").ok
    assert table("sales_t") == [("2", "2024-03-01", "25"), ("4", "2024-03-01", "40")]
    assert ws.run(to_db("append", "sales_t")).ok
    assert len(table("sales_t")) == 4
    assert ws.run(to_db("truncateInsert", "sales_t")).ok
    assert table("sales_t") == [("2", "2024-03-01", "25"), ("4", "2024-03-01", "40")]
    assert ws.run(to_db("overwrite", f"{mysql_db}.sales_t")).ok
    assert table("sales_t") == [("2", "2024-03-01", "25"), ("4", "2024-03-01", "40")]
    # merge: an upsert on the keys, columns matched by name
    merged = ws.run(to_db("merge", "sales_m", 'keys="id"'))
    assert merged.ok, merged.error
    assert table("sales_m") == [
        ("1", "2024-02-01", "5"),
        ("2", "2024-03-01", "25"),
        ("4", "2024-03-01", "40"),
    ]
    assert merged.targets[0].rows_written == 2
    # keys that are not the primary key or a unique index: refused before anything changes
    wrong = ws.run(to_db("merge", "sales_m", 'keys="day"'))
    assert wrong.error.category == "target"
    assert "primary key or a unique index" in wrong.error.message
    assert len(table("sales_m")) == 3
    leftovers = sql(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
        " AND table_name LIKE '%\\_\\_hub\\_%'",
        mysql_db,
    )
    assert leftovers == [("0",)]


def test_a_failed_mysql_commit_leaves_the_table_as_it_was(spark, tmp_path, mysql_db):
    # given: a target whose amount column cannot take the data (strict mode refuses 'abc')
    sql(
        "CREATE TABLE strict_t (id varchar(10) PRIMARY KEY, day varchar(10), amount int);"
        "INSERT INTO strict_t VALUES ('9', 'd', 1)",
        mysql_db,
    )
    ws = Workspace(spark, tmp_path)
    ws.file("in/bad.csv", "id,day,amount\n1,d,2\n2,d,abc\n")
    pipeline = ws.pipeline(
        '<sources><csv id="s" path="in/bad.csv"/></sources>'
        f'<targets><database id="crm" jdbcUrl="{url(mysql_db)}?user=root" mode="overwrite">'
        '<table name="strict_t"/></database></targets>'
    )
    # when
    result = ws.run(pipeline)
    # then: the DELETE was rolled back with the INSERT
    assert result.status == "failed"
    assert (result.error.category, result.error.where) == (
        "target",
        "commit target database crm strict_t",
    )
    assert sql("SELECT id, day, amount FROM strict_t", mysql_db) == [("9", "d", "1")]


@pytest.mark.parametrize("kind", ["sqlserver", "oracle"])
def test_other_databases_are_refused_naming_the_supported_ones(spark, tmp_path, kind):
    ws = Workspace(spark, tmp_path)
    ws.file("in/sales.csv", SALES)
    source = ws.run(
        ws.pipeline(
            f'<sources><database id="db" jdbcUrl="jdbc:{kind}://h/db"><table name="t"/>'
            '</database></sources><targets><csv path="out/x"/></targets>',
            pid="s",
        )
    )
    target = ws.run(
        ws.pipeline(
            '<sources><csv id="s" path="in/sales.csv"/></sources>'
            f'<targets><database id="crm" jdbcUrl="jdbc:{kind}://h/db"><table name="t"/>'
            "</database></targets>",
            pid="t",
        )
    )
    for result in (source, target):
        assert result.status == "failed"
        assert f"jdbc:{kind}: databases are not supported" in result.error.message
        assert "jdbc:postgresql:, jdbc:mysql:, jdbc:mariadb:" in result.error.message

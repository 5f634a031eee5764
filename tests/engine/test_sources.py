"""Sources: CSV (schema, bad rows, compression, wildcards) and JDBC (bound parameters)."""

import gzip

import psycopg
import pytest

from spark_runner.engine.storage.jdbc import bind_parameters
from tests.engine.helpers import JDBC, Workspace, read_csv_dir, rows

pytestmark = pytest.mark.spark

CUSTOMER_AVSC = """{"type": "record", "name": "C", "fields": [
  {"name": "id", "type": "long"}, {"name": "name", "type": ["null", "string"]},
  {"name": "joined", "type": ["null", {"type": "int", "logicalType": "date"}]}]}"""


def _schema(ws):
    ws.config_file(f"applications/{ws.app}/{ws.layer}/schemas/c.avsc", CUSTOMER_AVSC)


def test_a_csv_source_with_a_schema_reads_typed_rows_from_gzip_files_by_wildcard(spark, tmp_path):
    # given: two files, one gzipped, pipe-delimited, matched by a wildcard
    ws = Workspace(spark, tmp_path)
    _schema(ws)
    ws.file("in/a.csv", "id|name|joined\n1|Ann|2024-01-02\n2||\n")
    ws.file("in/b.csv.gz", gzip.compress("id|name|joined\n3|Zoë|2024-02-03\n".encode()))
    pipeline = ws.pipeline(
        '<sources><csv id="c" path="in/*.csv*" delimiter="|" schemaRef="c.avsc"/></sources>'
        '<targets><hive table="src_test.typed" mode="overwrite"/></targets>'
    )
    # when
    result = ws.run(pipeline)
    # then
    assert result.ok, result.error
    table = spark.table("src_test.typed")
    assert dict(table.dtypes) == {"id": "bigint", "name": "string", "joined": "date"}
    got = rows(table, "id", "name", "joined")
    assert [(i, n, str(j) if j else None) for i, n, j in got] == [
        (1, "Ann", "2024-01-02"),
        (2, None, None),
        (3, "Zoë", "2024-02-03"),
    ]


def test_rows_not_fitting_the_schema_fail_the_run_with_their_count_and_first_line(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    _schema(ws)
    ws.file("in/c.csv", "id,name,joined\n1,Ann,2024-01-02\nx1,Bad,2024-01-02\n3,Cy,notadate\n")
    ws.file("out/c/part-0.csv", "old\n")
    pipeline = ws.pipeline(
        '<sources><csv id="c" path="in/c.csv" schemaRef="c.avsc"/></sources>'
        '<targets><csv path="out/c"/></targets>'
    )
    result = ws.run(pipeline)
    assert result.status == "failed"
    assert (result.error.category, result.error.where) == ("invalid_rows", "source c"), result.error
    assert "2 row(s)" in result.error.message
    assert "x1,Bad,2024-01-02" in result.error.message
    assert (ws.app_root / "out/c/part-0.csv").read_text() == "old\n"


def test_rejected_rows_go_to_the_rejects_folder_and_the_rest_is_written(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    _schema(ws)
    ws.file("in/c.csv", "id,name,joined\n1,Ann,2024-01-02\nx1,Bad,2024-01-02\n3,Cy,\n")
    pipeline = ws.pipeline(
        '<sources><csv id="c" path="in/c.csv" schemaRef="c.avsc" onInvalidRows="reject"/>'
        '</sources><targets><csv path="out/c"/></targets>'
    )
    result = ws.run(pipeline, run_id="r1")
    assert result.ok, result.error
    assert rows(read_csv_dir(spark, ws.app_root / "out/c"), "id", "name") == [
        ("1", "Ann"),
        ("3", "Cy"),
    ]
    rejects = ws.app_root / "staging/_rejects/p/c/r1"
    lines = [ln for f in rejects.glob("part-*") for ln in f.read_text().splitlines() if ln.strip()]
    assert lines == ["x1,Bad,2024-01-02"]
    assert [(s.id, s.rejected) for s in result.sources] == [("c", 1)]


def test_a_missing_file_and_a_header_not_matching_the_schema_are_located_errors(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    _schema(ws)
    ws.file("in/wrong.csv", "id,fullname,joined\n1,Ann,2024-01-02\n")
    missing = ws.run(
        ws.pipeline(
            '<sources><csv id="c" path="in/none_*.csv"/></sources>'
            '<targets><csv path="o"/></targets>'
        )
    )
    assert (missing.error.category, missing.error.where) == ("source_missing", "source c")
    assert "in/none_*.csv" in missing.error.message
    wrong = ws.run(
        ws.pipeline(
            '<sources><csv id="c" path="in/wrong.csv" schemaRef="c.avsc"/></sources>'
            '<targets><csv path="o"/></targets>'
        )
    )
    assert (wrong.error.category, wrong.error.where) == ("schema_mismatch", "source c")
    assert "fullname" in wrong.error.message


def test_parameters_are_bound_as_quoted_values_never_as_sql_text():
    url = "jdbc:postgresql://h/db"
    sql = "SELECT * FROM t WHERE d >= :runDate AND s = ':runDate' AND x::text = :v -- :nope"
    bound = bind_parameters(sql, {"runDate": "2024-03-05", "v": "'; DROP TABLE x; --"}, url)
    assert bound == (
        "SELECT * FROM t WHERE d >= '2024-03-05' AND s = ':runDate' "
        "AND x::text = '''; DROP TABLE x; --' -- :nope"
    )


def test_a_database_source_binds_parameters_and_reads_with_a_secret(spark, tmp_path, scratch_db):
    # given: credentials only in the secret; an injection attempt as a parameter value
    ws = Workspace(spark, tmp_path, env={"HUB_SECRET_CRM_LOGIN": "postgres:unused"})
    pipeline = ws.pipeline(
        f'<sources><database id="db" jdbcUrl="{JDBC}" userSecretRef="crm.login" fetchSize="2"'
        ' isolationLevel="REPEATABLE_READ" loadPolicy="eager">'
        "<sql><![CDATA[SELECT id, name FROM customers WHERE updated >= CAST(:since AS date)"
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
    with psycopg.connect(scratch_db) as conn:
        assert conn.execute("SELECT to_regclass('x') IS NOT NULL").fetchone()[0]


def test_a_database_table_source_and_a_refused_connection(spark, tmp_path, scratch_db):
    ws = Workspace(spark, tmp_path, env={"HUB_SECRET_BAD": "u:hunter2"})
    ok = ws.run(
        ws.pipeline(
            f'<sources><database id="db" jdbcUrl="{JDBC}?user=postgres">'
            '<table name="public.customers"/></database></sources>'
            '<targets><csv path="out/t"/></targets>'
        )
    )
    assert ok.ok, ok.error
    assert ok.targets[0].rows_written == 4
    refused = ws.run(
        ws.pipeline(
            '<sources><database id="db" jdbcUrl="jdbc:postgresql://127.0.0.1:1/x" '
            'userSecretRef="bad"><table name="t"/></database></sources>'
            '<targets><csv path="out/r"/></targets>'
        )
    )
    assert (refused.error.category, refused.error.where) == ("connection", "source db")
    assert "hunter2" not in refused.error.message + refused.error.java_trace


def _source(**kw):
    from spark_runner.definition.model import CsvSource

    fields = {"id": "c", "path": "x.csv", "header": True, "delimiter": ",", "infer_schema": False}
    fields.update(kw)
    return CsvSource(**{k: v for k, v in fields.items() if k in CsvSource.__dataclass_fields__})


@pytest.mark.parametrize(
    ("text", "options", "expected_columns", "expected_rows"),
    [
        (
            '\ufeffid,"name, full",Name,,id,Zoë\n1,"Ann, B",x,,2,ü\n',
            {},
            ["id0", "name, full", "Name", "_c3", "id4", "Zoë"],
            [("1", "Ann, B", "x", None, "2", "ü")],
        ),
        ("a;b\n1;2\n3;\n", {"delimiter": ";"}, ["a", "b"], [("1", "2"), ("3", None)]),
        (
            "1,2,3\n4,5,6\n",
            {"header": False},
            ["_c0", "_c1", "_c2"],
            [("1", "2", "3"), ("4", "5", "6")],
        ),
    ],
)
def test_a_csv_source_without_schema_takes_its_names_from_the_first_line_without_a_spark_job(
    spark, tmp_path, text, options, expected_columns, expected_rows
):
    from spark_runner.engine.storage.csv import read_csv

    # given
    path = tmp_path / "in.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    tracker = spark.sparkContext.statusTracker()
    spark.sparkContext.setJobGroup("header-probe", "header probe")
    # when
    read = read_csv(spark, _source(**options), f"file://{path}", None)
    jobs = tracker.getJobIdsForGroup("header-probe")
    spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    # then
    assert list(jobs) == []
    assert read.df.columns == expected_columns
    assert sorted(tuple(r) for r in read.df.collect()) == expected_rows

"""CSV as RFC 4180 writes it, both ways: doubled quotes, delimiters and line breaks inside quotes,
CRLF, a UTF-8 BOM, header-only files, ragged rows (bad rows, never padded), and null (an empty
unquoted field) versus the empty string (``""``) kept through a round trip. An export is read back
alike by Python's csv module, DuckDB and the engine."""

import csv
import io

import duckdb
import pytest

from tests.engine.helpers import Workspace

pytestmark = pytest.mark.spark

NAMES_AVSC = """{"type": "record", "name": "N", "fields": [
  {"name": "id", "type": "long"}, {"name": "name", "type": ["null", "string"]},
  {"name": "note", "type": ["null", "string"]}]}"""


def _export(ws, source_attrs="", pid="p", target_attrs=""):
    return ws.pipeline(
        f'<sources><csv id="s" path="in/data.csv" {source_attrs}/></sources>'
        f'<targets><csv path="out/{pid}" mode="overwrite" {target_attrs}/></targets>',
        pid=pid,
    )


def _export_text(ws, pid="p") -> str:
    parts = sorted((ws.app_root / "out" / pid).glob("part-*"))
    return "".join(p.read_text(encoding="utf-8") for p in parts)


def _python_rows(text: str) -> list[list[str]]:
    """Rows as Python's csv reads them (header dropped); it has no null, so empty is ''."""
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


def _duckdb_rows(folder, columns) -> list[tuple]:
    types = {c: "VARCHAR" for c in columns}
    return duckdb.sql(
        f"SELECT * FROM read_csv('{folder}/part-*', header=true, columns={types},"
        " quote='\"', escape='\"', allow_quoted_nulls=false)"
    ).fetchall()


def _engine_rows(spark, ws, folder_relative: str, pid: str) -> list[tuple]:
    """The export read by the engine again (a CSV source -> Hive table)."""
    pipeline = ws.pipeline(
        f'<sources><csv id="s" path="{folder_relative}/part-*"/></sources>'
        f'<targets><hive table="rfc.{pid}" mode="overwrite"/></targets>',
        pid=pid,
    )
    result = ws.run(pipeline)
    assert result.ok, result.error
    return [tuple(r) for r in spark.table(f"rfc.{pid}").collect()]


def _by_id(rows):
    return sorted(rows, key=lambda r: int(r[0]))


def test_doubled_quotes_delimiters_and_line_breaks_inside_quotes_are_one_field(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file(
        "in/data.csv",
        'id,name,note\n1,"Ana ""Ani"" Silva","x, y"\n2,"two\nlines","a\r\nb"\n3,plain,\n',
    )
    result = ws.run(_export(ws))
    assert result.ok, result.error
    # a CRLF inside quotes comes out as LF (Spark's CSV parser and writer normalise it)
    assert _by_id(_python_rows(_export_text(ws))) == [
        ["1", 'Ana "Ani" Silva', "x, y"],
        ["2", "two\nlines", "a\nb"],
        ["3", "plain", ""],
    ]


def test_the_engine_reads_back_its_own_export_with_quotes_in_it(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/data.csv", 'id,name,note\n1,"say ""hi""",\\"\n')
    assert ws.run(_export(ws, pid="first")).ok
    again = _engine_rows(spark, ws, "out/first", "again")
    assert again == [("1", 'say "hi"', '\\"')]


def test_crlf_line_ends_and_a_utf8_bom_with_a_schema(spark, tmp_path):
    # a line break inside quotes reads as LF (the parser normalises CRLF there)
    ws = Workspace(spark, tmp_path)
    ws.config_file(f"applications/{ws.app}/{ws.layer}/schemas/n.avsc", NAMES_AVSC)
    ws.file(
        "in/data.csv",
        '\ufeffid,name,note\r\n1,Zoë,"a\r\nb"\r\n2,東京,last\r\n'.encode(),
    )
    result = ws.run(_export(ws, 'schemaRef="n.avsc"'))
    assert result.ok, result.error
    assert _by_id(_python_rows(_export_text(ws))) == [["1", "Zoë", "a\nb"], ["2", "東京", "last"]]


def test_crlf_and_a_bom_without_a_schema_give_clean_names_and_values(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/data.csv", "\ufeffid,name\r\n1,Ann\r\n2,Bo\r\n".encode())
    assert ws.run(_export(ws)).ok
    text = _export_text(ws)
    assert text.splitlines()[0] == "id,name"
    assert _by_id(_python_rows(text)) == [["1", "Ann"], ["2", "Bo"]]


def test_a_header_only_file_gives_no_rows_and_an_export_with_its_header(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/data.csv", "id,name\r\n")
    result = ws.run(_export(ws))
    assert result.ok, result.error
    assert result.targets[0].rows_written == 0
    assert _python_rows(_export_text(ws)) == []


def test_ragged_rows_without_a_schema_are_bad_rows_never_padded(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.file("in/data.csv", "id,name,note\n1,Ann,x\n2,Bo\n3,Cy,z,extra\n")
    failed = ws.run(_export(ws))
    assert failed.status == "failed"
    assert (failed.error.category, failed.error.where) == ("invalid_rows", "source s")
    assert "2 row(s)" in failed.error.message
    assert "2,Bo" in failed.error.message
    assert "as many fields as the header" in failed.error.message
    assert not (ws.app_root / "out/p").exists()


def test_ragged_rows_with_a_schema_are_counted_as_bad_rows(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    ws.config_file(f"applications/{ws.app}/{ws.layer}/schemas/n.avsc", NAMES_AVSC)
    ws.file("in/data.csv", 'id,name,note\n1,Ann,x\n2,Bo\n3,"a,b",c,d\n')
    failed = ws.run(_export(ws, 'schemaRef="n.avsc"'))
    assert failed.error.category == "invalid_rows", failed.error
    assert "2 row(s)" in failed.error.message
    rejected = ws.run(
        _export(ws, 'schemaRef="n.avsc" onInvalidRows="reject"', pid="r"), run_id="r1"
    )
    assert rejected.ok, rejected.error
    assert [(s.id, s.rejected) for s in rejected.sources] == [("s", 2)]
    assert _python_rows(_export_text(ws, "r")) == [["1", "Ann", "x"]]


def test_null_and_empty_string_are_kept_apart_through_a_round_trip(spark, tmp_path):
    # given: an empty unquoted field (null) and "" (an empty string), spaces kept as they are
    ws = Workspace(spark, tmp_path)
    ws.file("in/data.csv", 'id,name,note\n1,,""\n2,"", sp \n3," ",\n')
    # when: exported, then the export read by the engine again
    assert ws.run(_export(ws, pid="first")).ok
    text = _export_text(ws, "first")
    # then: the writer writes "" for the empty string and nothing for null; spaces are data
    assert sorted(text.splitlines()[1:]) == ['1,,""', '2,"", sp ', "3, ,"]
    expected = [("1", None, ""), ("2", "", " sp "), ("3", " ", None)]
    assert _by_id(_engine_rows(spark, ws, "out/first", "second")) == expected
    assert _by_id(_duckdb_rows(ws.app_root / "out/first", ["id", "name", "note"])) == expected


def test_an_export_reads_back_the_same_in_python_duckdb_and_the_engine(spark, tmp_path):
    ws = Workspace(spark, tmp_path)
    values = [
        ("1", 'Ana "Ani" Silva', "a,b"),
        ("2", "line\nbreak", "two\n\nbreaks"),
        ("3", "  padded  ", '"'),
        ("4", "Zoë 東京 🙂", "back\\slash"),
        ("5", "", None),
        ("6", None, ""),
    ]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "name", "note"])
    for row in values:
        writer.writerow(["" if v is None else v for v in row])
    # Python's csv writes None and "" alike (empty): write the empty strings as "" by hand
    text = out.getvalue().replace("5,,\r\n", '5,"",\r\n').replace("6,,\r\n", '6,,""\r\n')
    ws.file("in/data.csv", text.encode())
    assert ws.run(_export(ws, pid="first")).ok
    folder = ws.app_root / "out/first"
    engine = _by_id(_engine_rows(spark, ws, "out/first", "back"))
    duck = _by_id(_duckdb_rows(folder, ["id", "name", "note"]))
    python = _by_id(_python_rows(_export_text(ws, "first")))
    assert engine == values
    assert duck == values
    assert python == [[v if v is not None else "" for v in row] for row in values]

"""A CSV file's first rows read as the engine reads them, and the column types guessed."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from spark_runner.definition.sampling import (
    avro_schema,
    infer_type,
    records,
    sample_csv,
    value_type,
)
from spark_runner.definition.schemas import parse_schema


def test_rfc4180_quotes_nulls_and_line_ends():
    text = 'a,b,c\r\n1,"x, ""y""",\n2,"",\n3,"two\nlines",z'
    assert records(text) == [
        ["a", "b", "c"],
        ["1", 'x, "y"', None],
        ["2", "", None],
        ["3", "two\nlines", "z"],
    ]


def test_a_cut_file_leaves_out_its_last_partial_record():
    assert records("a,b\n1,2\n3,", complete=False) == [["a", "b"], ["1", "2"]]
    assert records('a,b\n1,"open', complete=False) == [["a", "b"]]
    assert records("a,b\n1,2\n", complete=False) == [["a", "b"], ["1", "2"]]


def test_sample_strips_the_bom_names_columns_and_infers_types():
    data = (
        "\ufeffid,name,score,active,born,seen,note\n"
        "1,Anna,1.5,true,1990-01-02,2024-02-01T09:00:00Z,\n"
        '3000000000,"Björn",2,false,1991-12-31,2024-02-01 10:00:00,""\n'
    ).encode()
    sample = sample_csv(data)
    assert sample.columns == ("id", "name", "score", "active", "born", "seen", "note")
    assert sample.types == ("long", "string", "double", "boolean", "date", "timestamp", "string")
    assert sample.rows[0][-1] is None and sample.rows[1][-1] == ""
    assert sample.rows_read == 2 and sample.complete and not sample.ragged


def test_no_header_and_another_delimiter():
    sample = sample_csv(b"1;a\n2;b;extra\n", header=False, delimiter=";")
    assert sample.columns == ("_c0", "_c1", "_c2")
    assert sample.types[0] == "int"
    assert sample.ragged == (1,)
    assert sample_csv(b"a\tb\n1\t2\n", delimiter="\\t").columns == ("a", "b")


def test_types_widen_or_fall_back_to_string():
    assert infer_type(["1", "2147483648"]) == "long"
    assert infer_type(["1", "2.5"]) == "double"
    assert infer_type(["2024-01-01", "2024-01-01T00:00:00"]) == "timestamp"
    assert infer_type(["1", "yes"]) == "string"
    assert infer_type([None, ""]) == "string"
    assert value_type("2024-02-30") == "string"
    assert value_type("2024-02-01T25:00:00") == "string"


def test_the_avro_schema_reads_back_with_the_engines_types():
    columns = {"id": "long", "born": "date", "seen": "timestamp", "ok": "boolean", "n": "int"}
    fields = parse_schema(avro_schema("customer-2024", columns), "schemas/customer.avsc")
    assert {f.name: f.type for f in fields} == columns
    assert all(f.nullable for f in fields)


cells = st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=["Cs"])))
rows_of = st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=8)


def rfc4180(rows, end: str) -> str:
    """Null as an empty unquoted field, every string quoted (so "" is the empty string)."""

    def cell(v):
        return "" if v is None else '"' + v.replace('"', '""') + '"'

    return "".join(",".join(cell(v) for v in row) + end for row in rows)


@given(rows_of, st.sampled_from(["\r\n", "\n"]))
def test_nulls_and_empty_strings_read_back_apart(rows, end):
    assert records(rfc4180(rows, end)) == rows


@given(rows_of)
def test_what_the_csv_module_writes_reads_back(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    got = records(buffer.getvalue())
    # the csv module writes null and "" alike (and a lone empty field as ""), so compare text
    assert [["" if v is None else v for v in row] for row in got] == [
        ["" if v is None else v for v in row] for row in rows
    ]


@given(st.lists(st.integers(min_value=-(2**62), max_value=2**62), min_size=1, max_size=5))
def test_integers_are_never_strings(values):
    assert infer_type([str(v) for v in values]) in ("int", "long")

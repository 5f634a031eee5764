"""Schema files and reference resolution."""

import pytest

from spark_runner.definition import (
    DirectoryFileSource,
    SchemaError,
    SchemaField,
    load_schema,
    lookup_path,
    resolve_schema_path,
)

from .conftest import SAMPLE_REPO


def test_avro_types_map_to_the_field_types():
    fields = load_schema(
        DirectoryFileSource(SAMPLE_REPO), "customer", "staging", "schemas/customer_staging.avsc"
    )
    assert fields == (
        SchemaField("customer_id", "long", False),
        SchemaField("name", "string", True),
        SchemaField("email", "string", True),
        SchemaField("ssn", "string", True),
        SchemaField("country_code", "string", True),
        SchemaField("revenue", "decimal(12,2)", True),
        SchemaField("signup_date", "date", True),
        SchemaField("updated_at", "timestamp", False),
    )


def test_json_schema_types_and_nullability():
    fields = load_schema(
        DirectoryFileSource(SAMPLE_REPO), "customer", "staging", "schemas/customer_db.json"
    )
    assert fields == (
        SchemaField("id", "long", False),
        SchemaField("customer_id", "long", False),
        SchemaField("status", "string", True),
        SchemaField("updated_at", "timestamp", False),
    )


def test_more_json_schema_types(tmp_path):
    (tmp_path / "common/schemas").mkdir(parents=True)
    (tmp_path / "common/schemas/t.json").write_text(
        '{"properties": {"a": {"type": "integer", "format": "int32"}, "b": {"type": "number"},'
        ' "c": {"type": "number", "format": "float"}, "d": {"type": "boolean"},'
        ' "e": {"type": "string", "format": "date"},'
        ' "f": {"type": "string", "contentEncoding": "base64"},'
        ' "g": {"type": "number", "format": "decimal(10,3)"}}}'
    )
    fields = load_schema(DirectoryFileSource(tmp_path), "app", "service", "t.json")
    assert [(f.name, f.type) for f in fields] == [
        ("a", "int"), ("b", "double"), ("c", "float"), ("d", "boolean"),
        ("e", "date"), ("f", "bytes"), ("g", "decimal(10,3)"),
    ]  # fmt: skip


def test_schema_paths_resolve_in_the_layer_then_common():
    files = DirectoryFileSource(SAMPLE_REPO)
    assert resolve_schema_path("customer", "staging", "schemas/customer_db.json") == (
        "applications/customer/staging/schemas/customer_db.json"
    )
    assert resolve_schema_path("customer", "staging", "customer_standard.avsc", files) == (
        "common/schemas/customer_standard.avsc"
    )


@pytest.mark.parametrize("ref", ["../x.avsc", "/etc/passwd", "schemas/../../x", "C:\\x.avsc"])
def test_escaping_schema_paths_are_refused(ref):
    with pytest.raises(ValueError):
        resolve_schema_path("customer", "staging", ref)
    with pytest.raises(SchemaError):
        load_schema(DirectoryFileSource(SAMPLE_REPO), "customer", "staging", ref)


def test_lookup_paths():
    assert lookup_path("country_dim") == "common/lookups/country_dim.csv"
    assert lookup_path("dim.country") is None
    with pytest.raises(ValueError):
        lookup_path("../secrets")


def test_directory_file_source_stays_inside_its_root(tmp_path):
    (tmp_path / "inside.txt").write_text("x")
    (tmp_path / "link").symlink_to("/etc")
    files = DirectoryFileSource(tmp_path)
    assert files.read("inside.txt") == b"x"
    assert files.read("../etc/passwd") is None
    assert files.read("/etc/passwd") is None
    assert files.read("link/passwd") is None
    assert files.list("") == ["inside.txt"] or "inside.txt" in files.list("")

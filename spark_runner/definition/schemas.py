"""Schema artifacts (Avro ``.avsc``, JSON schema ``.json``) read as flat lists of typed fields."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .files import FileSource, resolve_schema_path

MAX_SCHEMA_BYTES = 1024 * 1024
FIELD_TYPES = ("string", "int", "long", "float", "double", "boolean", "date", "timestamp", "bytes")
_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)")


@dataclass(frozen=True)
class SchemaField:
    name: str
    type: str  # string|int|long|float|double|boolean|date|timestamp|decimal(p,s)|bytes
    nullable: bool = True


class SchemaError(ValueError):
    """A schema file is missing or cannot be read; the message says which and why."""


def load_schema(
    files: FileSource, application: str, layer: str, schema_ref: str
) -> tuple[SchemaField, ...]:
    """The fields of ``schema_ref`` resolved for a pipeline of ``application``/``layer``."""
    try:
        path = resolve_schema_path(application, layer, schema_ref, files)
    except ValueError as error:
        raise SchemaError(str(error)) from None
    data = files.read(path)
    if data is None:
        raise SchemaError(
            f'schemaRef "{schema_ref}": no file at {path} nor at common/schemas/; '
            "add the schema file or fix the name"
        )
    return parse_schema(data, path)


def parse_schema(data: bytes, path: str) -> tuple[SchemaField, ...]:
    if len(data) > MAX_SCHEMA_BYTES:
        raise SchemaError(f"schema {path} is larger than 1 MB")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SchemaError(f"schema {path} is not valid JSON: {error}") from None
    if path.endswith(".avsc"):
        fields = _avro_fields(document, path)
    elif path.endswith(".json"):
        fields = _json_schema_fields(document, path)
    else:
        raise SchemaError(f"schema {path}: use an Avro .avsc or a JSON schema .json file")
    names = [f.name for f in fields]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SchemaError(f"schema {path}: field {duplicates[0]!r} is declared twice")
    return tuple(fields)


# ---------------------------------------------------------------- Avro

_AVRO_PRIMITIVES = {
    "string": "string",
    "int": "int",
    "long": "long",
    "float": "float",
    "double": "double",
    "boolean": "boolean",
    "bytes": "bytes",
}


def _avro_fields(document: object, path: str) -> list[SchemaField]:
    if not isinstance(document, dict) or document.get("type") != "record":
        raise SchemaError(f'schema {path}: an Avro schema must be a record ({{"type": "record"}})')
    raw_fields = document.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise SchemaError(f"schema {path}: the record has no fields")
    fields = []
    for raw in raw_fields:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise SchemaError(f"schema {path}: every field needs a name")
        name = raw["name"]
        type_, nullable = _avro_type(raw.get("type"), path, name)
        fields.append(SchemaField(name, type_, nullable))
    return fields


def _avro_type(raw: object, path: str, name: str) -> tuple[str, bool]:
    if isinstance(raw, list):
        others = [t for t in raw if t != "null"]
        if len(others) != 1:
            raise SchemaError(f'schema {path}: field {name!r}: only ["null", <type>] unions')
        return _avro_type(others[0], path, name)[0], "null" in raw
    if isinstance(raw, str) and raw in _AVRO_PRIMITIVES:
        return _AVRO_PRIMITIVES[raw], False
    if isinstance(raw, dict):
        logical = raw.get("logicalType")
        base = raw.get("type")
        if logical == "date" and base == "int":
            return "date", False
        if logical in ("timestamp-millis", "timestamp-micros") and base == "long":
            return "timestamp", False
        if logical == "decimal" and base in ("bytes", "fixed"):
            precision, scale = raw.get("precision"), raw.get("scale", 0)
            if isinstance(precision, int) and isinstance(scale, int) and 0 <= scale <= precision:
                return f"decimal({precision},{scale})", False
            raise SchemaError(f"schema {path}: field {name!r}: decimal needs precision >= scale")
        if isinstance(base, str) and base in _AVRO_PRIMITIVES:
            return _AVRO_PRIMITIVES[base], False
    raise SchemaError(
        f"schema {path}: field {name!r}: type {json.dumps(raw)} is not supported; use "
        "string, int, long, float, double, boolean, bytes, date, timestamp or decimal"
    )


# ---------------------------------------------------------------- JSON schema


def _json_schema_fields(document: object, path: str) -> list[SchemaField]:
    if not isinstance(document, dict) or not isinstance(document.get("properties"), dict):
        raise SchemaError(f'schema {path}: a JSON schema needs "type": "object" and "properties"')
    required = document.get("required", [])
    if not isinstance(required, list):
        raise SchemaError(f'schema {path}: "required" must be a list of names')
    fields = []
    for name, raw in document["properties"].items():
        if not isinstance(raw, dict):
            raise SchemaError(f"schema {path}: property {name!r} must be an object")
        type_, has_null = _json_type(raw, path, name)
        fields.append(SchemaField(name, type_, has_null or name not in required))
    return fields


def _json_type(raw: dict, path: str, name: str) -> tuple[str, bool]:
    declared = raw.get("type")
    types = declared if isinstance(declared, list) else [declared]
    has_null = "null" in types
    others = [t for t in types if t != "null"]
    if len(others) != 1:
        raise SchemaError(f"schema {path}: property {name!r} needs one type (and maybe null)")
    base, fmt = others[0], raw.get("format")
    if base == "string":
        if fmt == "date":
            return "date", has_null
        if fmt == "date-time":
            return "timestamp", has_null
        if raw.get("contentEncoding") == "base64":
            return "bytes", has_null
        return "string", has_null
    if base == "integer":
        return ("int" if fmt == "int32" else "long"), has_null
    if base == "number":
        if isinstance(fmt, str) and _DECIMAL.fullmatch(fmt):
            return fmt, has_null
        return ("float" if fmt == "float" else "double"), has_null
    if base == "boolean":
        return "boolean", has_null
    raise SchemaError(
        f"schema {path}: property {name!r}: type {json.dumps(declared)} is not supported; use "
        "string, integer, number or boolean (with format date / date-time)"
    )

"""The first rows of a CSV file read as the engine reads it, their column types guessed, and the
guess written as an Avro schema (no Spark: the wizard does this in the web process).

The engine's reader options (spark_runner/engine/connectors/csv.py ``reader_options``) are
RFC 4180: ``"`` quotes a field and ``""`` inside it is one quote, quoted fields may hold
delimiters and line breaks, CRLF or LF end a record, a UTF-8 byte order mark is dropped, an empty
unquoted field is null and ``""`` the empty string. Python 3.11's ``csv`` module cannot tell those
last two apart (``QUOTE_NOTNULL`` readers arrive in 3.12), so records are split here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

SAMPLE_BYTES = 256 * 1024  # read at most this much of a file
SHOWN_ROWS = 20
INFER_ROWS = 1000
INFERRED_TYPES = ("int", "long", "double", "boolean", "date", "timestamp", "string")

_INT = re.compile(r"[+-]?\d+")
_DOUBLE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(:(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?"
)
_AVRO_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class Sample:
    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...]  # the first SHOWN_ROWS data rows
    rows_read: int  # data rows the types were inferred from
    complete: bool  # the whole file was read
    ragged: tuple[int, ...] = field(default=())  # 1-based data rows whose field count differs

    def typed_columns(self) -> dict[str, str]:
        return dict(zip(self.columns, self.types, strict=True))


def delimiter_of(text: str) -> str:
    """The delimiter as the engine takes it: ``\\t`` written out means a tab."""
    return "\t" if text in ("\\t", "\t") else (text or ",")


def records(text: str, delimiter: str = ",", complete: bool = True) -> list[list[str | None]]:
    """``text`` split into records of fields (None: empty and unquoted). When ``text`` is not
    ``complete`` (a file's first bytes), a last record not ended by a line break is left out."""
    found: list[list[str | None]] = []
    row: list[str | None] = []
    i, n, width = 0, len(text), len(delimiter)
    while i < n:
        value: str | None
        if text[i] == '"':
            i += 1
            parts = []
            while True:
                end = text.find('"', i)
                if end < 0:  # an unterminated quote runs to the end of the text
                    if complete:
                        found.append([*row, "".join(parts) + text[i:]])
                    return found
                parts.append(text[i:end])
                i = end + 1
                if i < n and text[i] == '"':
                    parts.append('"')
                    i += 1
                    continue
                break
            # Anything between the closing quote and the delimiter is kept, as Spark does.
            stop = _field_end(text, i, delimiter)
            value = "".join(parts) + text[i:stop]
        else:
            stop = _field_end(text, i, delimiter)
            value = text[i:stop] or None
        i = stop
        row.append(value)
        if text.startswith(delimiter, i):
            i += width
            if i == n:  # the text ends just after a delimiter: one more, empty field
                row.append(None)
                break
            continue
        if i == n:
            break
        i += 2 if text.startswith("\r\n", i) else 1  # CRLF, LF or a lone CR
        found.append(row)
        row = []
    if row and complete:
        found.append(row)
    return found


def _field_end(text: str, start: int, delimiter: str) -> int:
    ends = [p for p in (text.find(delimiter, start), text.find("\n", start)) if p >= 0]
    cr = text.find("\r", start)
    if cr >= 0:
        ends.append(cr)
    return min(ends) if ends else len(text)


def sample_csv(
    data: bytes,
    *,
    header: bool = True,
    delimiter: str = ",",
    complete: bool = True,
    shown: int = SHOWN_ROWS,
) -> Sample:
    """The sample of a file's first bytes ``data``; ``complete`` says whether that was all of
    it (when not, a record cut short at the end is left out)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", errors="replace")
    parsed = records(text, delimiter_of(delimiter), complete)
    parsed = [r for r in parsed if r != [None]]  # blank lines, which Spark skips
    width = max((len(r) for r in parsed[: INFER_ROWS + 1]), default=0)
    if header and parsed:
        first = parsed.pop(0)
        columns = [name if name else f"_c{i}" for i, name in enumerate(first)]
        columns += [f"_c{i}" for i in range(len(columns), width)]
    else:
        columns = [f"_c{i}" for i in range(width)]
    body = parsed[:INFER_ROWS]
    ragged = tuple(i + 1 for i, r in enumerate(body) if len(r) != len(columns))
    types = tuple(infer_type(r[i] if i < len(r) else None for r in body) for i in range(width))
    shown_rows = tuple(
        tuple(r[i] if i < len(r) else None for i in range(len(columns))) for r in body[:shown]
    )
    return Sample(
        columns=tuple(columns),
        types=types[: len(columns)] + ("string",) * (len(columns) - len(types)),
        rows=shown_rows,
        rows_read=len(body),
        complete=complete and len(parsed) <= INFER_ROWS,
        ragged=ragged,
    )


# ---------------------------------------------------------------- types


def value_type(value: str) -> str:
    """The narrowest type ``value`` reads as: int, long, double, boolean, date, timestamp or
    string."""
    text = value.strip()
    if _INT.fullmatch(text):
        number = int(text)
        if -(2**31) <= number < 2**31:
            return "int"
        return "long" if -(2**63) <= number < 2**63 else "double"
    if _DOUBLE.fullmatch(text):
        return "double"
    if text.lower() in ("true", "false"):
        return "boolean"
    if _DATE.fullmatch(text) and _valid_date(text):
        return "date"
    match = _TIMESTAMP.fullmatch(text)
    if match and _valid_date(match.group(1)) and _valid_time(match):
        return "timestamp"
    return "string"


def _valid_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _valid_time(match: re.Match) -> bool:
    hour, minute, second = int(match.group(2)), int(match.group(3)), int(match.group(5) or 0)
    return hour < 24 and minute < 60 and second < 60


_WIDER = {
    frozenset({"int", "long"}): "long",
    frozenset({"int", "double"}): "double",
    frozenset({"long", "double"}): "double",
    frozenset({"int", "long", "double"}): "double",
    frozenset({"date", "timestamp"}): "timestamp",
}


def infer_type(values) -> str:
    """One type for a column's values (None: null, not counted); string when they disagree."""
    seen = {value_type(v) for v in values if v is not None and v.strip()}
    if not seen:
        return "string"
    if len(seen) == 1:
        return seen.pop()
    return _WIDER.get(frozenset(seen), "string")


# ---------------------------------------------------------------- Avro

_AVRO_TYPES = {
    "int": "int",
    "long": "long",
    "double": "double",
    "boolean": "boolean",
    "string": "string",
    "date": {"type": "int", "logicalType": "date"},
    "timestamp": {"type": "long", "logicalType": "timestamp-micros"},
}


def avro_schema(name: str, columns: dict[str, str]) -> bytes:
    """An Avro record of ``columns`` (name -> inferred type), every field nullable: a sample
    cannot show that a column is never empty."""
    record = _AVRO_NAME.sub("_", name) or "record"
    if record[0].isdigit():
        record = f"_{record}"
    document = {
        "type": "record",
        "name": record,
        "fields": [{"name": c, "type": ["null", _AVRO_TYPES[t]]} for c, t in columns.items()],
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

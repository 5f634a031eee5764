"""Schema artifacts (``SchemaField``) as Spark types, and conforming a DataFrame to them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_runner.engine.errors import EngineError

_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")
_SIMPLE = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "long": T.LongType(),
    "float": T.FloatType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "bytes": T.BinaryType(),
}


def spark_type(name: str) -> T.DataType:
    if name in _SIMPLE:
        return _SIMPLE[name]
    match = _DECIMAL.fullmatch(name)
    if match:
        return T.DecimalType(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"unknown schema type {name!r}")


def to_struct(fields: Sequence) -> T.StructType:
    """``(SchemaField(name, type, nullable), ...)`` -> ``StructType``."""
    return T.StructType([T.StructField(f.name, spark_type(f.type), f.nullable) for f in fields])


def conform(df: DataFrame, fields: Sequence, what: str) -> DataFrame:
    """Selects the schema's columns, in its order, cast to its types. A missing column is a
    ``schema_mismatch`` error naming it; extra columns are dropped."""
    have = {c.lower(): c for c in df.columns}
    missing = [f.name for f in fields if f.name.lower() not in have]
    if missing:
        raise EngineError(
            "schema_mismatch",
            f"{what}: column(s) {', '.join(missing)} of the schema are not in the data "
            f"(data has {', '.join(df.columns)})",
        )
    return df.select(
        *[F.col(f"`{have[f.name.lower()]}`").cast(spark_type(f.type)).alias(f.name) for f in fields]
    )

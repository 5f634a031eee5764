"""Lookup CSVs from the config repository as small all-string DataFrames."""

from __future__ import annotations

import csv
import io

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_runner.engine.errors import EngineError


def lookup_frame(spark, data: bytes, path: str) -> DataFrame:
    """A lookup CSV (header row, UTF-8, small): every column a string, empty cells null."""
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise EngineError("source_missing", f"lookup {path} is empty (it needs a header row)")
    header = [h.strip() for h in rows[0]]
    schema = T.StructType([T.StructField(h, T.StringType(), True) for h in header])
    body = [
        tuple((cell if cell != "" else None) for cell in (row + [""] * len(header))[: len(header)])
        for row in rows[1:]
        if row
    ]
    # Spark cannot size a frame made from local rows, so it would plan a sort-merge join (two
    # shuffles) before adaptive execution turns it into a broadcast; a config-repository lookup
    # is small by construction (the repository's file-size limit): broadcast from the start.
    return F.broadcast(spark.createDataFrame(body, schema))

"""All-or-nothing outputs: every target is staged first, then committed by a quick swap.

* CSV export: written to ``.<name>.hub-tmp-<run>`` beside the destination, then moved into place;
  overwrite keeps the old folder (``.<name>.hub-old-<run>``) until the new one is in place.
  append moves the new part files (named after the run, so a re-run replaces its own files).
* Hive, not partitioned, overwrite/merge: the new content is written to a new folder
  ``<table root>/v-<run>`` and the table is pointed at it (``ALTER TABLE .. SET LOCATION``, one
  metastore update); the previous folder is deleted afterwards.
* Hive partitioned (any mode) and append: the rows are staged as parquet, then one
  ``INSERT [OVERWRITE]`` with dynamic partition overwrite, whose files appear only at job commit;
  overwrite replaces exactly the partitions the run wrote.
* Database (PostgreSQL): a staging table, then one transaction (see connectors/jdbc.py).

A failure before the commit phase leaves every previous output as it was.
"""

from spark_runner.engine.commit_csv import CsvOutput, RejectsOutput, csv_destination
from spark_runner.engine.commit_hive import HiveOutput
from spark_runner.engine.commit_jdbc import DatabaseOutput
from spark_runner.engine.outputs import (
    NO_SUCCESS_MARKER,
    STAGING_WRITE,
    Output,
    _observed,
    _rows,
    _tag,
)
from spark_runner.engine.staging import _newest, recover, staging_max_age, tidy

__all__ = [
    "NO_SUCCESS_MARKER",
    "STAGING_WRITE",
    "CsvOutput",
    "DatabaseOutput",
    "HiveOutput",
    "Output",
    "RejectsOutput",
    "_newest",
    "_observed",
    "_rows",
    "_tag",
    "csv_destination",
    "recover",
    "staging_max_age",
    "tidy",
]

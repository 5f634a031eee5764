"""Row forms of the Targets step."""

from __future__ import annotations

import re

from django import forms

from pipelines_app.forms.fields import (
    ISOLATION_LEVELS,
    choices,
    dataset_input,
    split_list,
    validate_name,
)
from pipelines_app.forms.rows import RowForm
from spark_runner.definition import model as m


class TargetSourceMixin(forms.Form):
    source = forms.CharField(
        required=False,
        max_length=100,
        widget=dataset_input(),
        help_text="Default: the last dataset produced.",
    )


class HiveTargetForm(TargetSourceMixin, RowForm):
    model = m.HiveTarget
    kind, label = "hive", "Hive table"
    list_fields = ("partition_by", "keys")
    table = forms.CharField(max_length=200, help_text="database.table, e.g. staging.customers")
    mode = forms.ChoiceField(choices=choices("append", "overwrite", "merge"), initial="append")
    partition_by = forms.CharField(required=False, max_length=500, label="Partition by")
    format = forms.ChoiceField(choices=choices("parquet", "orc", "delta"), initial="parquet")
    keys = forms.CharField(required=False, max_length=500, help_text="merge: required.")
    schema_ref = forms.CharField(required=False, max_length=300, label="Schema (schemaRef)")

    def clean(self):
        data = super().clean()
        table = data.get("table") or ""
        if table and not re.match(r"^[A-Za-z_][\w]*\.[A-Za-z_][\w]*$", table):
            self.add_error("table", "Write the table as database.table, e.g. staging.customers.")
        if data.get("mode") == "merge" and not split_list(data.get("keys", "")):
            self.add_error("keys", "A merge needs the key columns.")
        return data


class CsvTargetForm(TargetSourceMixin, RowForm):
    model = m.CsvTarget
    kind, label = "csv", "CSV files"
    path = forms.CharField(max_length=500, help_text="May use %Y %m %d, filled from the run date.")
    mode = forms.ChoiceField(
        choices=choices("overwrite", "append", "ignore", "error"), initial="overwrite"
    )
    compression = forms.ChoiceField(
        choices=choices("none", "gzip", "bzip2", "snappy"), initial="none"
    )
    header = forms.BooleanField(required=False, initial=True, label="Write a header line")
    delimiter = forms.CharField(max_length=2, initial=",", strip=False)
    schema_ref = forms.CharField(required=False, max_length=300, label="Schema (schemaRef)")


class DatabaseTargetForm(TargetSourceMixin, RowForm):
    model = m.DatabaseTarget
    kind, label = "database", "Database table (JDBC)"
    list_fields = ("keys",)
    int_fields = ("write_batch_size",)
    id = forms.CharField(max_length=100, validators=[validate_name])
    jdbc_url = forms.CharField(max_length=500, label="JDBC URL")
    table = forms.CharField(max_length=200)
    mode = forms.ChoiceField(
        choices=choices("append", "overwrite", "merge", "truncateInsert"), initial="append"
    )
    user_secret_ref = forms.CharField(required=False, max_length=100, label="Credentials secret")
    write_batch_size = forms.IntegerField(required=False, min_value=1)
    isolation_level = forms.ChoiceField(
        required=False,
        choices=ISOLATION_LEVELS,
    )
    keys = forms.CharField(
        required=False, max_length=500, help_text="merge: default the table's primary key."
    )
    schema_ref = forms.CharField(required=False, max_length=300, label="Schema (schemaRef)")

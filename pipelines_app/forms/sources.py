"""Row forms of the Sources step."""

from __future__ import annotations

from django import forms

from pipelines_app.forms.fields import ISOLATION_LEVELS, NAME_HELP, choices, validate_name
from pipelines_app.forms.rows import RowForm
from spark_runner.definition import model as m


class CsvSourceForm(RowForm):
    model = m.CsvSource
    kind, label = "csv", "CSV file"
    id = forms.CharField(max_length=100, validators=[validate_name], help_text=NAME_HELP)
    path = forms.CharField(
        max_length=500, help_text="Relative to the application's data folder, or a URI."
    )
    header = forms.BooleanField(required=False, initial=True, label="First line is a header")
    delimiter = forms.CharField(max_length=2, initial=",", strip=False)
    infer_schema = forms.BooleanField(required=False, label="Infer column types")
    load_policy = forms.ChoiceField(choices=choices("onDemand", "eager"), initial="onDemand")
    schema_ref = forms.CharField(
        required=False,
        max_length=300,
        label="Schema (schemaRef)",
        help_text="e.g. schemas/customer.avsc",
    )
    on_invalid_rows = forms.ChoiceField(
        choices=choices("fail", "reject"), initial="fail", label="Rows not fitting the schema"
    )


class DatabaseSourceForm(RowForm):
    model = m.DatabaseSource
    kind, label = "database", "Database (JDBC)"
    int_fields = ("fetch_size",)
    id = forms.CharField(max_length=100, validators=[validate_name], help_text=NAME_HELP)
    jdbc_url = forms.CharField(
        max_length=500, label="JDBC URL", help_text="e.g. jdbc:postgresql://host:5432/db"
    )
    table = forms.CharField(required=False, max_length=200, help_text="Either a table…")
    sql = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="SQL",
        help_text="…or a query; :runDate and declared parameters.",
    )
    user_secret_ref = forms.CharField(required=False, max_length=100, label="Credentials secret")
    fetch_size = forms.IntegerField(required=False, min_value=1)
    load_policy = forms.ChoiceField(choices=choices("onDemand", "eager"), initial="onDemand")
    isolation_level = forms.ChoiceField(
        required=False,
        choices=ISOLATION_LEVELS,
    )
    schema_ref = forms.CharField(required=False, max_length=300, label="Schema (schemaRef)")

    def clean(self):
        data = super().clean()
        if bool(data.get("table")) == bool((data.get("sql") or "").strip()):
            raise forms.ValidationError("Give a table or an SQL query: one of the two, not both.")
        return data

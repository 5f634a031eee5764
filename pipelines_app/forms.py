"""Forms of the authoring pages.

The wizard keeps each row (a source, a step, a target) as the raw values a person typed, so Back and
Next never lose anything; a row becomes a model object (``spark_runner.definition.model``) only
through its form, whose field names are the model's field names.
"""

from __future__ import annotations

import re
from dataclasses import fields as dataclass_fields
from datetime import datetime

from croniter import croniter
from django import forms

from spark_runner.definition import model as m

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
NAME_HELP = "Letters, digits, '_', '-' and '.', starting with a letter or digit."
LIST_HELP = "Comma-separated column names."


WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def cron_problem(expression: str) -> str | None:
    """Why a schedule is not a valid 5-field cron, in words a person can act on; None when valid."""
    parts = expression.split()
    if len(parts) != 5:
        return (
            f"A schedule has 5 fields (minute hour day-of-month month day-of-week); "
            f"this one has {len(parts)}. Example: 0 * * * * runs every hour."
        )
    if not croniter.is_valid(expression):
        names = (
            "minute (0-59)",
            "hour (0-23)",
            "day of month (1-31)",
            "month (1-12)",
            "day of week (0-6)",
        )
        for name, part in zip(names, parts, strict=True):
            probe = ["*"] * 5
            probe[names.index(name)] = part
            if not croniter.is_valid(" ".join(probe)):
                return f"The {name} field “{part}” is not valid."
        return "This schedule is not a valid cron expression."
    return None


def describe_cron(expression: str) -> str:
    """A plain-words reading of the common cron shapes; the raw fields otherwise."""
    minute, hour, dom, month, dow = expression.split()
    plain = minute.isdigit() and hour.isdigit()
    at = f"{int(hour):02d}:{int(minute):02d}" if plain else None
    if minute.startswith("*/") and hour == "*" and dom == month == dow == "*":
        return f"every {minute[2:]} minutes"
    if minute == "*" and hour == dom == month == dow == "*":
        return "every minute"
    if minute.isdigit() and hour == "*" and dom == month == dow == "*":
        return f"every hour at minute {int(minute)}"
    if minute.isdigit() and hour.startswith("*/") and dom == month == dow == "*":
        return f"every {hour[2:]} hours at minute {int(minute)}"
    if at and dom == month == "*" and dow == "*":
        return f"every day at {at}"
    if at and dom == month == "*" and dow.isdigit() and int(dow) <= 7:
        return f"every {WEEKDAYS[int(dow) % 7]} at {at}"
    if at and dom == month == "*" and dow in ("1-5", "MON-FRI", "mon-fri"):
        return f"every weekday at {at}"
    if at and dom.isdigit() and month == "*" and dow == "*":
        return f"on day {int(dom)} of every month at {at}"
    return f"minute {minute}, hour {hour}, day of month {dom}, month {month}, day of week {dow}"


def next_runs(expression: str, after: datetime, count: int = 3) -> list[datetime]:
    it = croniter(expression, after)
    return [it.get_next(datetime) for _ in range(count)]


def validate_name(value: str) -> None:
    if not NAME_RE.match(value) or ".." in value:
        raise forms.ValidationError(f"“{value}” is not a valid name. {NAME_HELP}")


def validate_definition_id(value: str) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,127}", value):
        raise forms.ValidationError(
            f"“{value}” cannot be a pipeline id: use letters, digits, '_' or '-', "
            "starting with a letter (it is also the file name)."
        )


def split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def choices(*values: str, blank: str | None = None) -> list[tuple[str, str]]:
    options = [(v, v) for v in values]
    return [("", blank), *options] if blank is not None else options


def dataset_input(placeholder: str = "dataset id") -> forms.TextInput:
    return forms.TextInput(attrs={"list": "datasets", "placeholder": placeholder})


class RowForm(forms.Form):
    """One row of a wizard step. Subclasses name the model class and the comma-list fields."""

    model: type = object
    kind = ""
    label = ""
    list_fields: tuple[str, ...] = ()
    int_fields: tuple[str, ...] = ()

    trailing = ("source", "output")  # optional dataset names read best after the step's own

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        optional = [n for n in self.trailing if n in self.fields and not self.fields[n].required]
        self.order_fields([n for n in self.fields if n not in optional] + optional)

    def to_model(self):
        values = {}
        names = {f.name for f in dataclass_fields(self.model) if f.name != "loc"}
        for name, value in self.cleaned_data.items():
            if name not in names:
                continue
            if name in self.list_fields:
                value = split_list(value)
            elif value in ("", None) and name not in self.int_fields:
                value = None
            if value is None and self._model_default(name) is not None:
                continue  # leave the model's own default
            values[name] = value
        return self.model(**values)

    def _model_default(self, name):
        for f in dataclass_fields(self.model):
            if f.name == name:
                return f.default
        return None

    @classmethod
    def raw_from_model(cls, obj) -> dict[str, str]:
        """The values a person would have typed to get ``obj``: used to edit a definition."""
        raw: dict[str, str] = {}
        for name, field in cls.base_fields.items():
            value = getattr(obj, name, None)
            if isinstance(field, forms.BooleanField):
                if value:
                    raw[name] = "on"
            elif isinstance(value, tuple):
                raw[name] = ", ".join(str(v) for v in value)
            elif value is not None:
                raw[name] = str(value)
        return raw

    @classmethod
    def initial_raw(cls) -> dict[str, str]:
        raw = {}
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.BooleanField):
                if field.initial:
                    raw[name] = "on"
            elif field.initial not in (None, ""):
                raw[name] = str(field.initial)
        return raw


# ---------------------------------------------------------------- sources


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
        choices=choices(
            "READ_COMMITTED", "READ_UNCOMMITTED", "REPEATABLE_READ", "SERIALIZABLE", blank="default"
        ),
    )
    schema_ref = forms.CharField(required=False, max_length=300, label="Schema (schemaRef)")

    def clean(self):
        data = super().clean()
        if bool(data.get("table")) == bool((data.get("sql") or "").strip()):
            raise forms.ValidationError("Give a table or an SQL query: one of the two, not both.")
        return data


# ---------------------------------------------------------------- transformations


class OutputMixin(forms.Form):
    output = forms.CharField(
        required=False,
        max_length=100,
        validators=[validate_name],
        help_text="Optional: a new dataset id for the result.",
    )


class DeduplicateForm(OutputMixin, RowForm):
    model = m.Deduplicate
    kind, label = "deduplicate", "Deduplicate"
    list_fields = ("keys", "order_by")
    source = forms.CharField(max_length=100, widget=dataset_input())
    keys = forms.CharField(max_length=500, help_text=LIST_HELP)
    keep = forms.ChoiceField(choices=choices("first", "last", "latest"), initial="first")
    order_by = forms.CharField(
        required=False,
        max_length=500,
        label="Order by",
        help_text="latest keeps the greatest (default updated_at).",
    )


class SortForm(OutputMixin, RowForm):
    model = m.Sort
    kind, label = "sort", "Sort"
    list_fields = ("order_by",)
    source = forms.CharField(max_length=100, widget=dataset_input())
    order_by = forms.CharField(max_length=500, label="Order by", help_text=LIST_HELP)
    direction = forms.ChoiceField(choices=choices("asc", "desc"), initial="asc")
    nulls = forms.ChoiceField(required=False, choices=choices("first", "last", blank="default"))


class JoinForm(OutputMixin, RowForm):
    model = m.Join
    kind, label = "join", "Join"
    left = forms.CharField(max_length=100, widget=dataset_input())
    right = forms.CharField(max_length=100, widget=dataset_input())
    type = forms.ChoiceField(
        choices=choices("inner", "left", "right", "full", "semi", "anti"), initial="inner"
    )
    condition = forms.CharField(max_length=1000, help_text="e.g. orders.customer_id = customers.id")


class LookupForm(OutputMixin, RowForm):
    model = m.Lookup
    kind, label = "lookup", "Lookup"
    list_fields = ("output_fields", "keys")
    source = forms.CharField(max_length=100, widget=dataset_input())
    reference = forms.CharField(
        max_length=200, help_text="A lookup file name (common/lookups) or a db.table."
    )
    output_fields = forms.CharField(max_length=500, label="Columns to add", help_text=LIST_HELP)
    join_type = forms.ChoiceField(choices=choices("left", "inner"), initial="left")
    keys = forms.CharField(
        required=False, max_length=500, help_text="Default: the lookup file's first column."
    )


class MergeForm(OutputMixin, RowForm):
    model = m.Merge
    kind, label = "merge", "Merge"
    list_fields = ("sources", "keys", "order_by")
    sources = forms.CharField(
        max_length=500,
        widget=dataset_input("a, b"),
        help_text="Two or more dataset ids, comma-separated.",
    )
    mode = forms.ChoiceField(choices=choices("union", "upsert"), initial="union")
    keys = forms.CharField(required=False, max_length=500, help_text="upsert: required.")
    order_by = forms.CharField(required=False, max_length=500, label="Order by")

    def clean(self):
        data = super().clean()
        if len(split_list(data.get("sources", ""))) < 2:
            self.add_error("sources", "Name at least two datasets to merge.")
        if data.get("mode") == "upsert" and not split_list(data.get("keys", "")):
            self.add_error("keys", "An upsert needs the key columns.")
        return data


class MaskForm(OutputMixin, RowForm):
    model = m.Mask
    kind, label = "mask", "Mask"
    list_fields = ("columns",)
    source = forms.CharField(max_length=100, widget=dataset_input())
    columns = forms.CharField(max_length=500, help_text=LIST_HELP)
    strategy = forms.ChoiceField(
        choices=choices("tokenize", "hash", "redact", "encrypt"), initial="hash"
    )
    secret_ref = forms.CharField(
        required=False,
        max_length=100,
        label="Key secret",
        help_text="Required for tokenize, hash and encrypt.",
    )

    def clean(self):
        data = super().clean()
        if data.get("strategy") in ("tokenize", "hash", "encrypt") and not data.get("secret_ref"):
            self.add_error("secret_ref", f"{data['strategy']} needs a key: name a secret.")
        return data


METRIC_FUNCTIONS = ("count", "sum", "avg", "min", "max")


def parse_metrics(text: str) -> tuple[m.Metric, ...]:
    metrics = []
    for item in split_list(text):
        parts = [p.strip() for p in item.split(":")]
        if parts[0] not in METRIC_FUNCTIONS or not 2 <= len(parts) <= 3 or not all(parts):
            raise forms.ValidationError(
                f"“{item}”: write func:column[:alias], func one of {', '.join(METRIC_FUNCTIONS)}."
            )
        if parts[0] == "count" and len(parts) == 2:
            metrics.append(m.Metric("count", None, parts[1]))
        else:
            alias = parts[2] if len(parts) == 3 else f"{parts[0]}_{parts[1]}"
            metrics.append(m.Metric(parts[0], parts[1], alias))
    if not metrics:
        raise forms.ValidationError("Give at least one metric, e.g. count:orders, sum:amount.")
    return tuple(metrics)


class AggregateForm(OutputMixin, RowForm):
    model = m.Aggregate
    kind, label = "aggregate", "Aggregate"
    list_fields = ("group_by",)
    source = forms.CharField(max_length=100, widget=dataset_input())
    group_by = forms.CharField(
        required=False, max_length=500, label="Group by", help_text=LIST_HELP
    )
    metrics = forms.CharField(
        max_length=1000, help_text="func:column[:alias], e.g. count:orders, sum:amount:total"
    )
    window = forms.ChoiceField(required=False, choices=choices("daily", "weekly", blank="none"))
    time_column = forms.CharField(required=False, max_length=100)

    def clean_metrics(self):
        text = self.cleaned_data["metrics"]
        parse_metrics(text)
        return text

    def clean(self):
        data = super().clean()
        if data.get("window") and not data.get("time_column"):
            self.add_error("time_column", "A window needs the time column it is computed on.")
        return data

    def to_model(self):
        data = self.cleaned_data
        return m.Aggregate(
            source=data["source"],
            group_by=split_list(data.get("group_by", "")),
            metrics=parse_metrics(data["metrics"]),
            metrics_text=data["metrics"],
            window=data.get("window") or None,
            time_column=data.get("time_column") or None,
            output=data.get("output") or None,
        )

    @classmethod
    def raw_from_model(cls, obj):
        raw = super().raw_from_model(obj)
        raw["metrics"] = obj.metrics_text or ", ".join(
            f"{x.function}:{x.alias}" if x.column is None else f"{x.function}:{x.column}:{x.alias}"
            for x in obj.metrics
        )
        return raw


# ---------------------------------------------------------------- targets


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
        choices=choices(
            "READ_COMMITTED", "READ_UNCOMMITTED", "REPEATABLE_READ", "SERIALIZABLE", blank="default"
        ),
    )
    keys = forms.CharField(
        required=False, max_length=500, help_text="merge: default the table's primary key."
    )
    schema_ref = forms.CharField(required=False, max_length=300, label="Schema (schemaRef)")


ROW_FORMS: dict[str, dict[str, type[RowForm]]] = {
    "sources": {f.kind: f for f in (CsvSourceForm, DatabaseSourceForm)},
    "transformations": {
        f.kind: f
        for f in (
            DeduplicateForm,
            SortForm,
            JoinForm,
            LookupForm,
            MergeForm,
            MaskForm,
            AggregateForm,
        )
    },
    "targets": {f.kind: f for f in (HiveTargetForm, CsvTargetForm, DatabaseTargetForm)},
}


def row_form_for(section: str, obj) -> type[RowForm]:
    for form in ROW_FORMS[section].values():
        if isinstance(obj, form.model):
            return form
    raise LookupError(f"no form for {type(obj).__name__}")


# ---------------------------------------------------------------- other wizard steps


class BasicsForm(forms.Form):
    application = forms.ChoiceField()
    layer = forms.ChoiceField(choices=choices(*m.LAYERS))
    id = forms.CharField(
        label="Pipeline id",
        max_length=128,
        validators=[validate_definition_id],
        help_text="Also the file name: letters, digits, '_' or '-'.",
    )
    version = forms.RegexField(
        regex=r"^\d+\.\d+(\.\d+)?$",
        initial="1.0",
        error_messages={"invalid": "Write major.minor, e.g. 1.0 or 1.2.3."},
    )
    owner = forms.CharField(max_length=100, help_text="The team answerable for this pipeline.")
    sla = forms.RegexField(
        regex=r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$",
        required=False,
        label="SLA",
        help_text="How long a run may take: ISO-8601, e.g. PT2H (2 hours), P1D (1 day).",
        error_messages={"invalid": "Write a duration such as PT30M, PT2H or P1D."},
    )
    schedule = forms.CharField(
        required=False,
        max_length=100,
        help_text="Cron: minute hour day-of-month month day-of-week, e.g. 0 * * * *",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, applications=(), locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = choices(*applications)
        if locked:  # editing: the file's place does not change
            for name in ("application", "layer", "id"):
                self.fields[name].disabled = True

    def clean_schedule(self):
        value = " ".join(self.cleaned_data["schedule"].split())
        problem = cron_problem(value) if value else None
        if problem:
            raise forms.ValidationError(problem)
        return value


class SubmitForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this change: reviewers read this first.",
    )


class XmlForm(forms.Form):
    application = forms.ChoiceField()
    layer = forms.ChoiceField(choices=choices(*m.LAYERS))
    xml = forms.CharField(
        label="XML",
        max_length=2_000_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
    )

    def __init__(self, *args, applications=(), locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = choices(*applications)
        if locked:
            self.fields["application"].disabled = True
            self.fields["layer"].disabled = True


class ReviewActionForm(forms.Form):
    comment = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    override_reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="Comment"
    )


class ChangeFilterForm(forms.Form):
    status = forms.ChoiceField(required=False)
    application = forms.ChoiceField(required=False)
    mine = forms.BooleanField(required=False, label="Only mine")

    def __init__(self, *args, applications=(), statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = choices(*statuses, blank="any status")
        self.fields["application"].choices = choices(*applications, blank="all applications")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150)
    action = forms.CharField(required=False, max_length=100)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

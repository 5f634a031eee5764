"""Row forms of the Transformations step."""

from __future__ import annotations

from django import forms

from pipelines_app.forms.fields import LIST_HELP, choices, dataset_input, split_list, validate_name
from pipelines_app.forms.rows import RowForm
from spark_runner.definition import model as m


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

"""A row of a wizard step (a source, a transformation, a target, a parameter...).

The wizard keeps each row as the raw values a person typed, so Back and Next never lose anything;
a row becomes a model object (``spark_runner.definition.model``) only through its form, whose field
names are the model's field names.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields

from django import forms

from pipelines_app.forms.fields import split_list


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

"""The job pipeline form: its basics and one row per pipeline it runs (``<pipelineRef>``)."""

from __future__ import annotations

from django import forms

from pipelines_app.forms.fields import choices
from pipelines_app.forms.pages import BasicsForm
from pipelines_app.forms.rows import RowForm
from spark_runner.definition import model as m

ON_FAILURE = (
    ("halt", "halt: stop the job"),
    ("retry", "retry: run it again, up to N more times"),
    ("skip", "skip: skip what depends on it, run the rest"),
    ("continue", "continue: run what depends on it anyway"),
    ("fallback", "fallback: run another pipeline instead"),
)


class JobBasicsForm(BasicsForm):
    """A pipeline's basics, but for a job: the id is the job's, the layer only files it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id"].label = "Job id"
        self.fields["layer"].help_text = "The folder the job is filed in; it may run any layer."
        self.fields["owner"].help_text = "The team answerable for this job."
        self.fields["sla"].help_text = "How long the whole job may take, e.g. PT4H."
        self.fields["application"].widget.attrs["data-refresh"] = "1"


class PipelineRefForm(RowForm):
    model = m.PipelineRef
    kind, label = "ref", "Pipeline"
    int_fields = ("max_retries",)
    id = forms.ChoiceField(label="Pipeline", help_text="A pipeline of this application on main.")
    depends_on = forms.MultipleChoiceField(
        required=False,
        label="Runs after",
        help_text="Tick the pipelines above that must finish first.",
        widget=forms.CheckboxSelectMultiple,
    )
    on_failure = forms.ChoiceField(choices=ON_FAILURE, initial="halt", label="If it fails")
    max_retries = forms.IntegerField(
        required=False, min_value=1, max_value=10, initial=2, label="Retries", help_text="1-10"
    )
    fallback = forms.ChoiceField(
        required=False, label="Fallback pipeline", help_text="Runs when this one fails."
    )

    def __init__(self, *args, pipelines=(), above=(), **kwargs):
        super().__init__(*args, **kwargs)
        # a pipeline no longer on main stays selectable, so editing shows it and validation says
        # in words what is wrong with it
        chosen = self.data.get(self.add_prefix("id")) if self.is_bound else None
        gone = [(chosen, f"{chosen} (not on main)")] if chosen and chosen not in pipelines else []
        self.fields["id"].choices = [*choices(*pipelines, blank="choose a pipeline"), *gone]
        self.fields["id"].widget.attrs["data-refresh"] = "1"
        self.fields["depends_on"].choices = choices(*above)
        if not above:
            self.fields["depends_on"].help_text = "Nothing above it: it starts first."
        self.fields["fallback"].choices = choices(*pipelines, blank="choose a pipeline")

    def clean(self):
        data = super().clean()
        on_failure = data.get("on_failure")
        if on_failure != "retry":
            data["max_retries"] = None
        elif data.get("max_retries") is None and "max_retries" not in self.errors:
            self.add_error("max_retries", "Say how many times to retry (1-10).")
        if on_failure != "fallback":
            data["fallback"] = ""
        elif not data.get("fallback"):
            self.add_error("fallback", "Choose the pipeline to run instead.")
        elif data.get("fallback") == data.get("id"):
            self.add_error("fallback", "A pipeline cannot be its own fallback.")
        return data

    def to_model(self):
        data = self.cleaned_data
        return m.PipelineRef(
            id=data["id"],
            depends_on=tuple(data.get("depends_on") or ()),
            on_failure=data["on_failure"],
            max_retries=data.get("max_retries"),
            fallback=data.get("fallback") or None,
        )

    @classmethod
    def raw_from_model(cls, obj):
        raw = super().raw_from_model(obj)
        raw["depends_on"] = list(obj.depends_on)
        return raw

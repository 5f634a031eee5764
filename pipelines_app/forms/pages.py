"""Forms of the other pages: Basics, Submit, the XML editor, reviews, comments, filters."""

from __future__ import annotations

from django import forms

from pipelines_app.forms.fields import choices, validate_definition_id
from pipelines_app.forms.schedule import cron_problem
from spark_runner.definition import model as m
from spark_runner.definition.parser import MAX_BYTES


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
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
    )

    def __init__(self, *args, applications=(), locked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = choices(*applications)
        if locked:
            self.fields["application"].disabled = True
            self.fields["layer"].disabled = True

    def clean_xml(self) -> str:
        # Browsers send a textarea's lines with CRLF; the repository keeps LF, so an edit
        # changes only the lines that changed.
        xml = self.cleaned_data["xml"].replace("\r\n", "\n").replace("\r", "\n")
        if (problem := definition_too_large(xml)) is not None:
            raise forms.ValidationError(problem, code="too_large")
        return xml

    @property
    def too_large(self) -> bool:
        return self.has_error("xml", "too_large")


def definition_too_large(xml: str) -> str | None:
    """Why ``xml`` is over the size a definition may have, or None."""
    size = len(xml.encode("utf-8"))
    if size <= MAX_BYTES:
        return None
    return (
        f"the definition is {size / (1024 * 1024):.1f} MB; "
        f"a definition may be at most {MAX_BYTES // (1024 * 1024)} MB"
    )


class ReviewActionForm(forms.Form):
    # The version the reviewer read; a decision on an older head is refused (409).
    head_commit = forms.RegexField(regex=r"^[0-9a-f]{40}$", widget=forms.HiddenInput)
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
    action = forms.CharField(
        required=False, max_length=100, widget=forms.TextInput(attrs={"list": "audit-actions"})
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

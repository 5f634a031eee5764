"""Forms of the authoring pages; ``ROW_FORMS`` names the row form of each kind in each step."""

from __future__ import annotations

from pipelines_app.forms.extras import (
    EmailNotificationForm,
    ParameterForm,
    WebhookNotificationForm,
    extras_of,
    split_extras,
)
from pipelines_app.forms.fields import choices, split_list, validate_name
from pipelines_app.forms.job import JobBasicsForm, PipelineRefForm
from pipelines_app.forms.pages import (
    AuditFilterForm,
    BasicsForm,
    ChangeFilterForm,
    CommentForm,
    ReviewActionForm,
    SubmitForm,
    XmlForm,
)
from pipelines_app.forms.rows import RowForm
from pipelines_app.forms.schedule import cron_problem, describe_cron, next_runs
from pipelines_app.forms.sources import CsvSourceForm, DatabaseSourceForm
from pipelines_app.forms.targets import CsvTargetForm, DatabaseTargetForm, HiveTargetForm
from pipelines_app.forms.transformations import (
    AggregateForm,
    DeduplicateForm,
    JoinForm,
    LookupForm,
    MaskForm,
    MergeForm,
    SortForm,
)

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
    "pipelines": {PipelineRefForm.kind: PipelineRefForm},
    "parameters": {
        f.kind: f for f in (ParameterForm, EmailNotificationForm, WebhookNotificationForm)
    },
}


def row_form_for(section: str, obj) -> type[RowForm]:
    for form in ROW_FORMS[section].values():
        if isinstance(obj, form.model):
            return form
    raise LookupError(f"no form for {type(obj).__name__}")


__all__ = [
    "ROW_FORMS",
    "AuditFilterForm",
    "BasicsForm",
    "ChangeFilterForm",
    "CommentForm",
    "JobBasicsForm",
    "PipelineRefForm",
    "ReviewActionForm",
    "RowForm",
    "SubmitForm",
    "XmlForm",
    "choices",
    "cron_problem",
    "describe_cron",
    "extras_of",
    "next_runs",
    "row_form_for",
    "split_extras",
    "split_list",
    "validate_name",
]

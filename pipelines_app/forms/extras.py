"""Row forms of the Parameters & notifications step (shared by the pipeline wizard and the job
form): declared parameters, and email or webhook notifications."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import EmailValidator, URLValidator

from pipelines_app.forms.fields import choices, split_list
from pipelines_app.forms.rows import RowForm
from spark_runner.definition import model as m

NOTIFY_ON = choices("failure", "success", "completion", "slaBreach")
NOTIFY_HELP = (
    "failure, success, completion (either) or slaBreach (the run took longer than the SLA)."
)
SECRET_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


def validate_parameter_name(value: str) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,127}", value):
        raise forms.ValidationError(
            f"“{value}” cannot be a parameter name: letters, digits, '_' or '-', starting with a "
            "letter."
        )
    if value in m.BUILTIN_PARAMETERS:
        raise forms.ValidationError(
            f"“{value}” is built in (runDate, runId, application, pipelineId): use it without "
            "declaring it."
        )


def validate_secret_name(value: str) -> None:
    if not SECRET_NAME_RE.match(value):
        raise forms.ValidationError(
            "Write the secret's name (letters, digits, '_', '-', '.'), not its value."
        )


def notify_on_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=NOTIFY_ON, initial="failure", label="When", help_text=NOTIFY_HELP
    )


class ParameterForm(RowForm):
    model = m.Parameter
    kind, label = "parameter", "Parameter"
    name = forms.CharField(
        max_length=128,
        validators=[validate_parameter_name],
        help_text="Used as :name in SQL; a run may set it.",
    )
    default = forms.CharField(
        required=False, max_length=500, help_text="Optional: the value when a run does not set it."
    )


class EmailNotificationForm(RowForm):
    model = m.EmailNotification
    kind, label = "email", "Email"
    list_fields = ("to",)
    to = forms.CharField(
        max_length=1000,
        label="To",
        help_text="One or more addresses, comma-separated.",
        widget=forms.TextInput(attrs={"placeholder": "team@example.com, oncall@example.com"}),
    )
    on = forms.ChoiceField(
        choices=NOTIFY_ON, initial="failure", label="When", help_text=NOTIFY_HELP
    )

    def clean_to(self):
        addresses = split_list(self.cleaned_data["to"])
        if not addresses:
            raise forms.ValidationError("Give at least one address.")
        for address in addresses:
            try:
                EmailValidator()(address)
            except forms.ValidationError:
                raise forms.ValidationError(f"“{address}” is not an email address.") from None
        return ", ".join(addresses)


class WebhookNotificationForm(RowForm):
    model = m.WebhookNotification
    kind, label = "webhook", "Webhook"
    url = forms.CharField(
        max_length=1000,
        label="URL",
        help_text="https://… The portal POSTs the run's outcome as JSON.",
    )
    on = forms.ChoiceField(
        choices=NOTIFY_ON, initial="failure", label="When", help_text=NOTIFY_HELP
    )
    secret_ref = forms.CharField(
        required=False,
        max_length=100,
        label="Signing secret (name)",
        validators=[validate_secret_name],
        help_text=(
            "The NAME of a secret, e.g. ops-webhook-key. Its value lives in the secrets store "
            "(HUB_SECRET_<NAME> or the secrets file), never in the XML. Signs each call with "
            "HMAC-SHA-256."
        ),
    )

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        try:
            URLValidator(schemes=["http", "https"])(url)
        except forms.ValidationError:
            raise forms.ValidationError(
                "Write a web address starting https:// or http://."
            ) from None
        return url


EXTRA_FORMS = (ParameterForm, EmailNotificationForm, WebhookNotificationForm)


def extras_of(definition) -> list:
    """A definition's parameters then notifications: the rows of the step, in the XML's order."""
    return [*definition.parameters, *definition.notifications]


def split_extras(objects: list) -> tuple[tuple, tuple]:
    """(parameters, notifications) from the step's model objects."""
    parameters = tuple(o for o in objects if isinstance(o, m.Parameter))
    return parameters, tuple(o for o in objects if not isinstance(o, m.Parameter))

"""The sign-in form, with the lockout."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts_app import signin
from pipelines_app import audit


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = signin.client_address(self.request)
        if reason := signin.lockout_reason(username, address):
            audit.record(
                None, "auth.locked_out", f"user:{username[:100]}", {"via": "login"}, self.request
            )
            raise forms.ValidationError(reason, code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            signin.failure_record(username, address)
            audit.record(None, "auth.login_refused", f"user:{username[:100]}", {}, self.request)
            raise
        signin.failures_clear(username)
        return cleaned

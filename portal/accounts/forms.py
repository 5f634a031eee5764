"""The sign-in forms (the portal's and the admin's), with the lockout."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from pipelines_app import audit
from portal.accounts import signin


class ThrottledSignIn:
    """Refuses while the user name or address is locked; counts and audits each failure."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = signin.client_address(self.request)
        target = f"user:{username[:100]}"
        if reason := signin.lockout_reason(username, address):
            audit.record(None, "auth.locked_out", target, {"via": self.via}, self.request)
            raise forms.ValidationError(reason, code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            signin.failure_record(username, address)
            audit.record(None, "auth.login_refused", target, {"via": self.via}, self.request)
            raise
        signin.failures_clear(username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledSignIn, AuthenticationForm):
    via = "login"


class ThrottledAdminAuthenticationForm(ThrottledSignIn, AdminAuthenticationForm):
    via = "admin"

"""Run page filters: values in words, paths relative to the application's data folder."""

from django import template

from runs_app.paths import relative_to_application

register = template.Library()


@register.filter
def words(value) -> str:
    """An enum value as words: ``schema_mismatch`` → ``schema mismatch``."""
    return str(value or "").replace("_", " ")


@register.filter
def in_application(text, application) -> str:
    return relative_to_application(str(text or ""), str(application))

"""Run page filters: values in words, paths relative to the application's data folder."""

from django import template

from runs_app.paths import relative_to_application
from webkit.templatetags.webkit import words

register = template.Library()


register.filter("words", words)


@register.filter
def in_application(text, application) -> str:
    return relative_to_application(str(text or ""), str(application))

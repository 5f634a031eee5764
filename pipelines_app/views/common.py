"""What every page shares: the permission wrapper, XML and diff display (page-or-fragment is
``webkit.responses.respond``)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.safestring import mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import XmlLexer

from pipelines_app import services
from pipelines_app.audit import client_of
from spark_runner.definition import Problem

# ---------------------------------------------------------------- shared helpers


def forbidden(request, reason: str):
    return render(request, "pipelines_app/forbidden.html", {"reason": reason}, status=403)


def page(view):
    """Signed-in users only; a refused permission becomes a friendly 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as refused:
            return forbidden(request, str(refused) or "You may not do this.")

    return wrapper


def highlighted_xml(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    formatter = HtmlFormatter(nowrap=False, linenos="table", cssclass="xml", wrapcode=True)
    return mark_safe(highlight(text, XmlLexer(), formatter))  # noqa: S308 - pygments escapes


def diff_lines(patch: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, text) lines for the template to colour."""
    lines = []
    for line in (patch or "").splitlines():
        if line.startswith(("+++", "---", "diff ", "index ")):
            kind = "meta"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append((kind, line))
    return lines


def problem_text(problem: Problem) -> str:
    return f"{problem.line}:{problem.column}: {problem.message}"


def service_call(request, call, **kwargs):
    """Run one service: (result, None), or (None, why) when refused; NotAllowed becomes 403,
    and ChangeMoved is the caller's to show."""
    try:
        return call(client=client_of(request), **kwargs), None
    except (services.NotAllowed, services.ChangeMoved):
        raise
    except services.ChangeRequestInvalid as invalid:
        return None, "; ".join(str(p) for p in invalid.problems[:5])
    except services.ServiceError as refused:
        return None, refused.message


def query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()

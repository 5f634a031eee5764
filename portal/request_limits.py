"""Request bodies over ``HUB_MAX_REQUEST_BYTES`` are answered 413 before anything reads them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def too_large(request, message: str):
    """The 413 answer: JSON for the API, the error page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "too_large", "detail": message}, status=413)
    context = {"title": "Too large", "code": 413, "message": message}
    return render(request, "portal/error.html", context, status=413)


def body_limit_text() -> str:
    limit = settings.HUB_MAX_REQUEST_BYTES
    return f"the portal accepts at most {megabytes(limit)} per request (a definition at most 5 MB)"


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        if size > settings.HUB_MAX_REQUEST_BYTES:
            return too_large(request, f"the request is {megabytes(size)}; {body_limit_text()}")
        return self.get_response(request)

    def process_exception(self, request, exception):
        # A body without a length that turns out too big while Django reads a form.
        if isinstance(exception, RequestDataTooBig):
            return too_large(request, f"the request is too large; {body_limit_text()}")
        return None

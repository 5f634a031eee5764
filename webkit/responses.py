"""Page or fragment: one URL serves the whole page, and an htmx request gets only the part it asked
for (NetBox's pattern). The one place every view decides it."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import patch_vary_headers

ANY_TARGET = "*"


def fragment_for(request, fragments: dict[str, str] | None) -> str | None:
    """The partial an htmx request asked for: ``fragments`` maps the target id the request names
    (``HX-Target``), a ``prefix-`` of it, or ``*`` for any target. A boosted request (a whole
    page swapped in by ``hx-boost``) and a plain request get the page."""
    htmx = getattr(request, "htmx", None)
    if not fragments or not htmx or htmx.boosted:
        return None
    target = htmx.target or ""
    for key, fragment in fragments.items():
        if key == ANY_TARGET or target == key or (key.endswith("-") and target.startswith(key)):
            return fragment
    return None


def respond(request, template: str, context: dict, fragments=None, *, status: int = 200):
    """The page ``template``, or the partial of ``fragments`` the htmx request targets.
    ``fragments`` is a mapping (see ``fragment_for``) or one template for any target."""
    if isinstance(fragments, str):
        fragments = {ANY_TARGET: fragments}
    response = render(request, fragment_for(request, fragments) or template, context, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response

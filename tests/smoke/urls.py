"""Every named URL of the portal, from the resolver: new pages are walked without listing them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    params: tuple[str, ...]  # the keyword arguments it takes


def _params(pattern) -> tuple[str, ...]:
    inner = pattern.pattern
    converters = getattr(inner, "converters", None)
    if converters:
        return tuple(converters)
    return tuple(inner.regex.groupindex)


def routes(resolver=None, namespace: str = "", inherited: tuple[str, ...] = ()) -> list[Route]:
    resolver = resolver or get_resolver()
    found: dict[str, Route] = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}{entry.namespace}:"
            for route in routes(entry, space, inherited + _params(entry)):
                found.setdefault(route.name, route)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}{entry.name}"
            found.setdefault(name, Route(name, inherited + _params(entry)))
    return sorted(found.values(), key=lambda r: r.name)

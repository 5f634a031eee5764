"""Each persona's URLs with real objects in them, and what each persona gets."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse

from pipelines_app.models import ChangeRequest
from tests.smoke.urls import Route, routes

PERSONAS = ("anonymous", "author", "reviewer", "operator", "staff", "non_member")
USERNAMES = {
    "author": "alice",
    "reviewer": "bob",
    "operator": "olga",
    "staff": "admin",
    "non_member": "mallory",
}


def drafts(client) -> dict[str, str]:
    """This persona's own drafts (they live in the session): a wizard, an XML and a job draft."""
    found = {}
    for kind, url in (
        ("wizard", reverse("pipelines:wizard")),
        ("xml", reverse("pipelines:wizard") + "?mode=xml"),
        ("job", reverse("pipelines:job_new")),
    ):
        response = client.get(url)
        location = response.get("Location", "") if response.status_code == 302 else ""
        parts = [p for p in location.split("/") if p]
        # /pipelines/draft/<key>/basics/, /pipelines/draft/<key>/xml/, /pipelines/job/<key>/
        found[kind] = parts[2] if len(parts) > 2 and "login" not in location else "gone-draft"
    return found


def _admin_object(route: Route) -> list[str]:
    label = route.name.split(":", 1)[1].rsplit("_", 1)[0]
    for model in admin.site._registry:
        if f"{model._meta.app_label}_{model._meta.model_name}" == label or (
            label.endswith("_password") and model._meta.model_name == "user"
        ):
            first = model._default_manager.order_by("pk").first()
            return [str(first.pk)] if first is not None else []
    return []


def values(route: Route, world, keys: dict[str, str]) -> list[dict]:
    """The keyword arguments to reverse ``route`` with: real objects of the world."""
    changes = world.changes
    if route.name in ("pipelines:change_detail", "api-change-request"):
        return [{"number": c.number} for c in changes.values()]
    if route.params in (("run_id",),):
        return [{"run_id": world.runs["failed"].id}, {"run_id": world.job.id}]
    if route.name.startswith("admin:") and route.params in (("object_id",), ("id",)):
        return [{route.params[0]: pk} for pk in _admin_object(route)]
    if route.name == "admin:view_on_site":
        kind = ContentType.objects.get_for_model(ChangeRequest)
        return [{"content_type_id": kind.pk, "object_id": changes["merged"].pk}]
    if route.name == "admin:app_list":
        labels = sorted({model._meta.app_label for model in admin.site._registry})
        return [{"app_label": label} for label in labels]
    known = {
        "alert_id": world.alert.id,
        "number": changes["in_review"].number,
        "application": "sales",
        "layer": "staging",
        "kind": "pipeline",
        "def_id": "customer_load",
        "id": "customer_load",
        "decision": "approve",
        "action": "withdraw",
        "step": "basics",
        "token_id": world.token_id,
        "name": "authors/wizard.md",
        "preview_id": "00000000-0000-4000-8000-000000000000",  # a preview is its user's alone
        "key": keys["job" if route.name.startswith("pipelines:job") else "wizard"],
    }
    if route.name == "pipelines:wizard_xml":
        known["key"] = keys["xml"]
    missing = [p for p in route.params if p not in known]
    assert not missing, f"{route.name}: give the smoke suite a real value for {missing}"
    return [{p: known[p] for p in route.params}]


def urls(world, keys: dict[str, str]) -> list[tuple[str, str]]:
    """(route name, url) for every named route of the portal."""
    found = []
    for route in routes():
        for kwargs in values(route, world, keys):
            try:
                found.append((route.name, reverse(route.name, kwargs=kwargs)))
            except NoReverseMatch as exc:
                raise AssertionError(f"{route.name}: {exc}") from None
    return found

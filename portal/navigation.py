"""Top navigation: (label, url name, who sees it). Apps list their pages here, in one place."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from pipelines_app.permissions import applications_for


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    staff_only: bool = False
    role: str | None = None  # shown to holders of this role in some application (and staff)


NAV = (
    NavEntry("Pipelines", "pipelines:catalog"),
    NavEntry("New pipeline", "pipelines:wizard", role="author"),
    NavEntry("Change requests", "pipelines:change_list"),
    NavEntry("Review queue", "pipelines:review_queue", role="reviewer"),
    NavEntry("Runs", "runs:run_list"),
    NavEntry("Dashboard", "runs:dashboard"),
    NavEntry("Alerts", "runs:alerts"),
    NavEntry("Audit log", "pipelines:audit", staff_only=True),
    NavEntry("API", "api-docs"),
)


def entries_for(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    shown = []
    for entry in NAV:
        if entry.staff_only and not user.is_staff:
            continue
        if entry.role and not user.is_staff and not applications_for(user, entry.role):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue  # that page is not built yet
        shown.append({"label": entry.label, "url": url, "active": False})
    # The longest matching prefix is the current section: /pipelines/new/ is "New pipeline".
    matching = [e for e in shown if request.path.startswith(e["url"]) and e["url"] != "/"]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["active"] = True
    return shown

"""What the home page shows a person: their work, by the roles they hold."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from pipelines_app import selectors
from runs_app.models import PipelineRun
from runs_app.selectors import inbox, running_now, unread_count, visible_applications

OPEN_CHANGE_STATUSES = ("draft", "in_review", "changes_requested", "needs_rebase")


@dataclass
class HomeSummary:
    applications: list[dict] = field(default_factory=list)
    my_changes: list = field(default_factory=list)
    review_items: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    running: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    unread_alerts: int = 0
    is_author: bool = False
    is_reviewer: bool = False
    is_operator: bool = False


def home_summary(user) -> HomeSummary:
    roles = selectors.roles_by_application(user)  # one query, however many applications
    names = sorted(roles)
    held = set().union(*roles.values()) if roles else set()
    summary = HomeSummary(
        applications=[{"name": n, "roles": sorted(roles[n])} for n in names],
        is_author="author" in held,
        is_reviewer="reviewer" in held,
        is_operator="operator" in held,
    )
    if summary.is_author:
        mine = selectors.change_requests_for(user).filter(author=user)
        summary.my_changes = list(mine.filter(status__in=OPEN_CHANGE_STATUSES)[:5])
    if summary.is_reviewer:
        summary.review_items = selectors.review_queue(user, limit=5)
    visible = visible_applications(user)
    if names or user.is_staff:
        since = timezone.now() - timedelta(days=1)
        failed = PipelineRun.objects.filter(status="failed", finished_at__gte=since)
        if visible is not None:
            failed = failed.filter(application__in=visible)
        summary.failures = list(failed.order_by("-finished_at")[:5])
        summary.running = running_now(visible)[:5]
        summary.alerts = list(inbox(visible, limit=3))
        summary.unread_alerts = unread_count(visible)
    return summary

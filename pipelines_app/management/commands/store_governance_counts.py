"""``manage.py store_governance_counts``: work out and store the governance finding counts of
open change requests that have none (those proposed before the counts were stored)."""

from django.core.management.base import BaseCommand

from pipelines_app import governance
from pipelines_app.models import OPEN_STATUSES, ChangeRequest
from pipelines_app.services import config_repository


class Command(BaseCommand):
    help = (
        "Store the governance finding counts (shown by the review queue) on open change requests "
        "that have none. Reads each change's diff from the config repository once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recount those that have counts")

    def handle(self, *args, all: bool = False, **options):
        repo = config_repository()
        changes = ChangeRequest.objects.filter(status__in=OPEN_STATUSES).select_related(
            "application"
        )
        if not all:
            changes = changes.filter(findings__isnull=True)
        stored = unknown = 0
        for change in changes.iterator(chunk_size=200):
            counts = governance.stored_counts(repo, change)
            # only if the head did not move meanwhile (an update stores its own counts)
            ChangeRequest.objects.filter(pk=change.pk, head_commit=change.head_commit).update(
                **counts
            )
            stored += counts["findings"] is not None
            unknown += counts["findings"] is None
        self.stdout.write(f"stored counts on {stored} change requests; {unknown} unreadable")

"""``manage.py rebuild_run_rollups``: recompute the per-day and total run counts from the runs."""

import time

from django.core.management.base import BaseCommand

from runs_app import rollups


class Command(BaseCommand):
    help = (
        "Recompute the run rollups (RunDay, RunTotal) that serve the dashboard, the SLA page and "
        "/metrics, from the run tables. Safe while workers run: run ends wait for it."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        days, totals = rollups.rebuild()
        self.stdout.write(
            f"rebuilt {days:,} day rows and {totals:,} total rows "
            f"in {time.monotonic() - started:.1f} s"
        )

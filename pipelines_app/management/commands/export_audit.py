"""python manage.py export_audit [--since 2026-11-01] [--until ...] > audit.jsonl"""

from datetime import UTC, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from pipelines_app.audit import export_jsonl


def _when(value):
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None and (day := parse_date(value)) is not None:
        parsed = datetime.combine(day, time.min)
    if parsed is None:
        raise CommandError(f"{value!r} is not an ISO date or date-time")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Write the audit log as JSON lines (oldest first) to standard output."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="ISO date or date-time (inclusive)")
        parser.add_argument("--until", help="ISO date or date-time (exclusive)")

    def handle(self, since, until, **options):
        for line in export_jsonl(_when(since), _when(until)):
            self.stdout.write(line, ending="")

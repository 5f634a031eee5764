"""python manage.py export_audit [--since 2026-11-01] [--until ...] > audit.jsonl"""

from django.core.management.base import BaseCommand, CommandError

from pipelines_app.audit import export_jsonl, parse_moment


def _when(value):
    try:
        return parse_moment(value)
    except ValueError as error:
        raise CommandError(str(error)) from None


class Command(BaseCommand):
    help = "Write the audit log as JSON lines (oldest first) to standard output."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="ISO date or date-time (inclusive)")
        parser.add_argument("--until", help="ISO date or date-time (exclusive)")

    def handle(self, since, until, **options):
        for line in export_jsonl(_when(since), _when(until)):
            self.stdout.write(line, ending="")

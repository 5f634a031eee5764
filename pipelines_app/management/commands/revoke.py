"""python manage.py revoke <username> <application> <role>"""

from django.core.management.base import BaseCommand

from pipelines_app.management.commands.grant import membership_change
from pipelines_app.models import Role


class Command(BaseCommand):
    help = "Take a role (author, reviewer, operator) in an application away from a user."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("application")
        parser.add_argument("role", choices=Role.values)

    def handle(self, username, application, role, **options):
        self.stdout.write(membership_change(username, application, role, revoke=True))

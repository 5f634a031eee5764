"""python manage.py revoke <username> <application> <role>"""

from django.core.management.base import BaseCommand

from pipelines_app.management.commands.grant import add_membership_arguments, membership_change


class Command(BaseCommand):
    help = "Take a role (author, reviewer, operator) in an application away from a user."

    def add_arguments(self, parser):
        add_membership_arguments(parser)

    def handle(self, username, application, role, **options):
        self.stdout.write(membership_change(username, application, role, revoke=True))

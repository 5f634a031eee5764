"""python manage.py grant <username> <application> <role> [--create-application] [--revoke]"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pipelines_app import audit
from pipelines_app.models import Application, Membership, Role, name_validator


def membership_change(
    username: str, application: str, role: str, *, revoke: bool, create_application: bool = False
) -> str:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(
            f"there is no user {username!r}; create it first (manage.py createsuperuser, or the "
            "admin)"
        )
    if role not in Role.values:
        raise CommandError(f"role {role!r} is not one of {', '.join(Role.values)}")
    app = Application.objects.filter(name=application).first()
    if app is None:
        if revoke or not create_application:
            raise CommandError(
                f"there is no application {application!r}; create it in the admin, or run "
                f"grant again with --create-application"
            )
        try:
            name_validator(application)
        except ValidationError as error:
            raise CommandError(f"application name {application!r}: {error.messages[0]}") from None
        app = Application.objects.create(name=application, display_name=application)
        audit.record(None, "application.create", f"application:{app.name}", {"by": "grant"})
    if revoke:
        deleted, _ = Membership.objects.filter(user=user, application=app, role=role).delete()
        if not deleted:
            return f"{username} was not a {role} of {application}: nothing to revoke"
        audit.record(
            None,
            "membership.revoke",
            f"application:{app.name}",
            {"user": username, "role": role, "by": "manage.py revoke"},
        )
        return f"{username} is no longer a {role} of {application}"
    _, created = Membership.objects.get_or_create(user=user, application=app, role=role)
    if not created:
        return f"{username} already is a {role} of {application}"
    audit.record(
        None,
        "membership.grant",
        f"application:{app.name}",
        {"user": username, "role": role, "by": "manage.py grant"},
    )
    return f"{username} is now a {role} of {application}"


class Command(BaseCommand):
    help = "Give a user a role (author, reviewer, operator) in an application."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("application")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument(
            "--create-application",
            action="store_true",
            help="create the application when it does not exist",
        )
        parser.add_argument("--revoke", action="store_true", help="take the role away instead")

    def handle(self, username, application, role, create_application, revoke, **options):
        self.stdout.write(
            membership_change(
                username, application, role, revoke=revoke, create_application=create_application
            )
        )

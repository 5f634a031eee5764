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
        changed, _ = Membership.objects.filter(user=user, application=app, role=role).delete()
    else:
        _, changed = Membership.objects.get_or_create(user=user, application=app, role=role)
    verb, unchanged, done = _OUTCOMES[revoke]
    if not changed:
        return unchanged.format(username=username, role=role, application=application)
    audit.record(
        None,
        f"membership.{verb}",
        f"application:{app.name}",
        {"user": username, "role": role, "by": f"manage.py {verb}"},
    )
    return done.format(username=username, role=role, application=application)


# revoke -> (the audit verb, the answer when nothing changed, the answer when it did)
_OUTCOMES = {
    False: (
        "grant",
        "{username} already is a {role} of {application}",
        "{username} is now a {role} of {application}",
    ),
    True: (
        "revoke",
        "{username} was not a {role} of {application}: nothing to revoke",
        "{username} is no longer a {role} of {application}",
    ),
}


def add_membership_arguments(parser) -> None:
    parser.add_argument("username")
    parser.add_argument("application")
    parser.add_argument("role", choices=Role.values)


class Command(BaseCommand):
    help = "Give a user a role (author, reviewer, operator) in an application."

    def add_arguments(self, parser):
        add_membership_arguments(parser)
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

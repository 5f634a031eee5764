"""``python manage.py detokenize <application> --actor <user> --reason <why> --secret-ref <name>
TOKEN [TOKEN ...]``

Prints ``{token: original}`` as JSON (null for a token the vault does not hold). The actor must
be an operator of the application; every attempt is audited (``runs_app.operations.detokenize``).
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from runs_app import operations, runner, services


class Command(BaseCommand):
    help = "Tokens of an application's token vault back to their originals, audited."

    def add_arguments(self, parser):
        parser.add_argument("application")
        parser.add_argument("tokens", nargs="+", metavar="TOKEN")
        parser.add_argument("--actor", required=True, help="the portal user who asks")
        parser.add_argument("--reason", required=True, help="why, e.g. a ticket number")
        parser.add_argument(
            "--secret-ref", required=True, help="the secretRef the mask step tokenized with"
        )

    def handle(self, *args, **options):
        actor = get_user_model().objects.filter(username=options["actor"]).first()
        if actor is None:
            raise CommandError(f"no portal user {options['actor']!r}")
        try:
            found = operations.detokenize(
                actor=actor,
                application=options["application"],
                tokens=options["tokens"],
                secret_ref=options["secret_ref"],
                reason=options["reason"],
                spark=_LazySpark(),
                client=(None, "manage.py detokenize"),
            )
        except services.RunRefused as refused:
            raise CommandError(f"refused: {refused}") from None
        self.stdout.write(json.dumps(found, ensure_ascii=False, indent=2, sort_keys=True))


class _LazySpark:
    """Starts Spark only when the vault is read, so a refused request costs no JVM."""

    def __getattr__(self, name):
        from spark_runner.engine import get_session

        session = get_session(runner.engine_settings())
        return getattr(session, name)

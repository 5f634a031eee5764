"""python manage.py data-policy <application> show
python manage.py data-policy <application> allow|revoke storage|connection|hive-database VALUE
    [--read-only | --read-write] [--credential-secret NAME]

Staff's tool for an application's data policy (docs/operators/data-policy.md); every change is
audited as ``data_policy.allow`` / ``data_policy.revoke``.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from pipelines_app import data_policy
from pipelines_app.errors import ServiceError
from pipelines_app.models import Application


class Command(BaseCommand):
    help = "Show or change an application's data policy (storage roots, connections, Hive dbs)."

    def add_arguments(self, parser):
        parser.add_argument("application")
        parser.add_argument("action", choices=["show", "allow", "revoke"])
        parser.add_argument("kind", nargs="?", choices=list(data_policy.KINDS))
        parser.add_argument("value", nargs="?")
        access = parser.add_mutually_exclusive_group()
        access.add_argument("--read-only", dest="read_only", action="store_true", default=None)
        access.add_argument("--read-write", dest="read_only", action="store_false")
        parser.add_argument(
            "--credential-secret",
            default="",
            help="connection: the secret (user:password) recorded for it",
        )
        parser.add_argument("--json", action="store_true", help="show: print JSON")

    def handle(self, *args, **options):
        name, action = options["application"], options["action"]
        if action == "show":
            application = Application.objects.filter(name=name).first()
            if application is None:
                raise CommandError(f"there is no application {name!r}")
            described = data_policy.describe(application)
            if options["json"]:
                self.stdout.write(json.dumps(described, indent=2))
            else:
                self.stdout.write(_text(described))
            return
        if not options["kind"] or not options["value"]:
            raise CommandError(
                f"{action} needs a kind (storage|connection|hive-database) and VALUE"
            )
        try:
            if action == "allow":
                done = data_policy.allow(
                    actor=None,
                    application=name,
                    kind=options["kind"],
                    value=options["value"],
                    read_only=options["read_only"],
                    credential_secret=options["credential_secret"],
                )
                self.stdout.write(f"{name}: allowed {_entry(done)}")
            else:
                data_policy.revoke(
                    actor=None, application=name, kind=options["kind"], value=options["value"]
                )
                self.stdout.write(f"{name}: revoked {options['kind']} {options['value']}")
        except ServiceError as error:
            raise CommandError(error.message) from None


def _entry(details: dict) -> str:
    kind = details["kind"]
    if kind == "storage":
        return f"storage {details['uri']} ({details['access']})"
    if kind == "connection":
        credential = details["credential"]
        return f"connection {details['connection']}" + (
            f" (credential secret {credential})" if credential else ""
        )
    return f"hive-database {details['database']} ({details['access']})"


def _text(described: dict) -> str:
    lines = [
        f"application {described['application']}",
        f"  data folder (read-write): {described['data_folder']}",
        f"  secrets: {described['secrets']}",
        "  storage roots:" + ("" if described["storage"] else " none"),
    ]
    lines += [f"    {r['uri']} ({r['access']})" for r in described["storage"]]
    lines.append("  connections:" + ("" if described["connections"] else " none"))
    for c in described["connections"]:
        credential = f" credential {c['credential_secret']}" if c["credential_secret"] else ""
        lines.append(f"    {c['url']}{credential}")
    hive = described["hive_databases"]
    lines.append(f"  Hive databases owned: {', '.join(hive['owned'])}")
    lines.append("  Hive databases allowed:" + ("" if hive["allowed"] else " none"))
    lines += [f"    {h['name']} ({h['access']})" for h in hive["allowed"]]
    return "\n".join(lines)

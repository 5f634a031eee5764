"""Loads the demo `retail` application into the config repository and the lake, with demo users."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_PASSWORD = "datahub-demo"  # noqa: S105 - demo only, printed on purpose
DEMO_USERS = (
    # username, role in the demo application, staff
    ("ada", "author", False),
    ("rita", "reviewer", False),
    ("otto", "operator", False),
    ("admin", None, True),
)


class Command(BaseCommand):
    help = "Load the demo application, its sample data and demo users (demo only). Idempotent."

    def handle(self, *args, **options):
        for line in load_demo_portal():
            self.stdout.write(line)


def load_demo_portal() -> list[str]:
    """Loads the demo config, data and users; returns the demo logins, one line each."""
    from demo.load import load_demo

    load_demo(settings.HUB_CONFIG_REPO, settings.HUB_DATA_ROOT, secrets_file=demo_secrets_file())
    logins = []
    for username, role, staff in DEMO_USERS:
        _ensure_user(username, role, staff)
        logins.append(f"{username:<6} / {DEMO_PASSWORD}   ({role or 'administrator'})")
    _demo_policy()
    return logins


def _demo_policy() -> None:
    """The demo's data policy: its own folder, ``retail.*`` secrets (``retail.mask-key``) and
    ``retail_*`` Hive databases need no entry; staff also let it read the lake's shared
    reference folder."""
    from pipelines_app import data_policy
    from pipelines_app.models import Application, StorageRoot

    application, _ = Application.objects.get_or_create(
        name="retail", defaults={"display_name": "Retail"}
    )
    shared = Path(settings.HUB_DATA_ROOT).resolve() / "shared" / "reference"
    shared.mkdir(parents=True, exist_ok=True)
    if not StorageRoot.objects.filter(application=application, uri=str(shared)).exists():
        data_policy.allow(
            actor=None, application="retail", kind="storage", value=str(shared), read_only=True
        )


def demo_secrets_file() -> Path:
    """The secrets file of the demo: HUB_SECRETS_FILE, else a generated one under var/."""
    return Path(settings.HUB_SECRETS_FILE or settings.VAR_DIR / "demo-secrets.json")


def _ensure_user(username, role, staff):
    from pipelines_app.models import Application, Membership

    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": staff, "is_superuser": staff}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    if role:
        application, _ = Application.objects.get_or_create(
            name="retail", defaults={"display_name": "Retail"}
        )
        Membership.objects.get_or_create(user=user, application=application, role=role)

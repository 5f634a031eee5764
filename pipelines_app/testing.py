"""A fixed cast for tests (pages and API alike), and small sample files.

from pipelines_app.testing import make_personas
cast = make_personas("sales")   # alice author, bob and carol reviewers, olga operator,
                                # mallory outsider (author+reviewer of "other"), admin staff
client.force_login(cast.alice)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, make_password

from pipelines_app.models import AllowedHiveDatabase, Application, Membership, Role

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test users only


@dataclass(frozen=True)
class Personas:
    application: Application
    other: Application  # an application where only mallory works
    alice: object  # author of `application`
    bob: object  # reviewer
    carol: object  # second reviewer
    olga: object  # operator
    mallory: object  # author and reviewer of `other`, nothing in `application`
    admin: object  # staff
    password: str = PASSWORD

    def by_name(self, name: str):
        return getattr(self, name) if name else None


def _password_hash() -> str:
    # Hashing is slow on purpose; the cast shares one hash per hasher in force.
    return _hash_with(get_hasher().algorithm)


@cache
def _hash_with(algorithm: str) -> str:
    return make_password(PASSWORD, hasher=algorithm)


def make_user(username: str, *, staff: bool = False):
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create(
            username=username,
            email=f"{username}@example.com",
            password=_password_hash(),
            is_staff=staff,
            is_superuser=staff,
            first_name=username.capitalize(),
        )
    return user


def grant(user, application: Application, *roles: str) -> None:
    for role in roles:
        Membership.objects.get_or_create(user=user, application=application, role=role)


def make_personas(name: str = "sales", *, required_approvals: int = 1) -> Personas:
    application, _ = Application.objects.get_or_create(
        name=name,
        defaults={"display_name": name.capitalize(), "required_approvals": required_approvals},
    )
    other, _ = Application.objects.get_or_create(name=f"{name}-other")
    cast = Personas(
        application=application,
        other=other,
        alice=make_user("alice"),
        bob=make_user("bob"),
        carol=make_user("carol"),
        olga=make_user("olga"),
        mallory=make_user("mallory"),
        admin=make_user("admin", staff=True),
    )
    grant(cast.alice, application, Role.AUTHOR)
    grant(cast.bob, application, Role.REVIEWER)
    grant(cast.carol, application, Role.REVIEWER)
    grant(cast.olga, application, Role.OPERATOR)
    grant(cast.mallory, other, Role.AUTHOR, Role.REVIEWER)
    allow_layer_databases(application)
    return cast


def allow_layer_databases(application: Application) -> None:
    """The sample pipelines write Hive tables named ``<layer>.<id>``: the application's data
    policy allows those databases (as staff would for a team that predates the naming rule)."""
    for layer in ("staging", "standardization", "service"):
        AllowedHiveDatabase.objects.get_or_create(application=application, name=layer)


# ---------------------------------------------------------------- sample files

CUSTOMER_SCHEMA = b"""{
  "type": "record",
  "name": "customer",
  "fields": [
    {"name": "customer_id", "type": "long"},
    {"name": "name", "type": ["null", "string"]},
    {"name": "email", "type": ["null", "string"]},
    {"name": "country", "type": ["null", "string"]}
  ]
}
"""


def pipeline_xml(
    id: str = "customer_load",
    *,
    layer: str = "staging",
    mode: str = "append",
    mask: bool = True,
    owner: str | None = "customer-team",
    schema_ref: str = "schemas/customer.avsc",
    target_schema: str | None = None,
    table: str | None = None,
) -> bytes:
    """A small valid pipeline reading a CSV with ``schema_ref`` into a Hive table."""
    owner_xml = f"<owner>{owner}</owner>" if owner else ""
    mask_xml = (
        '<transformations><mask source="customers" columns="email" strategy="redact"/>'
        "</transformations>"
        if mask
        else ""
    )
    target_schema_xml = f' schemaRef="{target_schema}"' if target_schema else ""
    return f"""<pipeline id="{id}" version="1.0" layer="{layer}">
  <metadata>
    {owner_xml}
    <sla>PT2H</sla>
    <schedule>0 * * * *</schedule>
  </metadata>
  <sources>
    <csv id="customers" path="landing/customer.csv" header="true">
      <schemaRef>{schema_ref}</schemaRef>
    </csv>
  </sources>
  {mask_xml}
  <targets>
    <hive table="{table or layer + "." + id}" mode="{mode}"{target_schema_xml}/>
  </targets>
</pipeline>
""".encode()

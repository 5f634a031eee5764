"""Applications' data policies: built from the rows staff keep (``StorageRoot``,
``AllowedConnection``, ``AllowedHiveDatabase``) into the ``DataPolicy`` that validation,
governance and the engine share (spark_runner/definition/policy.py), and changed by staff only,
every change audited. docs/operators/data-policy.md explains the model."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from pipelines_app import audit
from pipelines_app.audit import NO_CLIENT, Client
from pipelines_app.errors import BadInput, NotAllowed, NotFound
from pipelines_app.models import (
    Access,
    AllowedConnection,
    AllowedHiveDatabase,
    Application,
    StorageRoot,
)
from spark_runner.definition.policy import (
    DEFAULT_PORTS,
    REFUSED_PARAMETERS,
    BadJdbcUrl,
    Connection,
    DataPolicy,
    HiveDatabase,
    has_parent_step,
    has_wildcard,
    parse_jdbc,
    place,
)
from spark_runner.definition.policy import StorageRoot as Root

KINDS = ("storage", "connection", "hive-database")
_HIVE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_SECRET_NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}")
_ENGINES = {"postgresql": ("postgresql",), "mysql": ("mysql", "mariadb")}


# ---------------------------------------------------------------- reading


def forbidden_connections() -> tuple[tuple[str, Connection], ...]:
    """The portal's own databases and the Hive metastore: never reachable from a pipeline."""
    found: list[tuple[str, Connection]] = []
    for alias, database in settings.DATABASES.items():
        engine = database.get("ENGINE", "")
        for family, drivers in _ENGINES.items():
            if family not in engine:
                continue
            for driver in drivers:
                port = int(database.get("PORT") or DEFAULT_PORTS[driver])
                host = (database.get("HOST") or "localhost").lower()
                what = "the portal's own database" + ("" if alias == "default" else f" ({alias})")
                found.append((what, Connection(driver, host, port, str(database.get("NAME")))))
    metastore = getattr(settings, "HUB_METASTORE_URL", "") or ""
    if metastore.startswith("jdbc:"):
        with contextlib.suppress(BadJdbcUrl):
            found.append(("the Hive metastore", parse_jdbc(metastore)[0]))
    return tuple(found)


def protected_places() -> tuple[tuple[str, str], ...]:
    """Files no pipeline may read or write, even inside an allowed storage root."""
    found = []
    secrets_file = getattr(settings, "HUB_SECRETS_FILE", "") or ""
    if secrets_file:
        found.append(("the secrets file", str(Path(secrets_file).resolve())))
    var_dir = getattr(settings, "VAR_DIR", None)
    if var_dir:  # load_demo's secrets file when HUB_SECRETS_FILE is not set
        found.append(("the secrets file", str((Path(var_dir) / "demo-secrets.json").resolve())))
    for alias, database in settings.DATABASES.items():
        if "sqlite" in database.get("ENGINE", "") and str(database.get("NAME", ""))[:1] == "/":
            what = "the portal's own database" + ("" if alias == "default" else f" ({alias})")
            found.append((what, str(Path(database["NAME"]).resolve())))
    config_repo = getattr(settings, "HUB_CONFIG_REPO", "") or ""
    if config_repo:
        found.append(("the config repository", str(Path(config_repo).resolve())))
    return tuple(found)


def data_root() -> str:
    root = str(settings.HUB_DATA_ROOT)
    return root if "://" in root else str(Path(root).resolve())


def policy_of(application: Application) -> DataPolicy:
    return DataPolicy(
        application=application.name,
        data_root=data_root(),
        storage=tuple(
            Root(r.uri, r.access == Access.READ_ONLY) for r in application.storage_roots.all()
        ),
        connections=tuple(
            Connection(c.driver, c.host, c.port, c.database, c.credential_secret)
            for c in application.allowed_connections.all()
        ),
        hive_databases=tuple(
            HiveDatabase(h.name, h.access == Access.READ_ONLY)
            for h in application.allowed_hive_databases.all()
        ),
        forbidden=forbidden_connections(),
        protected=protected_places(),
    )


def policy_for(name: str) -> DataPolicy | None:
    """The policy of application ``name``; None when the portal has no such application."""
    application = Application.objects.filter(name=name).first()
    return policy_of(application) if application is not None else None


def run_policy(name: str) -> DataPolicy:
    """The policy a run of application ``name`` runs under. An application the portal does not
    know (its rows deleted while a run waited) gets the strictest: its own folder, secrets and
    databases only."""
    found = policy_for(name)
    if found is not None:
        return found
    return DataPolicy(
        application=name,
        data_root=data_root(),
        forbidden=forbidden_connections(),
        protected=protected_places(),
    )


def policies():
    """``policy_for`` remembered for one validation (an application's policy read once)."""
    known: dict[str, DataPolicy | None] = {}

    def lookup(name: str) -> DataPolicy | None:
        if name not in known:
            known[name] = policy_for(name)
        return known[name]

    return lookup


def describe(application: Application) -> dict:
    """What members may read: the policy, own parts included."""
    policy = policy_of(application)
    own = application.name.replace("-", "_")
    return {
        "application": application.name,
        "data_folder": policy.app_root,
        "storage": [{"uri": r.uri, "access": r.access} for r in application.storage_roots.all()],
        "connections": [
            {"url": c.url, "credential_secret": c.credential_secret}
            for c in application.allowed_connections.all()
        ],
        "secrets": f"{application.name}.<name>",
        "hive_databases": {
            "owned": [own, f"{own}_*"],
            "allowed": [
                {"name": h.name, "access": h.access}
                for h in application.allowed_hive_databases.all()
            ],
        },
    }


# ---------------------------------------------------------------- changing (staff only)


def _require_staff(actor) -> None:
    """``actor`` None: the platform team at a shell (``manage.py data-policy``)."""
    if actor is not None and not getattr(actor, "is_staff", False):
        raise NotAllowed("only staff may change an application's data policy")


def _application(name: str) -> Application:
    application = Application.objects.filter(name=name).first()
    if application is None:
        raise NotFound(f"there is no application {name!r}")
    return application


def check_storage_root(uri: str) -> str:
    uri = (uri or "").strip().rstrip("/")
    where = place(uri)
    if where is None:
        raise BadInput(
            f"storage root {uri!r} must be an absolute path or a URI (file://, s3a://, hdfs://)"
        )
    if has_parent_step(uri) or has_wildcard(uri):
        raise BadInput(f'storage root {uri!r} must not hold ".." or wildcards')
    if not where.segments and where.scheme == "file":
        raise BadInput("the whole file system cannot be a storage root")
    for what, location in protected_places():
        guarded = place(location)
        if guarded is not None and guarded.inside(where):
            raise BadInput(f"storage root {uri!r} would contain {what}")
    return uri


def check_connection(url: str) -> Connection:
    try:
        connection, params = parse_jdbc(url or "")
    except BadJdbcUrl as error:
        raise BadInput(str(error)) from None
    refused = sorted(set(params) & REFUSED_PARAMETERS)
    if refused:
        raise BadInput(f'connection parameter "{refused[0]}" is not accepted; give the server only')
    for what, forbidden in forbidden_connections():
        if forbidden.same_place(connection):
            raise BadInput(f"{connection} is {what}; no application may be allowed to connect")
    return connection


def check_hive_database(name: str) -> str:
    if not _HIVE_NAME.fullmatch(name or ""):
        raise BadInput(f"Hive database {name!r} must be letters, digits and '_'")
    return name.lower()


def allow(
    *,
    actor,
    application: str,
    kind: str,
    value: str,
    read_only: bool | None = None,
    credential_secret: str = "",
    client: Client = NO_CLIENT,
) -> dict:
    """Adds (or changes the access of) one entry of ``application``'s policy."""
    _require_staff(actor)
    app = _application(application)
    if kind not in KINDS:
        raise BadInput(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    with transaction.atomic():
        if kind == "storage":
            uri = check_storage_root(value)
            access = Access.READ_WRITE if read_only is False else Access.READ_ONLY
            StorageRoot.objects.update_or_create(
                application=app, uri=uri, defaults={"access": access}
            )
            details = {"kind": kind, "uri": uri, "access": access}
        elif kind == "connection":
            if read_only is not None:
                raise BadInput("--read-only / --read-write apply to storage and hive-database")
            connection = check_connection(value)
            if credential_secret and not _SECRET_NAME.fullmatch(credential_secret):
                raise BadInput(f"secret name {credential_secret!r} is not valid")
            try:
                AllowedConnection.objects.update_or_create(
                    application=app,
                    driver=connection.driver,
                    host=connection.host,
                    port=connection.port,
                    database=connection.database,
                    defaults={"credential_secret": credential_secret},
                )
            except IntegrityError:
                raise BadInput(f"{connection} is already allowed") from None
            details = {"kind": kind, "connection": str(connection), "credential": credential_secret}
        else:
            name = check_hive_database(value)
            access = Access.READ_ONLY if read_only else Access.READ_WRITE
            AllowedHiveDatabase.objects.update_or_create(
                application=app, name=name, defaults={"access": access}
            )
            details = {"kind": kind, "database": name, "access": access}
        audit.record(actor, "data_policy.allow", f"application:{app.name}", details, client=client)
    return details


def revoke(*, actor, application: str, kind: str, value: str, client: Client = NO_CLIENT) -> dict:
    _require_staff(actor)
    app = _application(application)
    if kind == "storage":
        rows = StorageRoot.objects.filter(application=app, uri=(value or "").strip().rstrip("/"))
    elif kind == "connection":
        try:
            connection = parse_jdbc(value or "")[0]
        except BadJdbcUrl as error:
            raise BadInput(str(error)) from None
        rows = AllowedConnection.objects.filter(
            application=app,
            driver=connection.driver,
            host=connection.host,
            port=connection.port,
            database=connection.database,
        )
    elif kind == "hive-database":
        rows = AllowedHiveDatabase.objects.filter(application=app, name=(value or "").lower())
    else:
        raise BadInput(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    with transaction.atomic():
        removed, _ = rows.delete()
        if not removed:
            raise NotFound(f"{value!r} is not in application {app.name}'s {kind} policy")
        details = {"kind": kind, "value": value}
        audit.record(actor, "data_policy.revoke", f"application:{app.name}", details, client=client)
    return details

"""An application's data policy: the storage, connections, secrets and Hive databases its
pipelines may touch (docs/operators/data-policy.md).

Staff keep the policy in the portal's database; the portal builds a ``DataPolicy`` from it and
hands the same object to validation, governance and the engine (in ``RunContext``), so the three
doors apply one set of rules. Nothing here touches Django, Spark or the network: what a path
resolves to on disk (wildcards, symbolic links) is checked by ``resolved_problem`` with a
resolver the caller gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from . import model as m

READ_ONLY = "read-only"
READ_WRITE = "read-write"

# Drivers whose "database" is a file (or memory) on the worker: a URL names a path, not a server.
EMBEDDED_DRIVERS = frozenset({"h2", "derby", "sqlite", "hsqldb"})
DEFAULT_PORTS = {
    "postgresql": 5432,
    "mysql": 3306,
    "mariadb": 3306,
    "sqlserver": 1433,
    "oracle": 1521,
    "db2": 50000,
}
# Connection parameters that name another server or database, carry credentials, load classes or
# read and write files on the worker: never accepted, whatever connection is allowed.
REFUSED_PARAMETERS = frozenset(
    {
        "user",
        "username",
        "password",
        "pghost",
        "pgport",
        "pgdbname",
        "host",
        "port",
        "dbname",
        "database",
        "databasename",
        "servername",
        "portnumber",
        "service",
        "socketfactory",
        "socketfactoryarg",
        "sslfactory",
        "sslfactoryarg",
        "sslhostnameverifier",
        "sslpasswordcallback",
        "authenticationpluginclassname",
        "loggerfile",
        "allowloadlocalinfile",
        "allowurlinlocalinfile",
        "allowloadlocalinfileinpath",
        "autodeserialize",
        "queryinterceptors",
        "statementinterceptors",
        "connectionlifecycleinterceptors",
        "exceptioninterceptors",
        "init",
    }
)
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", ""})  # noqa: S104
_GLOB = re.compile(r"[*?\[\]{}\\]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PolicyViolation(Exception):
    """Raised by the engine (and the scoped secret resolver) when a run reaches outside its
    application's policy; the run fails with error category ``policy``."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(message)
        self.message = message
        self.where = where


# ---------------------------------------------------------------- places


@dataclass(frozen=True)
class Place:
    """A storage location taken apart: scheme (``file`` for local paths), authority, segments."""

    scheme: str
    authority: str
    segments: tuple[str, ...]

    def inside(self, root: Place) -> bool:
        return (
            self.scheme == root.scheme
            and self.authority == root.authority
            and self.segments[: len(root.segments)] == root.segments
        )

    def below(self, root: Place) -> bool:
        return self.inside(root) and len(self.segments) > len(root.segments)

    def __str__(self) -> str:
        path = "/" + "/".join(self.segments)
        if self.scheme == "file":
            return path
        return f"{self.scheme}://{self.authority}{path}"


def place(location: str) -> Place | None:
    """``/a/b``, ``file:/a/b``, ``file:///a/b``, ``s3a://bucket/a``, ``hdfs://nn:8020/a`` ->
    a Place; None for a relative path or a form that names no absolute place."""
    text = location.strip()
    scheme_match = _SCHEME.match(text)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        rest = text[scheme_match.end() :]
        if rest.startswith("//"):
            authority, _, path = rest[2:].partition("/")
            path = "/" + path
        else:
            authority, path = "", rest
        if not path.startswith("/"):
            return None
        if scheme == "file" and authority not in ("", "localhost"):
            return None
        if scheme == "file":
            authority = ""
    elif text.startswith("/"):
        scheme, authority, path = "file", "", text
    else:
        return None
    segments = tuple(s for s in unquote(path).split("/") if s not in ("", "."))
    return Place(scheme, authority.lower(), segments)


def has_parent_step(path: str) -> bool:
    """``..`` anywhere, including inside a wildcard alternation such as ``{..,x}``."""
    return ".." in re.split(r"[\\/{},]", path)


def fixed_part(location: Place) -> Place:
    """The folders before the first segment holding a wildcard (the whole place without one)."""
    for i, segment in enumerate(location.segments):
        if _GLOB.search(segment):
            return Place(location.scheme, location.authority, location.segments[:i])
    return location


def has_wildcard(path: str) -> bool:
    return bool(_GLOB.search(path))


# ---------------------------------------------------------------- connections


@dataclass(frozen=True)
class Connection:
    """A database server and database an application may use. ``credential_secret``: the
    secret (``user:password``) staff recorded for it; only this connection may be given it."""

    driver: str
    host: str
    port: int
    database: str
    credential_secret: str = ""

    def same_place(self, other: Connection) -> bool:
        return (
            self.driver == other.driver
            and _host(self.host) == _host(other.host)
            and self.port == other.port
            and self.database == other.database
        )

    def __str__(self) -> str:
        return f"{self.driver}://{self.host}:{self.port}/{self.database}"


class BadJdbcUrl(ValueError):
    pass


def _host(host: str) -> str:
    host = host.lower().strip("[]") if host else ""
    return "loopback" if host in {h.strip("[]") for h in _LOOPBACK} else host


def parse_jdbc(url: str) -> tuple[Connection, dict[str, str]]:
    """``jdbc:<driver>://host[:port]/database[?k=v&...]`` (and SQL Server's ``;k=v`` and
    Oracle's ``@host:port/service`` forms) -> (connection, parameters in lower case).

    Raises BadJdbcUrl when the URL names no single server, or uses an embedded-file driver."""
    match = re.match(r"jdbc:([A-Za-z0-9]+):(.*)$", url.strip(), re.DOTALL)
    if not match:
        raise BadJdbcUrl(f'jdbcUrl "{url}" does not start with jdbc:<driver>:')
    driver, rest = match.group(1).lower(), match.group(2)
    if driver in EMBEDDED_DRIVERS:
        raise BadJdbcUrl(
            f"jdbc:{driver}: opens a database file on the worker; embedded-file drivers "
            "(h2, derby, sqlite) are not allowed"
        )
    params: dict[str, str] = {}
    if driver == "oracle":
        thin = re.fullmatch(r"thin:[^@]*@(?://)?([^:/?]+)(?::(\d+))?[/:]([^?]+)(?:\?(.*))?", rest)
        if not thin:
            raise BadJdbcUrl(f'jdbcUrl "{url}": write jdbc:oracle:thin:@//host:port/service')
        host, port, database, query = thin.groups()
        _params(query or "", "&", params)
    elif driver == "sqlserver":
        head, _, tail = rest.partition(";")
        server = re.fullmatch(r"//([^:/;\\]+)(?::(\d+))?/?", head)
        if not server:
            raise BadJdbcUrl(f'jdbcUrl "{url}": write jdbc:sqlserver://host:port;databaseName=db')
        host, port = server.groups()
        _params(tail, ";", params)
        database = params.pop("databasename", "") or params.pop("database", "")
    else:
        server = re.fullmatch(r"//([^/?#]*)/([^?#;]*)(?:[?;](.*))?", rest, re.DOTALL)
        if not server:
            raise BadJdbcUrl(f'jdbcUrl "{url}": write jdbc:{driver}://host:port/database')
        authority, database, query = server.groups()
        if "@" in authority:
            raise BadJdbcUrl(f'jdbcUrl "{url}": credentials do not belong in the URL')
        if "," in authority or not authority:
            raise BadJdbcUrl(f'jdbcUrl "{url}" must name exactly one server')
        host_port = re.fullmatch(r"(\[[^\]]+\]|[^:]+)(?::(\d+))?", authority)
        if not host_port:
            raise BadJdbcUrl(f'jdbcUrl "{url}": cannot read host and port')
        host, port = host_port.groups()
        _params(query or "", "&", params)
    if not database:
        raise BadJdbcUrl(f'jdbcUrl "{url}" must name a database')
    port_number = int(port) if port else DEFAULT_PORTS.get(driver, 0)
    connection = Connection(driver, host.lower(), port_number, unquote(database).strip("/"))
    return connection, params


def _params(text: str, separator: str, into: dict[str, str]) -> None:
    for item in text.split(separator):
        if not item.strip():
            continue
        key, _, value = item.partition("=")
        into[unquote(key).strip().lower()] = unquote(value)


# ---------------------------------------------------------------- the policy


@dataclass(frozen=True)
class StorageRoot:
    uri: str
    read_only: bool = True

    @property
    def access(self) -> str:
        return READ_ONLY if self.read_only else READ_WRITE


@dataclass(frozen=True)
class HiveDatabase:
    name: str
    read_only: bool = False


@dataclass(frozen=True)
class Found:
    """A policy problem in a definition: the element, the attribute it concerns, the message."""

    loc: m.Location | None
    attribute: str | None
    message: str


@dataclass(frozen=True)
class DataPolicy:
    application: str
    data_root: str  # HUB_DATA_ROOT; the application's own folder is data_root/applications/<app>
    storage: tuple[StorageRoot, ...] = ()
    connections: tuple[Connection, ...] = ()
    hive_databases: tuple[HiveDatabase, ...] = ()
    # Servers no application may reach (the portal's own database, the Hive metastore):
    # (what it is, connection). Checked even when a connection to them was allowed somehow.
    forbidden: tuple[tuple[str, Connection], ...] = field(default=())
    # Places no pipeline may read or write even inside an allowed root (the secrets file, the
    # config repository): (what it is, location).
    protected: tuple[tuple[str, str], ...] = field(default=())

    # ------------------------------------------------------------ storage

    @property
    def app_root(self) -> str:
        return f"{self.data_root.rstrip('/')}/applications/{self.application}"

    def roots(self) -> list[tuple[StorageRoot, Place]]:
        """Every root with its place; the application's own folder first (read-write)."""
        import os

        own = self.app_root
        if place(own) is None and not _SCHEME.match(own):
            own = os.path.abspath(own)
        found = []
        for root in (StorageRoot(own, read_only=False), *self.storage):
            where = place(root.uri)
            if where is not None:
                found.append((root, where))
        return found

    def resolve(self, path: str) -> str:
        """A definition's path as the engine reads it: relative ones under the own folder."""
        import os

        if place(path) is not None or _SCHEME.match(path):
            return path
        own = self.app_root
        if place(own) is None and not _SCHEME.match(own):
            own = os.path.abspath(own)
        return f"{own}/{path}"

    def storage_problem(self, path: str, write: bool) -> str | None:
        """Why ``path`` (as written in a definition) may not be read (or written), or None."""
        if has_parent_step(path):
            return f'path "{path}" must not contain ".."'
        resolved = self.resolve(path)
        where = place(resolved)
        if where is None:
            return f'path "{path}" is not a local path or a storage URI (file://, s3a://, hdfs://)'
        fixed = fixed_part(where)
        if (guarded := self._protected(fixed, where)) is not None:
            return f'path "{path}" reaches {guarded}, which no pipeline may read or write'
        for root, root_place in self.roots():
            if not (fixed.below(root_place) if write else fixed.inside(root_place)):
                continue
            if write and root.read_only:
                return (
                    f'path "{path}" lies in storage root {root.uri}, which application '
                    f"{self.application} may only read"
                )
            return None
        return (
            f'path "{path}" is outside application {self.application}\'s storage (its data '
            "folder, or roots allowed by staff)"
        )

    def resolved_problem(
        self, path: str, files: Iterable[str], write: bool, realpath: Callable[[str], str]
    ) -> str | None:
        """``files``: what ``path`` resolved to (wildcard matches and every file under a matched
        folder; for a write, the folder written). Each, after ``realpath`` (symbolic links
        followed), must lie inside the same kind of root as the path itself."""
        for found in files:
            where = place(found)
            if where is None:
                return f'path "{path}" resolved to {found}, which is not an absolute location'
            real = place(realpath(found)) if where.scheme == "file" else where
            guarded = self._protected(real, real) if real is not None else None
            if guarded is not None:
                return f'path "{path}" resolves to {guarded}, which no pipeline may read or write'
            if real is None or not self._inside_a_root(real, write):
                shown = str(real) if real is not None else found
                return (
                    f'path "{path}" resolves to {shown}, outside application '
                    f"{self.application}'s storage (wildcards and symbolic links must stay "
                    "inside its data folder or the roots allowed by staff)"
                )
        return None

    def _protected(self, fixed: Place, where: Place) -> str | None:
        """What protected place ``where`` (or a wildcard from its ``fixed`` part) may reach."""
        for what, location in self.protected:
            for guarded in {place(location), place(_realpath(location))}:
                if guarded is None:
                    continue
                if where.inside(guarded) or guarded.inside(fixed):
                    return what
        return None

    def _inside_a_root(self, where: Place, write: bool) -> bool:
        for root, root_place in self.roots():
            if write and root.read_only:
                continue
            inside = where.below(root_place) if write else where.inside(root_place)
            if inside:
                return True
            if root_place.scheme == "file":
                real_root = place(_realpath(root.uri))
                if real_root is not None and (
                    where.below(real_root) if write else where.inside(real_root)
                ):
                    return True
        return False

    # ------------------------------------------------------------ connections

    def connection_problem(self, url: str, secret: str | None) -> str | None:
        try:
            wanted, params = parse_jdbc(url)
        except BadJdbcUrl as error:
            return str(error)
        refused = sorted(set(params) & REFUSED_PARAMETERS)
        if refused:
            return (
                f'jdbcUrl parameter "{refused[0]}" is not allowed (it names another server, '
                "credentials, or code or files on the worker)"
            )
        for what, connection in self.forbidden:
            if connection.same_place(wanted):
                return f"jdbcUrl points at {what}; no application may connect to it"
        allowed = [c for c in self.connections if c.same_place(wanted)]
        if not allowed:
            return (
                f"connection {wanted} is not allowed for application {self.application}; "
                "ask the platform team to allow it"
            )
        credentials = {c.credential_secret for c in allowed if c.credential_secret}
        if secret and credentials and secret not in credentials:
            return (
                f'userSecretRef "{secret}" is not the credential of connection {wanted}; use '
                + " or ".join(f'"{c}"' for c in sorted(credentials))
            )
        if secret and not credentials:
            return self.secret_problem(secret, for_connection=wanted)
        return None

    # ------------------------------------------------------------ secrets

    def secret_problem(self, name: str, for_connection: Connection | None = None) -> str | None:
        """Why the application may not name secret ``name`` (None: it may)."""
        bound = [c for c in self.connections if c.credential_secret == name]
        if bound:
            if for_connection is not None and any(c.same_place(for_connection) for c in bound):
                return None
            return (
                f'secret "{name}" is the credential of connection {bound[0]}; it may be used '
                "only with that connection"
            )
        if name.startswith(f"{self.application}."):
            return None
        return (
            f'secret "{name}" does not belong to application {self.application}; name its own '
            f'secrets "{self.application}.<name>"'
        )

    def may_resolve_secret(self, name: str) -> bool:
        """The engine's resolver: the application's own secrets, its connections' credentials
        and the platform's default masking key (what a mask without secretRef uses)."""
        if name == m.DEFAULT_MASKING_SECRET or name.startswith(f"{self.application}."):
            return True
        return any(c.credential_secret == name for c in self.connections)

    # ------------------------------------------------------------ Hive

    def owns_database(self, database: str) -> bool:
        db = database.lower()
        own = self.application.lower().replace("-", "_")
        if db == own or db.startswith(own + "_"):
            return True
        return any(h.name.lower() == db and not h.read_only for h in self.hive_databases)

    def may_read_database(self, database: str) -> bool:
        db = database.lower()
        return self.owns_database(db) or any(h.name.lower() == db for h in self.hive_databases)

    def hive_problem(self, table: str, write: bool) -> str | None:
        database = table.split(".", 1)[0].strip("`")
        if write and not self.owns_database(database):
            return (
                f'Hive database "{database}" does not belong to application {self.application}; '
                f'it may write only to "{self.application}", "{self.application}_*" and '
                "databases staff allowed"
            )
        if not write and not self.may_read_database(database):
            return (
                f'Hive database "{database}" does not belong to application {self.application}; '
                f'it may look up only "{self.application}", "{self.application}_*" and '
                "databases staff allowed"
            )
        return None

    # ------------------------------------------------------------ a whole definition

    def problems(self, definition: m.Definition) -> list[Found]:
        """Every place ``definition`` reaches outside this policy (nothing resolved on disk)."""
        found: list[Found] = []

        def add(loc, attribute, message):
            if message:
                found.append(Found(loc, attribute, message))

        for notification in definition.notifications:
            secret = getattr(notification, "secret_ref", None)
            if secret:
                add(notification.loc, "secretRef", self.secret_problem(secret))
        if not isinstance(definition, m.Pipeline):
            return found
        for source in definition.sources:
            if isinstance(source, m.CsvSource):
                add(source.loc, "path", self.storage_problem(source.path, write=False))
            else:
                message = self.connection_problem(source.jdbc_url, source.user_secret_ref)
                add(source.loc, _jdbc_attribute(message), message)
        for step in definition.transformations:
            if isinstance(step, m.Mask) and step.secret_ref:
                add(step.loc, "secretRef", self.secret_problem(step.secret_ref))
            elif isinstance(step, m.Lookup) and "." in step.reference:
                add(step.loc, "reference", self.hive_problem(step.reference, write=False))
        for target in definition.targets:
            if isinstance(target, m.CsvTarget):
                add(target.loc, "path", self.storage_problem(target.path, write=True))
            elif isinstance(target, m.HiveTarget):
                add(target.loc, "table", self.hive_problem(target.table, write=True))
            else:
                message = self.connection_problem(target.jdbc_url, target.user_secret_ref)
                add(target.loc, _jdbc_attribute(message), message)
        return found


def _jdbc_attribute(message: str | None) -> str:
    """The attribute a connection problem is about: the credential, or the URL."""
    if message and message.startswith(("userSecretRef", "secret ")):
        return "userSecretRef"
    return "jdbcUrl"


def _realpath(path: str) -> str:
    import os

    where = place(path)
    return os.path.realpath(str(where)) if where is not None and where.scheme == "file" else path


def local_realpath(location: str) -> str:
    """``os.path.realpath`` for a local path or ``file:`` URI (other URIs unchanged)."""
    return _realpath(location)


def local_matches(path: str, write: bool, limit: int = 10_000) -> list[str] | None:
    """What a local ``path`` resolves to on this machine: for a read, the wildcard matches and
    every file under a matched folder; for a write, the folder itself. None when ``path`` is not
    local or nothing matches (the engine says so when it runs)."""
    import glob
    import itertools
    import os

    where = place(path)
    if where is None or where.scheme != "file":
        return None
    local = str(where)
    if write:
        return [local]
    matches = list(itertools.islice(glob.iglob(local), limit)) if has_wildcard(local) else [local]
    found: list[str] = []
    for match in matches:
        if not os.path.lexists(match):
            continue
        found.append(match)
        if os.path.isdir(match):
            for dirpath, dirnames, filenames in os.walk(match, followlinks=True):
                found += [os.path.join(dirpath, n) for n in dirnames + filenames]
                if len(found) > limit:
                    return found
    return found or None

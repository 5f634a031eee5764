"""Two applications, shop and finance, sharing one lake; what finance's pipelines try against
shop and the platform, and one pipeline that stays inside finance's policy. Used by the tests of
each door of the data policy (validation, approval, the engine)."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

from spark_runner.definition.policy import Connection, DataPolicy, StorageRoot

SCRATCH_DB = "hub_policy_test"  # finance's allowed database (on the local PostgreSQL)
PG = "postgresql://postgres@127.0.0.1:5432"
MASK_KEY = "finance-mask-key-0123456789abcdef0123456789"


@dataclass
class Lake:
    """A data root with shop's and finance's folders, a secrets file, and an address where
    nothing legitimate listens (``listener_port``: a TCP listener of the test)."""

    root: Path  # HUB_DATA_ROOT
    secrets_file: Path
    outside: Path  # a folder outside the lake
    listener_port: int
    portal_database: str  # the name of the portal's own database

    @property
    def finance(self) -> Path:
        return self.root / "applications" / "finance"

    @property
    def shop(self) -> Path:
        return self.root / "applications" / "shop"

    def build(self) -> Lake:
        (self.shop / "raw").mkdir(parents=True, exist_ok=True)
        (self.finance / "raw").mkdir(parents=True, exist_ok=True)
        self.outside.mkdir(parents=True, exist_ok=True)
        _csv(self.shop / "raw" / "orders.csv", [("id", "amount"), ("1", "10"), ("2", "20")])
        _csv(
            self.finance / "raw" / "ledger.csv",
            [("id", "amount", "email"), ("1", "5", "a@x.com"), ("2", "7", "b@x.com")],
        )
        link = self.finance / "raw" / "link.csv"
        if not link.is_symlink():
            os.symlink(self.shop / "raw" / "orders.csv", link)
        self.secrets_file.parent.mkdir(parents=True, exist_ok=True)
        self.secrets_file.write_text(
            json.dumps(
                {
                    "shop.db": "postgres:shop-password",
                    "finance.db": "postgres:finance-password",
                    "finance.mask-key": MASK_KEY,
                }
            )
        )
        return self

    # ------------------------------------------------------------ policies

    def finance_connection(self) -> Connection:
        return Connection("postgresql", "127.0.0.1", 5432, SCRATCH_DB, "finance.db")

    def shop_connection(self) -> Connection:
        return Connection("postgresql", "127.0.0.1", 5432, "shop_db", "shop.db")

    def policy(self, application: str = "finance") -> DataPolicy:
        """The pure policy the portal builds for ``application`` (see allow_in_portal)."""
        connection = self.finance_connection() if application == "finance" else None
        return DataPolicy(
            application=application,
            data_root=str(self.root),
            storage=(StorageRoot(str(self.root / "shared"), read_only=True),),
            connections=(connection,) if connection else (self.shop_connection(),),
            forbidden=(
                (
                    "the portal's own database",
                    Connection("postgresql", "127.0.0.1", 5432, self.portal_database),
                ),
            ),
            protected=(("the secrets file", str(self.secrets_file)),),
        )

    # ------------------------------------------------------------ pipelines

    def cases(self) -> dict[str, tuple[str, bytes]]:
        """Case name -> (where the error points: ``attribute="value``, finance's pipeline XML)."""
        jdbc = f"jdbc:postgresql://127.0.0.1:5432/{SCRATCH_DB}"
        listener = f"jdbc:postgresql://127.0.0.1:{self.listener_port}/{SCRATCH_DB}"
        portal = f"jdbc:postgresql://127.0.0.1:5432/{self.portal_database}"
        return {
            "etc_passwd": ('path="/etc/passwd', _read_csv("/etc/passwd")),
            "secrets_file": (f'path="{self.secrets_file}', _read_csv(str(self.secrets_file))),
            "shop_raw": (
                f'path="{self.shop}/raw',
                _read_csv(str(self.shop / "raw" / "orders.csv")),
            ),
            "write_outside": (
                f'path="{self.outside}',
                _pipeline(
                    '<csv id="l" path="raw/ledger.csv"/>',
                    "",
                    f'<csv path="{self.outside}/export" mode="overwrite"/>',
                ),
            ),
            "portal_database": (
                f'jdbcUrl="{portal}',
                _pipeline(
                    f'<database id="users" jdbcUrl="{portal}" userSecretRef="finance.db">'
                    '<table name="auth_user"/></database>',
                    "",
                    '<csv path="out/users" mode="overwrite"/>',
                ),
            ),
            "shop_credential": (
                'userSecretRef="shop.db',
                _pipeline(
                    f'<database id="d" jdbcUrl="{jdbc}" userSecretRef="shop.db">'
                    '<table name="ledger"/></database>',
                    "",
                    '<csv path="out/d" mode="overwrite"/>',
                ),
            ),
            "another_host": (
                f'jdbcUrl="{listener}',
                _pipeline(
                    f'<database id="d" jdbcUrl="{listener}" userSecretRef="finance.db">'
                    '<table name="ledger"/></database>',
                    "",
                    '<csv path="out/d" mode="overwrite"/>',
                ),
            ),
            "shop_hive_table": (
                'table="shop_std',
                _pipeline(
                    '<csv id="l" path="raw/ledger.csv"/>',
                    "",
                    '<hive table="shop_std.orders" mode="overwrite"/>',
                ),
            ),
            "shop_lookup": (
                'reference="shop_std',
                _pipeline(
                    '<csv id="l" path="raw/ledger.csv"/>',
                    '<transformations><lookup source="l" reference="shop_std.orders" keys="id" '
                    'outputFields="amount"/></transformations>',
                    '<csv path="out/l" mode="overwrite"/>',
                ),
            ),
            "symlink": ('path="raw/link.csv', _read_csv("raw/link.csv")),
            "wildcard": (
                f'path="{self.root}/applications/*',
                _read_csv(str(self.root / "applications" / "*" / "raw" / "orders.csv")),
            ),
        }

    def good(self) -> bytes:
        """Finance's own folder, connection, credential, secret and Hive database."""
        jdbc = f"jdbc:postgresql://127.0.0.1:5432/{SCRATCH_DB}"
        return _pipeline(
            '<csv id="ledger" path="raw/ledger.csv"/>'
            f'<database id="budget" jdbcUrl="{jdbc}" userSecretRef="finance.db">'
            '<table name="budget"/></database>',
            '<transformations><mask source="ledger" columns="email" strategy="hash" '
            'secretRef="finance.mask-key"/></transformations>',
            '<csv path="out/ledger" mode="overwrite" source="ledger"/>'
            '<hive table="finance_std.budget" mode="overwrite" source="budget"/>',
        )


def _read_csv(path: str) -> bytes:
    return _pipeline(f'<csv id="s" path="{path}"/>', "", '<csv path="out/s" mode="overwrite"/>')


def _pipeline(sources: str, steps: str, targets: str, id: str = "p") -> bytes:
    return (
        f'<pipeline id="{id}" version="1.0" layer="staging">\n'
        "  <metadata><owner>finance</owner><sla>PT2H</sla><schedule>0 2 * * *</schedule>"
        "</metadata>\n"
        f"  <sources>\n    {sources}\n  </sources>\n"
        + (f"  {steps}\n" if steps else "")
        + f"  <targets>\n    {targets}\n  </targets>\n</pipeline>\n"
    ).encode()


def with_id(xml: bytes, id: str) -> bytes:
    return xml.replace(b'<pipeline id="p"', f'<pipeline id="{id}"'.encode(), 1)


def _csv(path: Path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def position_of(xml: bytes, written: str) -> tuple[int, int]:
    """(line, column) where ``written`` (``attribute="value...``) stands in ``xml``."""
    for number, line in enumerate(xml.decode().splitlines(), 1):
        at = line.find(written)
        if at >= 0:
            return number, at + 1
    raise AssertionError(f"{written} not in {xml.decode()}")

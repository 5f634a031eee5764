"""The data policy at the validation door (no Django): every way finance reaches outside its
policy is an error located at the attribute; what stays inside passes."""

from pathlib import Path

import pytest

from spark_runner.definition import DirectoryFileSource, validate
from spark_runner.definition.policy import (
    Connection,
    DataPolicy,
    HiveDatabase,
    PolicyViolation,
    StorageRoot,
)
from spark_runner.engine.secrets import ScopedSecrets, SecretResolver
from tests.data_policy_cases import Lake, position_of, with_id

PATH = "applications/finance/staging/pipelines/{}.xml"


@pytest.fixture
def lake(tmp_path):
    return Lake(
        root=tmp_path / "lake",
        secrets_file=tmp_path / "etc" / "secrets.json",
        outside=tmp_path / "outside",
        listener_port=1,
        portal_database="datahub",
    ).build()


def _validate(tmp_path, xml: bytes, id: str, policy: DataPolicy):
    repo = tmp_path / "repo"
    path = PATH.format(id)
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_bytes(with_id(xml, id))
    report = validate(DirectoryFileSource(repo), [path], lambda app: policy)
    return path, report.problems


@pytest.mark.parametrize(
    "case",
    [
        "etc_passwd",
        "secrets_file",
        "shop_raw",
        "write_outside",
        "portal_database",
        "shop_credential",
        "another_host",
        "shop_hive_table",
        "shop_lookup",
        "symlink",
        "wildcard",
    ],
)
def test_each_reach_outside_the_policy_is_an_error_at_its_attribute(lake, tmp_path, case):
    written, xml = lake.cases()[case]

    path, problems = _validate(tmp_path, xml, case, lake.policy())

    assert len(problems) == 1, problems
    line, column = position_of(xml, written)
    assert (problems[0].file, problems[0].line, problems[0].column) == (path, line, column)
    assert str(problems[0]).startswith(f"{path}:{line}:{column}: error: ")


def test_the_messages_say_what_is_outside_and_whose_it_is(lake, tmp_path):
    cases = lake.cases()
    messages = {
        case: _validate(tmp_path, cases[case][1], case, lake.policy())[1][0].message
        for case in cases
    }

    assert messages["etc_passwd"] == (
        'path "/etc/passwd" is outside application finance\'s storage (its data folder, '
        "or roots allowed by staff)"
    )
    assert "the secrets file" in messages["secrets_file"]
    assert "the portal's own database" in messages["portal_database"]
    assert 'userSecretRef "shop.db" is not the credential' in messages["shop_credential"]
    assert "is not allowed for application finance" in messages["another_host"]
    assert (
        'Hive database "shop_std" does not belong to application finance'
        in (messages["shop_hive_table"])
    )
    assert "symbolic links" in messages["symlink"] and "shop/raw/orders.csv" in messages["symlink"]


def test_what_stays_inside_finance_policy_is_valid(lake, tmp_path):
    _, problems = _validate(tmp_path, lake.good(), "good", lake.policy())

    assert problems == []


def test_without_a_policy_nothing_is_checked_and_an_unknown_application_has_none(lake, tmp_path):
    repo = tmp_path / "repo"
    path = PATH.format("etc")
    (repo / path).parent.mkdir(parents=True)
    (repo / path).write_bytes(with_id(lake.cases()["etc_passwd"][1], "etc"))

    assert validate(DirectoryFileSource(repo), [path]).problems == []
    assert validate(DirectoryFileSource(repo), [path], lambda app: None).problems == []


# ---------------------------------------------------------------- the rules one by one


def _policy(**kw) -> DataPolicy:
    return DataPolicy("shop", "/lake", **kw)


def test_storage_roots_read_only_and_read_write():
    policy = _policy(
        storage=(StorageRoot("s3a://bucket/ref", True), StorageRoot("hdfs://nn:8020/shop", False))
    )

    assert policy.storage_problem("s3a://bucket/ref/x.csv", write=False) is None
    assert "may only read" in policy.storage_problem("s3a://bucket/ref/out", write=True)
    assert policy.storage_problem("hdfs://nn:8020/shop/out", write=True) is None
    assert policy.storage_problem("hdfs://other:8020/shop/out", write=True) is not None
    assert policy.storage_problem("s3a://bucket/reference/x", write=False) is not None
    assert policy.storage_problem("file:///lake/applications/shop/x", write=True) is None
    # a folder written must lie below the root: its temporary sibling would be outside
    assert policy.storage_problem("/lake/applications/shop", write=True) is not None


def test_parent_steps_are_refused_even_inside_a_wildcard():
    policy = _policy()

    assert '".."' in policy.storage_problem("raw/../../finance/x.csv", write=False)
    assert '".."' in policy.storage_problem("raw/{..,x}/y.csv", write=False)


def test_a_wildcard_may_not_widen_the_root():
    policy = _policy()

    assert policy.storage_problem("/lake/applications/shop*/x.csv", write=False) is not None
    assert policy.storage_problem("/lake/applications/shop/*/x.csv", write=False) is None
    assert policy.storage_problem("raw/*.csv", write=False) is None


def test_connections_match_driver_host_port_database_and_refuse_dangerous_parameters():
    policy = _policy(
        connections=(Connection("postgresql", "db.internal", 5432, "shop", "shop.db"),),
        forbidden=(("the Hive metastore", Connection("postgresql", "localhost", 5432, "meta")),),
    )
    ok = "jdbc:postgresql://DB.internal/shop?ssl=true&ApplicationName=x"

    assert policy.connection_problem(ok, "shop.db") is None
    assert policy.connection_problem("jdbc:postgresql://db.internal:5433/shop", None)
    assert policy.connection_problem("jdbc:postgresql://db.internal/other", None)
    assert policy.connection_problem("jdbc:mysql://db.internal:5432/shop", None)
    for parameter in ("PGHOST=evil", "socketFactory=x.Y", "loggerFile=/tmp/x", "user=root"):
        assert "not allowed" in policy.connection_problem(f"{ok}&{parameter}", "shop.db")
    assert "embedded" in policy.connection_problem("jdbc:h2:/tmp/x", None)
    assert "embedded" in policy.connection_problem("jdbc:sqlite:/tmp/x.db", None)
    assert "metastore" in policy.connection_problem("jdbc:postgresql://127.0.0.1/meta", None)
    assert "exactly one server" in policy.connection_problem(
        "jdbc:postgresql://db.internal,evil/shop", None
    )


def test_secrets_are_the_application_own_and_its_connections_credentials():
    policy = _policy(connections=(Connection("postgresql", "db", 5432, "shop", "crm.login"),))

    assert policy.secret_problem("shop.mask-key") is None
    assert policy.secret_problem("finance.mask-key") is not None
    assert policy.secret_problem("crm.login") is not None  # only with its connection
    assert policy.connection_problem("jdbc:postgresql://db/shop", "crm.login") is None
    assert policy.may_resolve_secret("crm.login") and not policy.may_resolve_secret("finance.db")


def test_the_engine_secret_resolver_is_scoped_to_the_running_application():
    resolver = SecretResolver(None, environ={"HUB_SECRET_SHOP_DB": "u:p", "HUB_SECRET_FIN_DB": "x"})
    scoped = ScopedSecrets(resolver, _policy())

    assert scoped.get("shop.db") == "u:p"
    with pytest.raises(PolicyViolation, match="does not belong to application shop"):
        scoped.get("fin.db")
    assert scoped.resolved_values() == ("u:p",)


def test_hive_databases_owned_allowed_and_read_only():
    policy = _policy(
        hive_databases=(HiveDatabase("reference", read_only=True), HiveDatabase("legacy"))
    )

    for table in ("shop.t", "shop_std.t", "SHOP_X.t", "legacy.t"):
        assert policy.hive_problem(table, write=True) is None, table
    assert policy.hive_problem("reference.t", write=False) is None
    assert policy.hive_problem("reference.t", write=True) is not None
    assert policy.hive_problem("shopping.t", write=True) is not None
    assert policy.hive_problem("finance_std.t", write=False) is not None


def test_a_symbolic_link_inside_the_root_to_a_file_inside_it_is_fine(tmp_path):
    root = tmp_path / "lake"
    own = root / "applications" / "shop" / "raw"
    own.mkdir(parents=True)
    (own / "a.csv").write_text("x\n1\n")
    (own / "b.csv").symlink_to(own / "a.csv")
    repo = tmp_path / "repo"
    path = "applications/shop/staging/pipelines/p.xml"
    (repo / path).parent.mkdir(parents=True)
    (repo / path).write_text(
        '<pipeline id="p" version="1.0" layer="staging"><sources><csv id="s" path="raw/*.csv"/>'
        '</sources><targets><csv path="out/s"/></targets></pipeline>'
    )

    policy = DataPolicy("shop", str(root))

    assert validate(DirectoryFileSource(repo), [path], lambda app: policy).problems == []
    assert Path(own / "b.csv").resolve() == own / "a.csv"

"""The data policy in the portal: staff keep it (admin, ``manage.py data-policy``, audited),
members read it (API, application page), validation refuses what reaches outside it with a
located error, and approval refuses it whatever the override reason."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from config_repo import Actor
from pipelines_app import data_policy, services
from pipelines_app.drafting.checking import check_definition
from pipelines_app.errors import ChangeRequestInvalid, GovernanceBlocked, NotAllowed
from pipelines_app.models import (
    AllowedConnection,
    Application,
    AuditEvent,
    ChangeRequest,
    Role,
    StorageRoot,
)
from pipelines_app.testing import grant, make_user
from tests.data_policy_cases import SCRATCH_DB, Lake, position_of, with_id

CASES = [
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
]
PUSHER = Actor("Someone", "someone@example.com")


@pytest.fixture
def lake(tmp_path, settings):
    portal = settings.DATABASES["default"]
    built = Lake(
        root=tmp_path / "lake",
        secrets_file=tmp_path / "etc" / "secrets.json",
        outside=tmp_path / "outside",
        listener_port=1,
        portal_database=str(portal["NAME"]),
    ).build()
    settings.HUB_DATA_ROOT = built.root
    settings.HUB_SECRETS_FILE = str(built.secrets_file)
    return built


@pytest.fixture
def teams(db, lake):
    """shop and finance, each with an author and a reviewer; their policies as staff set them."""
    shop = Application.objects.create(name="shop")
    finance = Application.objects.create(name="finance")
    people = {name: make_user(name) for name in ("fiona", "fred", "sam", "sid")} | {
        "staff": make_user("root", staff=True)
    }
    grant(people["fiona"], finance, Role.AUTHOR)
    grant(people["fred"], finance, Role.REVIEWER)
    grant(people["sam"], shop, Role.AUTHOR)
    grant(people["sid"], shop, Role.REVIEWER)
    allow = data_policy.allow
    allow(actor=None, application="finance", kind="storage", value=str(lake.root / "shared"))
    allow(
        actor=None,
        application="finance",
        kind="connection",
        value=f"jdbc:postgresql://127.0.0.1:5432/{SCRATCH_DB}",
        credential_secret="finance.db",
    )
    allow(
        actor=None,
        application="shop",
        kind="connection",
        value="jdbc:postgresql://127.0.0.1:5432/shop_db",
        credential_secret="shop.db",
    )
    return people


@pytest.fixture(autouse=True)
def _portal_on_postgresql(request, settings):
    """The portal-database case needs the portal on a server; on SQLite its database is a file,
    and jdbc:sqlite is refused as an embedded driver (test_the_portal_database_...)."""
    case = request.node.callspec.params.get("case") if hasattr(request.node, "callspec") else None
    if case == "portal_database" and "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the portal's database is SQLite here")


def path_of(case):
    return f"applications/finance/staging/pipelines/{case}.xml"


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("case", CASES)
def test_validation_refuses_each_case_with_an_error_at_the_attribute(teams, lake, api, case):
    written, xml = lake.cases()[case]
    xml = with_id(xml, case)
    line, column = position_of(xml, written)
    services.config_repository()

    answer = api(teams["fiona"]).post(
        "/api/v1/validate/",
        {"application": "finance", "layer": "staging", "kind": "pipeline", "xml": xml.decode()},
        format="json",
    )
    editor = check_definition(path_of(case), xml)  # the wizard and the XML editor
    with pytest.raises(ChangeRequestInvalid) as refused:
        services.change_request_create(
            author=teams["fiona"],
            application="finance",
            layer="staging",
            kind="pipeline",
            xml=xml,
            title=case,
        )

    assert answer.status_code == 200 and answer.json()["valid"] is False
    [error] = answer.json()["errors"]
    assert (error["file"], error["line"], error["column"]) == (path_of(case), line, column)
    assert [(p.line, p.column) for p in editor] == [(line, column)]
    assert [(p.line, p.column) for p in refused.value.problems] == [(line, column)]
    assert not ChangeRequest.objects.exists()


def test_the_pipeline_inside_finance_policy_validates_and_shop_may_read_its_own_files(
    teams, lake, api
):
    good = with_id(lake.good(), "good")
    own = lake.cases()["shop_raw"][1].replace(
        str(lake.shop).encode() + b"/raw/orders.csv", b"raw/orders.csv"
    )

    finance = services.change_request_create(
        author=teams["fiona"],
        application="finance",
        layer="staging",
        kind="pipeline",
        xml=good,
        title="good",
    )
    shop = api(teams["sam"]).post(
        "/api/v1/validate/",
        {"application": "shop", "layer": "staging", "kind": "pipeline", "xml": own.decode()},
        format="json",
    )

    assert finance.status == "in_review"
    assert shop.json() == {"valid": True, "errors": []}


def test_validate_pipelines_checks_main_against_the_policies(teams, lake, settings):
    repository = services.config_repository()
    written, xml = lake.cases()["etc_passwd"]
    repository.commit("main", {path_of("etc"): with_id(xml, "etc")}, "pushed", PUSHER)
    out = StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("validate_pipelines", stdout=out)

    line, column = position_of(xml, written)
    assert exit_.value.code == 1
    assert f'{path_of("etc")}:{line}:{column}: error: path "/etc/passwd" is outside' in (
        out.getvalue()
    )


# ---------------------------------------------------------------- approval


def _in_review_with(teams, lake, case):
    """A change opened with a valid pipeline, then a commit pushed onto its branch that skipped
    validation (the portal never does this; a git remote could)."""
    change = services.change_request_create(
        author=teams["fiona"],
        application="finance",
        layer="staging",
        kind="pipeline",
        xml=with_id(lake.good(), case),
        title=case,
    )
    xml = with_id(lake.cases()[case][1], case)
    head = services.config_repository().commit(change.branch, {change.path: xml}, "push", PUSHER)
    ChangeRequest.objects.filter(pk=change.pk).update(head_commit=head)
    change.refresh_from_db()
    return change


@pytest.mark.parametrize("case", CASES)
def test_approval_refuses_each_case_whatever_the_override_reason(teams, lake, case):
    change = _in_review_with(teams, lake, case)

    with pytest.raises(GovernanceBlocked) as blocked:
        services.change_request_approve(
            change_request=change, reviewer=teams["fred"], override_reason="trust me"
        )

    change.refresh_from_db()
    policy = [f for f in blocked.value.findings if f.code == "data_policy"]
    assert policy and all(f.blocking and f.file == change.path for f in policy)
    assert "cannot be overridden" in blocked.value.message
    assert change.status == "in_review" and not change.merge_commit
    assert not AuditEvent.objects.filter(action="change_request.approve").exists()


def test_approval_checks_the_policy_as_it_is_then(teams, lake, settings):
    data_policy.allow(
        actor=None, application="finance", kind="hive-database", value="shop_std", read_only=False
    )
    change = services.change_request_create(
        author=teams["fiona"],
        application="finance",
        layer="staging",
        kind="pipeline",
        xml=with_id(lake.cases()["shop_hive_table"][1], "shared_table"),
        title="writes a table staff shared",
    )
    data_policy.revoke(actor=None, application="finance", kind="hive-database", value="shop_std")

    with pytest.raises(GovernanceBlocked, match="shop_std"):
        services.change_request_approve(change_request=change, reviewer=teams["fred"])


# ---------------------------------------------------------------- keeping the policy


def test_the_command_allows_shows_and_revokes_and_every_change_is_audited(teams, lake):
    out = StringIO()
    call_command(
        "data-policy", "shop", "allow", "storage", "s3a://exports/shop", "--read-write", stdout=out
    )
    call_command("data-policy", "shop", "allow", "hive-database", "reference", "--read-only")
    call_command("data-policy", "shop", "show", stdout=out)
    call_command("data-policy", "shop", "revoke", "storage", "s3a://exports/shop", stdout=out)

    text = out.getvalue()
    assert "shop: allowed storage s3a://exports/shop (read-write)" in text
    assert "s3a://exports/shop (read-write)" in text and "reference (read-only)" in text
    assert "jdbc:postgresql://127.0.0.1:5432/shop_db credential shop.db" in text
    assert "shop: revoked storage s3a://exports/shop" in text
    assert not StorageRoot.objects.filter(application__name="shop").exists()
    actions = list(
        AuditEvent.objects.filter(target="application:shop").values_list("action", flat=True)
    )
    assert actions.count("data_policy.allow") == 3 and actions.count("data_policy.revoke") == 1


def test_the_portal_database_and_the_metastore_can_never_be_allowed(teams, settings):
    settings.HUB_METASTORE_URL = "jdbc:postgresql://localhost/hub_metastore?user=postgres"
    portal = settings.DATABASES["default"]

    refused = []
    urls = ["jdbc:postgresql://127.0.0.1:5432/hub_metastore", "jdbc:h2:/tmp/x"]
    if "postgresql" in portal["ENGINE"]:
        urls.append(f"jdbc:postgresql://{portal['HOST'] or 'localhost'}/{portal['NAME']}")
    for url in urls:
        with pytest.raises(CommandError) as error:
            call_command("data-policy", "finance", "allow", "connection", url)
        refused.append(str(error.value))

    assert "the Hive metastore" in refused[0]
    assert "embedded" in refused[1]
    assert all("the portal's own database" in r for r in refused[2:])
    assert AllowedConnection.objects.filter(application__name="finance").count() == 1


def test_storage_roots_must_be_absolute_and_may_not_hold_the_secrets_file(teams, lake):
    for value in ("relative/folder", "/", str(lake.secrets_file.parent), "/data/*/x"):
        with pytest.raises(CommandError):
            call_command("data-policy", "finance", "allow", "storage", value)


def test_only_staff_change_a_policy(teams):
    with pytest.raises(NotAllowed):
        data_policy.allow(
            actor=teams["fiona"], application="finance", kind="storage", value="/srv/x"
        )


def test_members_read_the_policy_and_outsiders_get_404(teams, api, client, lake):
    read = api(teams["fiona"]).get("/api/v1/applications/finance/data-policy/")
    write = api(teams["fiona"]).post("/api/v1/applications/finance/data-policy/", {})
    outsider = api(teams["sam"]).get("/api/v1/applications/finance/data-policy/")
    client.force_login(teams["fiona"])
    page = client.get("/applications/finance/")
    client.force_login(teams["sam"])
    hidden = client.get("/applications/finance/")

    assert read.status_code == 200
    body = read.json()
    assert body["data_folder"] == str(lake.finance.resolve())
    assert body["storage"] == [{"uri": str(lake.root / "shared"), "access": "read-only"}]
    assert body["connections"] == [
        {
            "url": f"jdbc:postgresql://127.0.0.1:5432/{SCRATCH_DB}",
            "credential_secret": "finance.db",
        }
    ]
    assert body["secrets"] == "finance.<name>"
    assert body["hive_databases"]["owned"] == ["finance", "finance_*"]
    assert write.status_code == 405
    assert outsider.status_code == 404 and hidden.status_code == 404
    html = page.content.decode()
    assert page.status_code == 200 and "Data policy" in html and "finance.db" in html


def _admin_form(application, **inlines):
    """The application's admin change form: its fields and the inline formsets' management."""
    data = {
        "name": application.name,
        "display_name": application.display_name,
        "description": "",
        "required_approvals": application.required_approvals,
    }
    for prefix in ("memberships", "storage_roots", "allowed_connections", "allowed_hive_databases"):
        rows = inlines.get(prefix, [])
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": len(rows),
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
            data[f"{prefix}-{i}-application"] = application.pk
    return data


def test_staff_change_the_policy_in_the_admin_with_the_same_checks_and_an_audit_event(
    teams, client, settings
):
    shop = Application.objects.get(name="shop")
    client.force_login(teams["staff"])
    url = f"/admin/pipelines_app/application/{shop.pk}/change/"
    portal = settings.DATABASES["default"]

    added = client.post(
        url,
        _admin_form(shop, storage_roots=[{"uri": "s3a://exports/shop/", "access": "read-write"}]),
    )
    refused = client.post(
        url,
        _admin_form(
            shop,
            allowed_connections=[
                {
                    "driver": "postgresql",
                    "host": portal.get("HOST") or "localhost",
                    "port": portal.get("PORT") or 5432,
                    "database": portal["NAME"],
                    "credential_secret": "shop.db",
                }
            ],
        ),
    )

    assert added.status_code == 302
    assert StorageRoot.objects.get(application=shop).uri == "s3a://exports/shop"
    events = AuditEvent.objects.filter(action="data_policy.allow", actor=teams["staff"]).order_by(
        "id"
    )
    assert next((e.target, e.details["kind"]) for e in events) == ("application:shop", "storage")
    if "postgresql" in portal["ENGINE"]:
        assert refused.status_code == 200
        assert "the portal&#x27;s own database" in refused.content.decode()
        assert AllowedConnection.objects.filter(application=shop).count() == 1


def test_the_demo_gets_its_policy_and_its_pipelines_stay_inside_it(db, settings, tmp_path):
    from portal.management.commands.load_demo import load_demo_portal

    settings.HUB_SECRETS_FILE = str(tmp_path / "demo-secrets.json")
    load_demo_portal()
    load_demo_portal()  # idempotent: one policy entry, one audit event
    out = StringIO()

    call_command("validate_pipelines", stdout=out)
    call_command("data-policy", "retail", "show", stdout=out)

    text = out.getvalue()
    assert "files checked, no errors" in text
    shared = settings.HUB_DATA_ROOT.resolve() / "shared" / "reference"
    assert f"{shared} (read-only)" in text and "retail_*" in text and "retail.<name>" in text
    assert AuditEvent.objects.filter(action="data_policy.allow").count() == 1

"""Detokenize through the portal (``runs_app.operations.detokenize``, ``manage.py detokenize``):
operators only, with a reason, and one line in the portal's audit log per attempt."""

import pytest
from django.core.management import CommandError, call_command

from pipelines_app.models import AuditEvent
from pipelines_app.testing import make_personas
from runs_app import operations, services
from spark_runner.engine.masking.vault import TokenVault
from spark_runner.engine.registry import StepContext
from spark_runner.engine.secrets import SecretResolver
from tests.engine.masking.conftest import MASK_SECRET
from tests.engine.masking.test_vault_and_detokenize import tokenize

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(monkeypatch):
    monkeypatch.setenv("HUB_SECRET_MASK_KEY", MASK_SECRET)
    return make_personas("sales")


@pytest.mark.spark
def test_an_operator_detokenizes_with_a_reason_and_leaves_one_audit_line(spark, cast, settings):
    # given tokens whose originals are in the sales vault
    vault = f"{settings.HUB_DATA_ROOT}/applications/sales/_vault"
    environ = {"HUB_SECRET_MASK_KEY": MASK_SECRET}
    ctx = StepContext(
        secrets=SecretResolver(None, environ=environ),
        load_lookup=lambda reference: None,
        vault=TokenVault(vault),
        run_id="run-1",
    )
    masked = tokenize(spark, ctx).collect()
    ctx.vault.write(spark)
    # when
    found = operations.detokenize(
        actor=cast.olga,
        application="sales",
        tokens=[masked[0].name, "tok_unknown"],
        secret_ref="mask.key",
        reason="INC-42",
        spark=spark,
        client=("198.51.100.4", "curl/8"),
        via="api",
    )
    # then
    assert found == {masked[0].name: "Zoë", "tok_unknown": None}
    (line,) = AuditEvent.objects.all()
    assert (line.action, line.actor_name, line.ip) == ("detokenize", "olga", "198.51.100.4")
    assert line.details["outcome"] == "ok" and line.details["reason"] == "INC-42"
    assert (line.details["tokens_requested"], line.details["tokens_found"]) == (2, 1)
    assert "Zoë" not in str(line.details) and MASK_SECRET not in str(line.details)


def test_a_non_operator_is_refused_and_the_attempt_is_audited(cast):
    with pytest.raises(services.RunRefused, match="only operators"):
        operations.detokenize(
            actor=cast.alice,
            application="sales",
            tokens=["tok_x"],
            secret_ref="mask.key",
            reason="curious",
            spark=None,
        )
    (line,) = AuditEvent.objects.all()
    assert (line.action, line.actor_name, line.details["outcome"]) == (
        "detokenize",
        "alice",
        "refused",
    )


def test_the_command_names_why_it_refused(cast):
    with pytest.raises(CommandError, match="refused: only operators of sales"):
        call_command("detokenize", "sales", "tok_x", actor="bob", reason="x", secret_ref="mask.key")
    with pytest.raises(CommandError, match="no portal user"):
        call_command(
            "detokenize", "sales", "tok_x", actor="nobody", reason="x", secret_ref="mask.key"
        )
    assert AuditEvent.objects.get().details["outcome"] == "refused"

"""Governance findings block approval unless a reviewer overrides them with a reason."""

import pytest

from pipelines_app import services
from pipelines_app.errors import GovernanceBlocked
from pipelines_app.models import AuditEvent, ChangeRequest, Review
from pipelines_app.selectors import change_request_detail
from pipelines_app.testing import CUSTOMER_SCHEMA, pipeline_xml


def propose(author, xml, **kwargs):
    fields = {
        "application": "sales",
        "layer": "service",
        "kind": "pipeline",
        "title": "Service export",
    }
    fields.update(kwargs)
    return services.change_request_create(author=author, xml=xml, **fields)


def codes(change_request):
    return [f.code for f in change_request_detail(change_request).governance]


def test_unmasked_personal_data_reaching_a_service_target_is_a_finding(repo, alice):
    cr = propose(alice, pipeline_xml(layer="service", mask=False))

    findings = change_request_detail(cr).governance

    assert [f.code for f in findings] == ["pii_unmasked"]
    assert "email" in findings[0].message
    assert "service.customer_load" in findings[0].message


def test_a_mask_step_on_the_column_clears_it(repo, alice):
    cr = propose(alice, pipeline_xml(layer="service", mask=True))

    assert codes(cr) == []


def test_personal_data_in_the_staging_layer_is_not_a_finding(repo, alice):
    cr = propose(alice, pipeline_xml(layer="staging", mask=False), layer="staging")

    assert codes(cr) == []


def test_the_patterns_are_configurable(repo, alice, settings):
    settings.HUB_PII_PATTERNS = [r"^country$"]
    cr = propose(alice, pipeline_xml(layer="service", mask=True))

    findings = change_request_detail(cr).governance

    assert [f.code for f in findings] == ["pii_unmasked"]
    assert "country" in findings[0].message


def test_personal_data_is_tracked_through_a_join(repo, alice):
    xml = b"""<pipeline id="joined" version="1.0" layer="service">
  <metadata><owner>t</owner><sla>PT1H</sla><schedule>0 1 * * *</schedule></metadata>
  <sources>
    <csv id="a" path="a.csv"><schemaRef>schemas/customer.avsc</schemaRef></csv>
    <csv id="b" path="b.csv"><schemaRef>schemas/customer.avsc</schemaRef></csv>
  </sources>
  <transformations>
    <mask source="a" columns="email" strategy="redact"/>
    <join left="a" right="b" type="left" condition="a.customer_id = b.customer_id"/>
  </transformations>
  <targets><hive table="service.joined" mode="overwrite"/></targets>
</pipeline>"""
    cr = propose(alice, xml)

    findings = change_request_detail(cr).governance

    # a's email is masked; b's email arrives as b_email, unmasked
    assert [f.code for f in findings] == ["pii_unmasked"]
    assert "b_email" in findings[0].message
    assert "email," not in findings[0].message


def test_missing_owner_sla_or_schedule_is_a_finding(repo, alice):
    cr = propose(alice, pipeline_xml(layer="staging", owner=None), layer="staging")

    assert codes(cr) == ["missing_owner"]


def test_a_reviewer_cannot_approve_past_findings_without_a_reason(repo, alice, bob):
    cr = propose(alice, pipeline_xml(layer="service", mask=False))

    with pytest.raises(GovernanceBlocked) as caught:
        services.change_request_approve(change_request=cr, reviewer=bob)

    assert caught.value.findings[0].code == "pii_unmasked"
    assert not Review.objects.exists()
    cr.refresh_from_db()
    assert cr.status == "in_review"


def test_an_override_with_a_reason_approves_and_is_audited(repo, alice, bob):
    cr = propose(alice, pipeline_xml(layer="service", mask=False))

    cr = services.change_request_approve(
        change_request=cr, reviewer=bob, override_reason="emails are the product here"
    )

    assert cr.status == "merged"
    assert Review.objects.get().override_reason == "emails are the product here"
    override = AuditEvent.objects.get(action="change_request.override")
    assert override.details["reason"] == "emails are the product here"
    assert override.details["findings"][0]["code"] == "pii_unmasked"


def test_a_schema_change_dropping_a_target_column_is_a_finding(repo, alice, bob):
    # given a published pipeline whose target uses the customer schema
    published = propose(
        alice,
        pipeline_xml(layer="staging", target_schema="schemas/customer.avsc"),
        layer="staging",
    )
    services.change_request_approve(change_request=published, reviewer=bob)

    # when the schema loses a column and another changes type
    schema = CUSTOMER_SCHEMA.replace(
        b'{"name": "country", "type": ["null", "string"]}', b'{"name": "name2", "type": "int"}'
    ).replace(b'"customer_id", "type": "long"', b'"customer_id", "type": "string"')
    cr = services.change_request_create(
        author=alice,
        application="sales",
        layer="staging",
        kind="schema",
        action="edit",
        xml=schema,
        definition_id="customer.avsc",
        title="Reshape customers",
    )

    # then
    findings = change_request_detail(cr).governance
    assert sorted(f.code for f in findings) == ["schema_column_dropped", "schema_type_changed"]
    assert {f.severity for f in findings} == {"high"}
    dropped = next(f for f in findings if f.code == "schema_column_dropped")
    assert "country" in dropped.message
    changed = next(f for f in findings if f.code == "schema_type_changed")
    assert "customer_id long -> string" in changed.message


def test_personal_data_is_high_severity_and_missing_metadata_medium(repo, alice):
    cr = propose(alice, pipeline_xml(layer="service", mask=False, owner=None))

    findings = change_request_detail(cr).governance

    assert sorted((f.code, f.severity) for f in findings) == [
        ("missing_owner", "medium"),
        ("pii_unmasked", "high"),
    ]
    assert {d["severity"] for d in (f.as_dict() for f in findings)} == {"high", "medium"}


def test_findings_are_worked_out_once_per_head_and_again_for_a_new_head(
    repo, alice, bob, monkeypatch
):
    # given a change with a finding, and a count of how often the checks really run
    from pipelines_app import governance, selectors

    cr = propose(alice, pipeline_xml(layer="service", mask=False))
    runs = {"check": 0, "semantic": 0}
    check, semantic_lines = governance.check, selectors.semantic_lines

    def counting_check(*args, **kwargs):
        runs["check"] += 1
        return check(*args, **kwargs)

    def counting_semantic_lines(*args, **kwargs):
        runs["semantic"] += 1
        return semantic_lines(*args, **kwargs)

    monkeypatch.setattr(governance, "check", counting_check)
    monkeypatch.setattr(selectors.detail, "semantic_lines", counting_semantic_lines)

    # when the page is shown twice, the queue is listed and the approval is refused
    first = change_request_detail(cr)
    second = change_request_detail(cr)
    queue = selectors.review_queue(bob)
    with pytest.raises(GovernanceBlocked):
        services.change_request_approve(change_request=cr, reviewer=bob)

    # then the application was checked when proposed (the counts are stored on the change
    # request), never again, and diffed in words once
    assert (cr.findings, cr.high_findings) == (1, 1)
    assert runs == {"check": 0, "semantic": 1}
    assert first.governance == second.governance
    assert first.semantic_diff == second.semantic_diff
    assert queue[0].findings == 1 and queue[0].high_findings == 1

    # when the author fixes it: a new head, checked afresh
    cr = services.change_request_update(
        change_request=cr, author=alice, xml=pipeline_xml(layer="service", mask=True)
    )
    assert change_request_detail(cr).governance == []
    assert selectors.review_queue(bob)[0].findings == 0


def test_counts_missing_on_older_changes_are_stored_by_a_command(repo, alice):
    from io import StringIO

    from django.core.management import call_command

    cr = propose(alice, pipeline_xml(layer="service", mask=False))
    ChangeRequest.objects.filter(pk=cr.pk).update(findings=None, high_findings=None)

    out = StringIO()
    call_command("store_governance_counts", stdout=out)

    cr.refresh_from_db()
    assert (cr.findings, cr.high_findings) == (1, 1)
    assert "stored counts on 1 change requests" in out.getvalue()

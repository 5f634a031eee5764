"""Where a validation problem is shown: the field its message names, else the row, else the step."""

import pytest

from pipelines_app.drafting.placing import BASICS_FIELDS, field_named, place_problems, xml_name
from spark_runner.definition import Problem

SORT = ("source", "order_by", "direction", "nulls", "output")
REF = ("id", "depends_on", "on_failure", "max_retries", "fallback")
WEBHOOK = ("url", "on", "secret_ref")


def test_a_field_is_named_in_the_xml_spelling():
    assert xml_name("jdbc_url") == "jdbcUrl"
    assert xml_name("user_secret_ref") == "userSecretRef"
    assert xml_name("id") == "id"


@pytest.mark.parametrize(
    "message, fields, field",
    [
        ('sort: source dataset "ordrs" is not defined; did you mean "orders"?', SORT, "source"),
        ('pipelineRef "b": dependsOn "x" is not a pipelineRef of this job', REF, "depends_on"),
        ('pipelineRef "b": maxRetries is used only with onFailure="retry"', REF, "max_retries"),
        ('fallback "z": application "sales" has no pipeline with this id', REF, "fallback"),
        ('webhook: url "ftp://x" must start with https:// or http://', WEBHOOK, "url"),
        (
            'metadata: schedule "61 * * * *" is not a valid cron expression',
            BASICS_FIELDS,
            "schedule",
        ),
        ('sort: the value "source" is quoted, not named', SORT, None),
        ('parameter "region" is declared twice', ("name", "default"), None),
    ],
)
def test_the_field_a_message_names_is_found(message, fields, field):
    assert field_named(message, fields) == field


def test_a_problem_lands_on_its_row_and_field_and_elsewhere_on_the_step():
    # given: the wizard's rendered XML and its rows
    xml = b"""<pipeline id="p" version="1.0" layer="staging">
  <sources>
    <csv id="orders" path="a.csv"/>
  </sources>
  <transformations>
    <deduplicate source="orders" keys="id"/>
    <sort source="ordrs" orderBy="id"/>
  </transformations>
  <targets>
    <hive table="staging.p"/>
  </targets>
  <notifications>
    <webhook url="ftp://x"/>
  </notifications>
</pipeline>"""
    rows = {
        "sources": [{"kind": "csv", "data": {}}],
        "transformations": [{"kind": "deduplicate", "data": {}}, {"kind": "sort", "data": {}}],
        "targets": [{"kind": "hive", "data": {}}],
        "parameters": [{"kind": "webhook", "data": {}}],
    }
    path = "applications/sales/staging/pipelines/p.xml"
    problems = [
        Problem(path, 7, 5, 'sort: source dataset "ordrs" is not defined'),
        Problem(path, 6, 5, "deduplicate: something is odd"),
        Problem(path, 13, 5, 'webhook: url "ftp://x" must start with https:// or http://'),
        Problem("applications/sales/common.xml", 1, 1, "elsewhere"),
    ]
    # when
    placed = place_problems(path, xml, problems, rows)
    # then
    where = [(p["step"], p["index"], p["field"]) for p in placed]
    assert where == [
        ("transformations", 1, "source"),
        ("transformations", 0, None),
        ("parameters", 0, "url"),
        (None, None, None),
    ]

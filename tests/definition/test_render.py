"""Canonical rendering: parse -> render -> parse gives an equal model, and bytes are stable."""

import pytest

from spark_runner.definition import DirectoryFileSource, parse, render, validate

from .conftest import SAMPLE_REPO, pipeline_xml
from .test_elements import VALID


def round_trip(data: bytes):
    first = parse(data, "p.xml")
    rendered = render(first)
    second = parse(rendered, "p.xml")
    assert second == first
    assert render(second) == rendered
    return rendered


def test_every_definition_of_the_sample_repository_round_trips():
    report = validate(DirectoryFileSource(SAMPLE_REPO))
    assert len(report.definitions) == 4
    for path, definition in report.definitions.items():
        assert parse(render(definition), path) == definition


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_element_round_trips(name):
    round_trip(VALID[name])


def test_formatting_and_attribute_order_do_not_change_the_bytes():
    a = (
        b'<pipeline layer="staging"  version="1.0" id="p"><sources>'
        b'<csv path="x" id="raw" header="true"/></sources>'
        b'<targets><hive mode="append" table="a.b"/></targets></pipeline>'
    )
    b = pipeline_xml(sources='<csv id="raw" path="x"/>', targets='<hive table="a.b"/>')
    assert render(parse(a, "a.xml")) == render(parse(b, "b.xml"))


def test_the_canonical_form_is_readable():
    rendered = render(parse(pipeline_xml(steps='<sort source="raw" orderBy="a, b"/>'), "p.xml"))
    assert rendered.decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<pipeline id="p" version="1.0" layer="staging">\n'
        "  <sources>\n"
        '    <csv id="raw" path="in/*.csv"/>\n'
        "  </sources>\n"
        "  <transformations>\n"
        '    <sort source="raw" orderBy="a,b"/>\n'
        "  </transformations>\n"
        "  <targets>\n"
        '    <hive table="staging.t"/>\n'
        "  </targets>\n"
        "</pipeline>\n"
    )


def test_sql_is_written_in_cdata_even_with_awkward_text():
    sql = "SELECT '<&>' AS x, ']]>' AS y\n  FROM t\nWHERE d >= :runDate"
    data = pipeline_xml(
        sources='<database id="d" jdbcUrl="jdbc:a:b"><sql><![CDATA['
        + sql.replace("]]>", "]]]]><![CDATA[>")
        + "]]></sql></database>"
    )
    rendered = round_trip(data)
    assert b"<![CDATA[" in rendered
    assert parse(rendered, "p.xml").sources[0].sql == sql


def test_unicode_and_special_characters_survive():
    data = pipeline_xml(
        head="<metadata><owner>équipe données ✓</owner>"
        "<description>a &amp; b &lt; c\n  two lines</description></metadata>",
        sources='<csv id="raw" path="in/ü &amp; &quot;x&quot;.csv" delimiter="&#9;"/>',
        targets='<csv path="out/%Y/%m/%d" delimiter="\\t"/>',
    )
    rendered = round_trip(data)
    definition = parse(rendered, "p.xml")
    assert definition.metadata.owner == "équipe données ✓"
    assert definition.sources[0].path == 'in/ü & "x".csv'
    assert definition.sources[0].delimiter == "\t"
    assert 'delimiter="\\t"' in rendered.decode()


def test_a_job_round_trips():
    data = (
        b'<jobPipeline id="j" version="1.0"><metadata><schedule>0 1 * * *</schedule></metadata>'
        b'<parameters><parameter name="region" default="eu"/></parameters><pipelines>'
        b'<pipelineRef id="a" onFailure="retry" maxRetries="0"/><pipelineRef id="b" dependsOn="a"/>'
        b'</pipelines><notifications><webhook url="https://x.org/h?a=1&amp;b=2"/></notifications>'
        b"</jobPipeline>"
    )
    rendered = round_trip(data)
    assert b'maxRetries="0"' in rendered


def test_only_delimiters_are_written_as_backslash_t():
    data = pipeline_xml(head='<parameters><parameter name="sep" default="&#9;"/></parameters>')
    rendered = round_trip(data)
    assert 'default="&#9;"' in rendered.decode()

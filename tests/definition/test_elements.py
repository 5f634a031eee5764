"""Every element and attribute of the language: accepted when right, a located message when not."""

import pytest

from spark_runner.definition import model as m
from spark_runner.definition import parse

from .conftest import job_xml, messages, pipeline_xml

CSV = '<csv id="raw" path="in/*.csv"/>'

VALID = {
    "metadata, all children": pipeline_xml(
        head="<metadata><owner>team</owner><sla>P1D</sla><schedule>*/5 * * * 1-5</schedule>"
        "<description>Loads customers</description></metadata>"
    ),
    "metadata, any order": pipeline_xml(
        head="<metadata><schedule>0 2 * * *</schedule><owner>team</owner></metadata>"
    ),
    "parameters": pipeline_xml(
        head='<parameters><parameter name="region" default="eu"/><parameter name="x"/></parameters>'
    ),
    "csv source, every attribute": pipeline_xml(
        sources='<csv id="raw" path="/abs/in.csv" header="false" delimiter=";" inferSchema="true"'
        ' loadPolicy="eager" onInvalidRows="fail"/>'
    ),
    "csv source, tab delimiter written \\t": pipeline_xml(
        sources='<csv id="raw" path="x" delimiter="\\t"/>'
    ),
    "csv source, tab delimiter as a character reference": pipeline_xml(
        sources='<csv id="raw" path="x" delimiter="&#9;"/>'
    ),
    "database source with table": pipeline_xml(
        sources='<database id="db" jdbcUrl="jdbc:postgresql://h:5432/d" userSecretRef="db.reader"'
        ' fetchSize="500" loadPolicy="eager" isolationLevel="SERIALIZABLE"><table name="s.t"/>'
        "</database>"
    ),
    "database source with sql and schemaRef element": pipeline_xml(
        sources='<database id="db" jdbcUrl="jdbc:h2:mem:x"><sql>SELECT 1</sql></database>'
    ),
    "every transformation": pipeline_xml(
        sources=CSV + '<csv id="other" path="y"/>',
        steps='<deduplicate source="raw" keys="a, b" keep="last" orderBy="c" output="d1"/>'
        '<sort source="d1" orderBy="a,b" direction="desc" nulls="first"/>'
        '<join left="raw" right="other" type="full"'
        ' condition="raw.a = other.a AND raw.b &lt;= other.b" output="j"/>'
        '<lookup source="j" reference="country_dim" outputFields="name" joinType="inner" keys="a"/>'
        '<lookup source="j" reference="dim.country" outputFields="name" keys="a"/>'
        '<merge sources="raw,other" mode="upsert" keys="a" orderBy="c" output="m"/>'
        '<mask source="m" columns="a" strategy="redact"/>'
        '<mask source="m" columns="b" strategy="encrypt" secretRef="k1"/>'
        '<aggregate source="m" groupBy="a" metrics="count:n,sum:b,avg:b:mean,min:c,max:c"'
        ' window="weekly" timeColumn="c" output="agg"/>',
    ),
    "every target": pipeline_xml(
        targets='<hive table="s.t" mode="merge" partitionBy="d" format="delta" keys="a"'
        ' source="raw"/>'
        '<csv path="out/%Y" mode="error" compression="bzip2" header="false" delimiter="|"/>'
        '<database id="dbt" jdbcUrl="jdbc:sqlserver://h/d" mode="merge" userSecretRef="w"'
        ' writeBatchSize="10" isolationLevel="READ_COMMITTED" keys="a" schemaRef="t.json">'
        '<schemaRef>t.json</schemaRef><table name="dbo.t"/></database>'
    ),
    "notifications": pipeline_xml(
        tail='<notifications><email to="a@x.org, b@y.org" on="slaBreach"/>'
        '<webhook url="https://h.example/x" on="success" secretRef="hook"/></notifications>'
    ),
    "version with patch": pipeline_xml(attrs='id="p" version="10.2.3" layer="service"'),
    "empty transformations": pipeline_xml(steps=""),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_documents_have_no_problems(name):
    assert messages(VALID[name]) == []


INVALID = {
    "missing pipeline id": (
        pipeline_xml(attrs='version="1.0" layer="staging"'),
        'pipeline: the required attribute "id" is missing',
    ),
    "missing version": (
        pipeline_xml(attrs='id="p" layer="staging"'),
        'the required attribute "version" is missing',
    ),
    "bad version": (pipeline_xml(attrs='id="p" version="v1" layer="staging"'), "major.minor"),
    "version with four parts": (
        pipeline_xml(attrs='id="p" version="1.2.3.4" layer="staging"'),
        "major.minor",
    ),
    "missing layer": (pipeline_xml(attrs='id="p" version="1.0"'), '"layer" is missing'),
    "no sources": (
        b'<pipeline id="p" version="1.0" layer="staging"><targets><hive table="a.b"/></targets>'
        b"</pipeline>",
        "pipeline: <sources> is missing (expected before <targets>)",
    ),
    "empty sources": (pipeline_xml(sources=""), "<csv> or <database> is missing"),
    "no targets": (
        b'<pipeline id="p" version="1.0" layer="staging"><sources><csv id="a" path="x"/>'
        b"</sources></pipeline>",
        "<targets> is missing",
    ),
    "sources after transformations": (
        b'<pipeline id="p" version="1.0" layer="staging"><transformations/><sources>'
        b'<csv id="a" path="x"/></sources><targets><hive table="a.b"/></targets></pipeline>',
        "is out of place; the order is metadata, parameters, sources",
    ),
    "metadata twice": (
        pipeline_xml(head="<metadata/><metadata/>"),
        "<metadata> may appear only once here",
    ),
    "unknown metadata child": (
        pipeline_xml(head="<metadata><owners>x</owners></metadata>"),
        "metadata: unknown element <owners>",
    ),
    "empty owner": (
        pipeline_xml(head="<metadata><owner> </owner></metadata>"),
        "must not be empty",
    ),
    "parameter without name": (
        pipeline_xml(head="<parameters><parameter/></parameters>"),
        '"name" is missing',
    ),
    "csv without path": (pipeline_xml(sources='<csv id="raw"/>'), '"path" is missing'),
    "csv without id": (pipeline_xml(sources='<csv path="x"/>'), '"id" is missing'),
    "csv header not boolean": (
        pipeline_xml(sources='<csv id="a" path="x" header="yes"/>'),
        'header="yes": not allowed; use one of: true, false',
    ),
    "csv inferSchema not boolean": (
        pipeline_xml(sources='<csv id="a" path="x" inferSchema="1"/>'),
        "use one of: true, false",
    ),
    "csv bad loadPolicy": (
        pipeline_xml(sources='<csv id="a" path="x" loadPolicy="lazy"/>'),
        "use one of: eager, onDemand",
    ),
    "csv bad onInvalidRows": (
        pipeline_xml(sources='<csv id="a" path="x" onInvalidRows="skip"/>'),
        "use one of: fail, reject",
    ),
    "csv two-character delimiter": (
        pipeline_xml(sources='<csv id="a" path="x" delimiter=";;"/>'),
        "must be one character",
    ),
    "csv empty delimiter": (
        pipeline_xml(sources='<csv id="a" path="x" delimiter=""/>'),
        "must be one character",
    ),
    "database without jdbcUrl": (
        pipeline_xml(sources='<database id="d"><table name="t"/></database>'),
        '"jdbcUrl" is missing',
    ),
    "database zero fetchSize": (
        pipeline_xml(
            sources='<database id="d" jdbcUrl="jdbc:a:b" fetchSize="0"><table name="t"/></database>'
        ),
        "greater than zero",
    ),
    "database bad isolationLevel": (
        pipeline_xml(
            sources='<database id="d" jdbcUrl="jdbc:a:b" isolationLevel="SNAPSHOT">'
            '<table name="t"/></database>'
        ),
        "use one of: READ_COMMITTED, READ_UNCOMMITTED, REPEATABLE_READ, SERIALIZABLE",
    ),
    "database bad secret name": (
        pipeline_xml(
            sources='<database id="d" jdbcUrl="jdbc:a:b" userSecretRef="a b"><table name="t"/>'
            "</database>"
        ),
        "a secret name uses only letters",
    ),
    "database table without name": (
        pipeline_xml(sources='<database id="d" jdbcUrl="jdbc:a:b"><table/></database>'),
        'table: the required attribute "name" is missing',
    ),
    "database text content": (
        pipeline_xml(sources='<database id="d" jdbcUrl="jdbc:a:b">x<table name="t"/></database>'),
        "text is not allowed here",
    ),
    "deduplicate without keys": (
        pipeline_xml(steps='<deduplicate source="raw"/>'),
        '"keys" is missing',
    ),
    "deduplicate bad keep": (
        pipeline_xml(steps='<deduplicate source="raw" keys="a" keep="newest"/>'),
        "use one of: first, last, latest",
    ),
    "sort bad direction": (
        pipeline_xml(steps='<sort source="raw" orderBy="a" direction="up"/>'),
        "use one of: asc, desc",
    ),
    "sort bad nulls": (
        pipeline_xml(steps='<sort source="raw" orderBy="a" nulls="middle"/>'),
        "use one of: first, last",
    ),
    "join without type": (
        pipeline_xml(steps='<join left="raw" right="raw2" condition="raw.a = raw2.a"/>'),
        '"type" is missing',
    ),
    "join bad type": (
        pipeline_xml(steps='<join left="raw" right="b" type="outer" condition="raw.a = b.a"/>'),
        "use one of: inner, left, right, full, semi, anti",
    ),
    "lookup without outputFields": (
        pipeline_xml(steps='<lookup source="raw" reference="d"/>'),
        '"outputFields" is missing',
    ),
    "lookup bad joinType": (
        pipeline_xml(steps='<lookup source="raw" reference="d" outputFields="x" joinType="full"/>'),
        "use one of: left, inner",
    ),
    "merge without sources": (pipeline_xml(steps="<merge/>"), '"sources" is missing'),
    "merge bad mode": (
        pipeline_xml(steps='<merge sources="raw,b" mode="append"/>'),
        "use one of: union, upsert",
    ),
    "mask without strategy": (
        pipeline_xml(steps='<mask source="raw" columns="a"/>'),
        '"strategy" is missing',
    ),
    "mask bad strategy": (
        pipeline_xml(steps='<mask source="raw" columns="a" strategy="shuffle"/>'),
        "use one of: tokenize, hash, redact, encrypt",
    ),
    "aggregate without metrics": (
        pipeline_xml(steps='<aggregate source="raw" groupBy="a"/>'),
        '"metrics" is missing',
    ),
    "aggregate bad window": (
        pipeline_xml(
            steps='<aggregate source="raw" metrics="count:n" window="hourly" timeColumn="t"/>'
        ),
        "use one of: daily, weekly",
    ),
    "step with a bad output id": (
        pipeline_xml(steps='<sort source="raw" orderBy="a" output="a.b"/>'),
        "an id starts with a letter",
    ),
    "hive without table": (pipeline_xml(targets="<hive/>"), '"table" is missing'),
    "hive bad mode": (
        pipeline_xml(targets='<hive table="a.b" mode="upsert"/>'),
        "use one of: append, overwrite, merge",
    ),
    "hive bad format": (
        pipeline_xml(targets='<hive table="a.b" format="avro"/>'),
        "use one of: parquet, orc, delta",
    ),
    "csv target bad mode": (
        pipeline_xml(targets='<csv path="o" mode="merge"/>'),
        "use one of: append, overwrite, ignore, error",
    ),
    "csv target bad compression": (
        pipeline_xml(targets='<csv path="o" compression="zip"/>'),
        "use one of: gzip, bzip2, snappy, none",
    ),
    "csv target with id": (
        pipeline_xml(targets='<csv id="x" path="o"/>'),
        'csv: unknown attribute "id"',
    ),
    "database target without table": (
        pipeline_xml(targets='<database id="t" jdbcUrl="jdbc:a:b"/>'),
        "<table> is missing",
    ),
    "database target bad mode": (
        pipeline_xml(
            targets='<database id="t" jdbcUrl="jdbc:a:b" mode="upsert"><table name="t"/></database>'
        ),
        "use one of: append, overwrite, merge, truncateInsert",
    ),
    "database target zero writeBatchSize": (
        pipeline_xml(
            targets='<database id="t" jdbcUrl="jdbc:a:b" writeBatchSize="-1"><table name="t"/>'
            "</database>"
        ),
        "greater than zero",
    ),
    "email without to": (
        pipeline_xml(tail="<notifications><email/></notifications>"),
        '"to" is missing',
    ),
    "email bad on": (
        pipeline_xml(tail='<notifications><email to="a@b.c" on="always"/></notifications>'),
        "use one of: failure, success, completion, slaBreach",
    ),
    "webhook without url": (
        pipeline_xml(tail="<notifications><webhook/></notifications>"),
        '"url" is missing',
    ),
    "notifications before targets": (
        b'<pipeline id="p" version="1.0" layer="staging"><sources><csv id="a" path="x"/></sources>'
        b'<notifications/><targets><hive table="a.b"/></targets></pipeline>',
        "pipeline: <notifications> is out of place; the order is",
    ),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_documents_get_a_plain_message(name):
    data, expected = INVALID[name]
    found = messages(data)
    assert any(expected in message for message in found), found


def test_comma_lists_are_split_and_trimmed():
    p = parse(VALID["every transformation"], "p.xml")
    assert p.transformations[0].keys == ("a", "b")
    assert p.transformations[0].output == "d1"


def test_join_conditions_become_terms():
    p = parse(VALID["every transformation"], "p.xml")
    join = p.transformations[2]
    assert join.terms == (
        m.Comparison(m.ColumnRef("raw", "a"), "=", m.ColumnRef("other", "a")),
        m.Comparison(m.ColumnRef("raw", "b"), "<=", m.ColumnRef("other", "b")),
    )


def test_metrics_become_metric_objects_with_default_aliases():
    p = parse(VALID["every transformation"], "p.xml")
    assert p.transformations[-1].metrics == (
        m.Metric("count", None, "n"),
        m.Metric("sum", "b", "sum_b"),
        m.Metric("avg", "b", "mean"),
        m.Metric("min", "c", "min_c"),
        m.Metric("max", "c", "max_c"),
    )


def test_defaults_fill_the_model():
    p = parse(pipeline_xml(), "p.xml")
    (source,) = p.sources
    assert source == m.CsvSource(id="raw", path="in/*.csv")
    assert p.targets == (m.HiveTarget(table="staging.t"),)


def test_tab_delimiters_become_a_tab_character():
    for name in (
        "csv source, tab delimiter written \\t",
        "csv source, tab delimiter as a character reference",
    ):
        assert parse(VALID[name], "p.xml").sources[0].delimiter == "\t"


def test_schema_ref_as_element_or_attribute_is_the_same():
    as_element = pipeline_xml(sources='<csv id="raw" path="x"><schemaRef>s.avsc</schemaRef></csv>')
    as_attribute = pipeline_xml(sources='<csv id="raw" path="x" schemaRef="s.avsc"/>')
    assert parse(as_element, "p.xml") == parse(as_attribute, "p.xml")


def test_schema_ref_given_twice_differently_is_refused():
    data = pipeline_xml(
        sources='<csv id="raw" path="x" schemaRef="a.avsc"><schemaRef>b.avsc</schemaRef></csv>'
    )
    assert "schemaRef is given twice" in messages(data)[0]


def test_job_elements_and_attributes():
    data = job_xml(
        '<pipelineRef id="a" onFailure="retry" maxRetries="3"/>'
        '<pipelineRef id="b" dependsOn="a" onFailure="fallback" fallback="c"/>'
        '<pipelineRef id="c" dependsOn="a, b" onFailure="skip"/>'
        '<pipelineRef id="d" onFailure="continue"/>',
        head="<metadata><owner>o</owner><sla>PT3H</sla><schedule>0 1 * * *</schedule></metadata>"
        '<parameters><parameter name="region"/></parameters>',
        tail='<notifications><email to="ops@x.com"/></notifications>',
    )
    job = parse(data, "j.xml")
    assert job.pipelines[0] == m.PipelineRef("a", (), "retry", 3, None)
    assert job.pipelines[2].depends_on == ("a", "b")
    assert job.metadata.sla == "PT3H"


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        ('<pipelineRef id="a" onFailure="explode"/>', "use one of: retry, halt, skip, continue"),
        ('<pipelineRef id="a" maxRetries="-1" onFailure="retry"/>', "whole number"),
        ('<pipelineRef dependsOn="x"/>', '"id" is missing'),
        ('<pipelineRef id="a" fallback="../x" onFailure="fallback"/>', "an id starts with"),
        ("", "<pipelineRef> is missing"),
    ],
)
def test_invalid_job_attributes(refs, expected):
    found = messages(job_xml(refs))
    assert any(expected in message for message in found), found


def test_a_job_without_pipelines_is_refused():
    found = messages(b'<jobPipeline id="j" version="1.0"/>')
    assert found == ["jobPipeline: <pipelines> is missing inside <jobPipeline>"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            pipeline_xml(steps='<sort source="raw" orderBy="a"><x/></sort>'),
            "sort: unknown element <x>; <sort> takes no child elements",
        ),
        (
            pipeline_xml(head="<metadata><owner><b>x</b></owner></metadata>"),
            "owner: holds only text, not elements",
        ),
        (
            b'<pipeline xmlns="http://example.com/p" id="p" version="1.0" layer="staging"/>',
            "definitions use no XML namespace; remove the xmlns attribute",
        ),
        (pipeline_xml(sources='<csv id="raw" path="x"><schemaRef/></csv>'), "must not be empty"),
    ],
)
def test_odd_structures_get_plain_messages(data, expected):
    found = messages(data)
    assert any(expected in message for message in found), found

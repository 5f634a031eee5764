"""The rules of a single file: ids, dataset flow, cron, SLA, JDBC, SQL parameters, jobs."""

import pytest

from spark_runner.definition.parser import parse_with_problems
from spark_runner.definition.rules import find_cycle, sql_parameters

from .conftest import job_xml, messages, one_message, pipeline_xml

TWO = (
    '<csv id="customer_csv" path="a"/>'
    '<database id="customer_db" jdbcUrl="jdbc:a:b"><table name="t"/></database>'
)


def test_the_join_example_of_the_issue_reads_as_promised():
    # given a join whose right dataset is misspelt on line 14, column 5
    data = pipeline_xml(
        sources=TWO,
        steps="\n" * 11 + '    <join left="customer_csv" right="customer_dbb" type="left"'
        ' condition="customer_csv.id = customer_dbb.id"/>',
    )
    # when
    problems = parse_with_problems(data, "customer.xml")[1]
    # then
    assert str(problems[0]) == (
        'customer.xml:14:5: error: join: right dataset "customer_dbb" is not defined; '
        'did you mean "customer_db"?'
    )


def test_all_problems_of_a_file_are_reported_at_once():
    data = pipeline_xml(
        head="<metadata><sla>2 hours</sla><schedule>every day</schedule></metadata>",
        sources='<csv id="a" path="x" delimiter="ab"/><csv id="a" path="y"/>',
        steps='<sort source="b" orderBy="x"/>',
    )
    assert len(messages(data)) == 5


def test_source_ids_must_be_unique():
    data = pipeline_xml(sources='<csv id="a" path="x"/><csv id="a" path="y"/>')
    assert 'the id "a" is used by another source' in one_message(data)


def test_an_output_may_not_reuse_a_dataset_id():
    data = pipeline_xml(sources='<csv id="a" path="x"/><csv id="b" path="y"/>',
                        steps='<sort source="a" orderBy="k" output="b"/>')  # fmt: skip
    assert one_message(data) == 'sort: output "b" already names a dataset; choose a new id'


def test_two_outputs_may_not_share_an_id():
    steps = '<sort source="raw" orderBy="k" output="s"/><sort source="raw" orderBy="k" output="s"/>'
    assert "already names a dataset" in one_message(pipeline_xml(steps=steps))


def test_database_target_ids_must_be_unique():
    target = '<database id="t" jdbcUrl="jdbc:a:b"><table name="x"/></database>'
    assert 'the id "t" is used by another target' in one_message(pipeline_xml(targets=target * 2))


def test_a_step_can_use_only_datasets_defined_before_it():
    steps = '<sort source="later" orderBy="k"/><sort source="raw" orderBy="k" output="later"/>'
    assert one_message(pipeline_xml(steps=steps)) == (
        'sort: source dataset "later" is only produced later, by step 2; a step can use only '
        "datasets defined before it"
    )


def test_an_output_is_usable_by_later_steps_and_targets():
    steps = (
        '<sort source="raw" orderBy="k" output="sorted"/>'
        '<mask source="sorted" columns="k" strategy="redact"/>'
    )
    assert messages(pipeline_xml(steps=steps, targets='<hive table="a.b" source="sorted"/>')) == []


def test_every_step_kind_checks_its_dataset_references():
    steps = (
        '<deduplicate source="nope1" keys="k"/><sort source="nope2" orderBy="k"/>'
        '<lookup source="nope3" reference="d" outputFields="x"/>'
        '<merge sources="raw,nope4"/><mask source="nope5" columns="k" strategy="redact"/>'
        '<aggregate source="nope6" metrics="count:n"/>'
    )
    found = messages(pipeline_xml(steps=steps))
    for i in range(1, 7):
        assert any(f'"nope{i}" is not defined' in m for m in found), (i, found)


def test_a_target_source_must_be_defined():
    data = pipeline_xml(targets='<hive table="a.b" source="rwa"/>')
    assert one_message(data) == (
        'hive target a.b: source dataset "rwa" is not defined; did you mean "raw"?'
    )


def test_join_condition_grammar_is_explained():
    data = pipeline_xml(
        sources=TWO,
        steps='<join left="customer_csv" right="customer_db" type="inner" condition="id = id"/>',
    )
    assert 'condition "id = id" is not a comparison' in one_message(data)


def test_join_condition_must_name_its_datasets():
    steps = (
        '<join left="customer_csv" right="customer_db" type="inner"'
        ' condition="customer_csv.a = other.a"/>'
    )
    assert 'condition names "other.a"' in one_message(pipeline_xml(sources=TWO, steps=steps))


def test_a_join_needs_two_different_datasets():
    steps = '<join left="raw" right="raw" type="inner" condition="raw.a = raw.a"/>'
    assert "left and right name the same dataset" in one_message(pipeline_xml(steps=steps))


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ("count", "must be written function:column[:alias]"),
        ("median:x", 'unknown function "median"'),
        ("sum:a:b:c", "must be written"),
        ("sum:a,,count:n", "must be written"),
        ("sum:a:n,count:n", 'two metrics are named "n"'),
    ],
)
def test_aggregate_metrics_are_checked(metrics, expected):
    assert expected in one_message(
        pipeline_xml(steps=f'<aggregate source="raw" metrics="{metrics}"/>')
    )


def test_aggregate_window_needs_a_time_column_and_the_reverse():
    assert "needs timeColumn" in one_message(
        pipeline_xml(steps='<aggregate source="raw" metrics="count:n" window="daily"/>')
    )
    assert "timeColumn is used only with window" in one_message(
        pipeline_xml(steps='<aggregate source="raw" metrics="count:n" timeColumn="t"/>')
    )


@pytest.mark.parametrize("strategy", ["tokenize", "hash", "encrypt"])
def test_keyed_mask_strategies_may_leave_the_secret_to_the_default(strategy):
    data = pipeline_xml(steps=f'<mask source="raw" columns="a" strategy="{strategy}"/>')
    assert messages(data) == []


def test_redact_needs_no_secret():
    assert messages(pipeline_xml(steps='<mask source="raw" columns="a" strategy="redact"/>')) == []


def test_merge_rules():
    assert "two or more datasets" in one_message(pipeline_xml(steps='<merge sources="raw"/>'))
    two = '<csv id="raw" path="x"/><csv id="b" path="y"/>'
    assert "needs keys" in one_message(
        pipeline_xml(sources=two, steps='<merge sources="raw,b" mode="upsert"/>')
    )
    assert "used only with mode" in one_message(
        pipeline_xml(sources=two, steps='<merge sources="raw,b" keys="k"/>')
    )
    assert "named twice" in one_message(
        pipeline_xml(sources=two, steps='<merge sources="raw,raw"/>')
    )


def test_lookup_references_are_a_name_or_a_hive_table_with_keys():
    assert "must be a lookup name" in one_message(
        pipeline_xml(steps='<lookup source="raw" reference="../x" outputFields="f"/>')
    )
    assert "is a Hive table; give keys" in one_message(
        pipeline_xml(steps='<lookup source="raw" reference="dim.country" outputFields="f"/>')
    )


@pytest.mark.parametrize(
    "schedule", ["0 * * *", "0 * * * * *", "61 * * * *", "every day", "@daily"]
)
def test_a_schedule_must_be_five_field_cron(schedule):
    data = pipeline_xml(head=f"<metadata><schedule>{schedule}</schedule></metadata>")
    assert "is not a valid cron expression" in one_message(data)


@pytest.mark.parametrize("sla", ["2h", "PT", "P", "PT0S", "T2H", "1 day"])
def test_an_sla_must_be_an_iso_duration(sla):
    data = pipeline_xml(head=f"<metadata><sla>{sla}</sla></metadata>")
    assert "is not an ISO-8601 duration" in one_message(data)


@pytest.mark.parametrize("sla", ["PT2H", "P1D", "PT30M", "P1DT12H", "P1W"])
def test_good_slas_pass(sla):
    assert messages(pipeline_xml(head=f"<metadata><sla>{sla}</sla></metadata>")) == []


@pytest.mark.parametrize("url", ["mysql://host/db", "jdbc:", "jdbc:mysql", "jdbc::x", "JDBC mysql"])
def test_jdbc_urls_must_be_shaped_like_jdbc(url):
    data = pipeline_xml(sources=f'<database id="d" jdbcUrl="{url}"><table name="t"/></database>')
    assert "must look like jdbc:<driver>:<address>" in one_message(data)


@pytest.mark.parametrize("url", ["jdbc:postgresql://h/db?password=x", "jdbc:mysql://u:p@h/db"])
def test_jdbc_urls_must_not_hold_passwords(url):
    data = pipeline_xml(sources=f'<database id="d" jdbcUrl="{url}"><table name="t"/></database>')
    assert "must not hold a password" in one_message(data)


def test_a_database_source_has_sql_or_table_exactly_once():
    both = '<database id="d" jdbcUrl="jdbc:a:b"><sql>select 1</sql><table name="t"/></database>'
    neither = '<database id="d" jdbcUrl="jdbc:a:b"/>'
    for sources in (both, neither):
        assert "give either <sql> or <table name=...>" in one_message(pipeline_xml(sources=sources))


def test_sql_parameters_skip_casts_quotes_and_comments():
    sql = "select a::int, ':x', \"b:y\" -- :z\n/* :w */ from t where d >= :runDate and r = :region"
    assert sql_parameters(sql) == ["runDate", "region"]


def test_unknown_sql_parameters_are_reported_and_declared_ones_pass():
    source = (
        '<database id="d" jdbcUrl="jdbc:a:b">'
        "<sql><![CDATA[select * from t where r = :region and d = :runDate]]></sql></database>"
    )
    assert 'parameter ":region" in <sql> is not declared' in one_message(
        pipeline_xml(sources=source)
    )
    head = '<parameters><parameter name="region" default="eu"/></parameters>'
    assert messages(pipeline_xml(sources=source, head=head)) == []


def test_parameters_may_not_be_declared_twice_or_shadow_builtins():
    head = (
        '<parameters><parameter name="a"/><parameter name="a"/><parameter name="runDate"/>'
        "</parameters>"
    )
    found = messages(pipeline_xml(head=head))
    assert any("declared twice" in m for m in found) and any("is built in" in m for m in found)


def test_on_invalid_rows_reject_needs_a_schema():
    data = pipeline_xml(sources='<csv id="raw" path="x" onInvalidRows="reject"/>')
    assert "needs a schemaRef" in one_message(data)


def test_hive_targets_need_database_table_and_keys_with_merge():
    assert "database.table" in one_message(pipeline_xml(targets='<hive table="customer"/>'))
    assert "needs keys" in one_message(pipeline_xml(targets='<hive table="a.b" mode="merge"/>'))
    assert "keys is used only with" in one_message(
        pipeline_xml(targets='<hive table="a.b" keys="k"/>')
    )


def test_a_database_target_merge_may_leave_keys_to_the_primary_key():
    target = '<database id="t" jdbcUrl="jdbc:a:b" mode="merge"><table name="x"/></database>'
    assert messages(pipeline_xml(targets=target)) == []


def test_notifications_need_real_addresses_and_urls():
    tail = '<notifications><email to="ops, a@b.com"/><webhook url="ftp://x"/></notifications>'
    found = messages(pipeline_xml(tail=tail))
    assert any('"ops" is not an email address' in m for m in found)
    assert any("must start with https://" in m for m in found)


def test_job_dependencies_must_resolve_with_a_suggestion():
    data = job_xml('<pipelineRef id="load"/><pipelineRef id="std" dependsOn="laod"/>')
    assert one_message(data) == (
        'pipelineRef "std": dependsOn "laod" is not a pipelineRef of this job; did you mean "load"?'
    )


def test_job_retry_and_fallback_rules():
    found = messages(
        job_xml(
            '<pipelineRef id="a" maxRetries="2"/>'
            '<pipelineRef id="b" fallback="a"/>'
            '<pipelineRef id="c" onFailure="fallback"/>'
            '<pipelineRef id="d" onFailure="fallback" fallback="d"/>'
            '<pipelineRef id="a"/>'
        )
    )
    expected = [
        'maxRetries is used only with onFailure="retry"',
        'fallback is used only with onFailure="fallback"',
        'onFailure="fallback" needs fallback',
        "cannot be its own fallback",
        "listed twice",
    ]
    for text in expected:
        assert any(text in m for m in found), (text, found)


def test_a_self_dependency_is_a_cycle():
    assert "a → a" in one_message(job_xml('<pipelineRef id="a" dependsOn="a"/>'))


def test_find_cycle_finds_none_in_a_diamond():
    graph = {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c")}
    assert find_cycle(graph) is None


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ('<deduplicate source="raw" keys=","/>', "deduplicate: keys must name at least one column"),
        ('<sort source="raw" orderBy=" , "/>', "sort: orderBy must name at least one column"),
        (
            '<lookup source="raw" reference="d" outputFields=","/>',
            "lookup: outputFields must name at least one column",
        ),
        (
            '<mask source="raw" columns="," strategy="redact"/>',
            "mask: columns must name at least one column",
        ),
    ],
)
def test_required_lists_may_not_be_empty(step, expected):
    assert one_message(pipeline_xml(steps=step)) == expected

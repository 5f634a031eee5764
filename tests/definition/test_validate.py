"""Repository-wide validation: the §4 samples pass; schemas, lookups, columns, layout, job refs."""

from pathlib import Path

import pytest

from spark_runner.definition import DirectoryFileSource, validate

from .conftest import SAMPLE_JOB, SAMPLE_PIPELINE, SAMPLE_REPO, pipeline_xml

STAGING = "applications/customer/staging/pipelines"


def write(repo: Path, path: str, data: bytes | str) -> str:
    full = repo / path
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def messages_for(repo: Path, path: str) -> list[str]:
    report = validate(DirectoryFileSource(repo), [path])
    return [p.message for p in report.problems]


def test_the_section_4_samples_are_valid_in_their_repository():
    # when
    report = validate(DirectoryFileSource(SAMPLE_REPO))
    # then
    assert report.problems == []
    assert report.files_checked == 4
    assert set(report.definitions) >= {SAMPLE_PIPELINE, SAMPLE_JOB}


def test_the_verbatim_section_4_1_sample_is_valid(sample_repo):
    # Its tokenize mask names no secretRef: the key comes from the default masking secret.
    verbatim = (SAMPLE_REPO.parent / "sample_4_1_verbatim.xml").read_bytes()
    write(sample_repo, SAMPLE_PIPELINE, verbatim)
    assert messages_for(sample_repo, SAMPLE_PIPELINE) == []


def test_the_verbatim_section_4_2_sample_is_the_job_fixture():
    verbatim = (SAMPLE_REPO.parent / "sample_4_2_verbatim.xml").read_bytes()
    assert verbatim == (SAMPLE_REPO / SAMPLE_JOB).read_bytes()


def test_the_file_name_must_equal_the_id(sample_repo):
    path = write(sample_repo, f"{STAGING}/other_name.xml", pipeline_xml())
    assert messages_for(sample_repo, path) == [
        'the file is named "other_name.xml" but the pipeline id is "p"; the file name must equal '
        "the id"
    ]


def test_the_layer_folder_must_equal_the_layer(sample_repo):
    path = write(sample_repo, "applications/customer/service/pipelines/p.xml", pipeline_xml())
    assert (
        'layer="staging" but the file is in the "service" folder'
        in messages_for(sample_repo, path)[0]
    )


def test_a_pipeline_in_the_jobs_folder_is_refused(sample_repo):
    path = write(sample_repo, "applications/customer/staging/jobs/p.xml", pipeline_xml())
    assert "belongs in the pipelines/ folder" in messages_for(sample_repo, path)[0]


def test_a_definition_outside_the_layout_is_refused(sample_repo):
    path = write(sample_repo, "elsewhere/p.xml", pipeline_xml())
    assert "a definition must be stored at applications/" in messages_for(sample_repo, path)[0]


def test_a_missing_file_is_a_problem_not_a_crash(sample_repo):
    assert messages_for(sample_repo, f"{STAGING}/ghost.xml") == ["no such file"]


def test_pipeline_ids_are_unique_across_layers(sample_repo):
    data = pipeline_xml(attrs='id="customer_standardization" version="1.0" layer="staging"')
    path = write(sample_repo, f"{STAGING}/customer_standardization.xml", data)
    assert "is also used in the standardization layer" in messages_for(sample_repo, path)[0]


def test_a_missing_schema_is_reported_where_it_is_named(sample_repo):
    data = pipeline_xml(sources='<csv id="raw" path="x" schemaRef="schemas/nope.avsc"/>')
    path = write(sample_repo, f"{STAGING}/p.xml", data)
    report = validate(DirectoryFileSource(sample_repo), [path])
    (problem,) = report.problems
    assert (problem.line, problem.column) == (2, 10)
    assert problem.message == (
        'source "raw": schemaRef "schemas/nope.avsc": no file at '
        "applications/customer/staging/schemas/nope.avsc nor at common/schemas/; add the schema "
        "file or fix the name"
    )


def test_a_schema_falls_back_to_common_schemas(sample_repo):
    data = pipeline_xml(sources='<csv id="raw" path="x" schemaRef="customer_standard.avsc"/>')
    assert messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data)) == []


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.avsc", "{not json", "is not valid JSON"),
        ("enum.avsc", '{"type": "enum", "symbols": ["a"]}', "must be a record"),
        (
            "nested.avsc",
            '{"type":"record","fields":[{"name":"a","type":{"type":"map"}}]}',
            "not supported",
        ),
        ("bad.json", '{"type": "object"}', 'needs "type": "object" and "properties"'),
        ("arr.json", '{"properties": {"a": {"type": "array"}}}', "not supported"),
        ("schema.xsd", "{}", "use an Avro .avsc or a JSON schema .json"),
    ],
)
def test_a_broken_schema_is_reported(sample_repo, name, content, expected):
    write(sample_repo, f"applications/customer/staging/schemas/{name}", content)
    data = pipeline_xml(sources=f'<csv id="raw" path="x" schemaRef="{name}"/>')
    (message,) = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert expected in message


def test_target_schemas_are_checked_too(sample_repo):
    data = pipeline_xml(targets='<hive table="a.b" schemaRef="missing.json"/>')
    (message,) = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert message.startswith('hive target a.b: schemaRef "missing.json": no file')


def test_a_missing_lookup_file_is_reported(sample_repo):
    data = pipeline_xml(steps='<lookup source="raw" reference="currency_dim" outputFields="x"/>')
    (message,) = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert message == (
        'lookup: reference "currency_dim": no lookup file common/lookups/currency_dim.csv; add it '
        "(a CSV with a header row) or fix the name"
    )


def schema_source(columns: str = "customer_standard.avsc") -> str:
    return f'<csv id="raw" path="x" schemaRef="{columns}"/>'


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            '<sort source="raw" orderBy="emial"/>',
            'sort: column "emial" is not in dataset "raw"; did you mean "email"?',
        ),
        ('<deduplicate source="raw" keys="customer_idd"/>', 'column "customer_idd"'),
        ('<deduplicate source="raw" keys="customer_id" orderBy="ts"/>', 'column "ts"'),
        ('<mask source="raw" columns="ssn" strategy="redact"/>', 'column "ssn"'),
        ('<aggregate source="raw" groupBy="country" metrics="count:n"/>', 'column "country"'),
        ('<aggregate source="raw" metrics="sum:revenue"/>', 'column "revenue"'),
        (
            '<aggregate source="raw" metrics="count:n" window="daily" timeColumn="day"/>',
            'timeColumn column "day"',
        ),
        (
            '<lookup source="raw" reference="country_dim" outputFields="country"/>',
            '"country" is not a column of the lookup',
        ),
        (
            '<lookup source="raw" reference="country_dim" keys="cc" outputFields="region"/>',
            'key column "cc"',
        ),
        (
            '<aggregate source="raw" groupBy="country_code" metrics="count:n" output="agg"/>'
            '<sort source="agg" orderBy="email"/>',
            'column "email" is not in dataset "agg"',
        ),
        (
            '<lookup source="raw" reference="country_dim" keys="country_code"'
            ' outputFields="region"/>'
            '<sort source="raw" orderBy="region,country_name"/>',
            'column "country_name" is not in dataset "raw"',
        ),
    ],
)
def test_columns_named_in_steps_must_exist(sample_repo, steps, expected):
    data = pipeline_xml(sources=schema_source(), steps=steps)
    found = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert any(expected in m for m in found), found


def test_deduplicate_latest_needs_updated_at_or_order_by(sample_repo):
    write(sample_repo, "common/schemas/plain.json", '{"properties": {"id": {"type": "integer"}}}')
    data = pipeline_xml(
        sources=schema_source("plain.json"),
        steps='<deduplicate source="raw" keys="id" keep="latest"/>',
    )
    (message,) = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert "has no updated_at; set orderBy" in message


def test_join_columns_follow_the_language_rules(sample_repo):
    # given two datasets sharing customer_id (an = key) and updated_at (not a key)
    write(
        sample_repo,
        "common/schemas/orders.json",
        '{"properties": {"order_id": {"type": "integer"}, "customer_id": {"type": "integer"},'
        ' "updated_at": {"type": "string", "format": "date-time"}}}',
    )
    sources = schema_source() + '<csv id="orders" path="o" schemaRef="orders.json"/>'
    join = (
        '<join left="raw" right="orders" type="inner"'
        ' condition="raw.customer_id = orders.customer_id"'
        ' output="j"/>'
    )
    ok = join + '<sort source="j" orderBy="order_id,orders_updated_at,updated_at,customer_id"/>'
    bad = join + '<sort source="j" orderBy="orders_customer_id"/>'
    # then
    assert (
        messages_for(
            sample_repo,
            write(sample_repo, f"{STAGING}/p.xml", pipeline_xml(sources=sources, steps=ok)),
        )
        == []
    )
    found = messages_for(
        sample_repo,
        write(sample_repo, f"{STAGING}/p.xml", pipeline_xml(sources=sources, steps=bad)),
    )
    assert found == [
        'sort: column "orders_customer_id" is not in dataset "j"; did you mean "customer_id"?'
    ]


def test_semi_joins_keep_only_left_columns(sample_repo):
    sources = schema_source() + '<csv id="o" path="o" schemaRef="customer_standard.avsc"/>'
    steps = (
        '<join left="raw" right="o" type="semi" condition="raw.customer_id = o.customer_id"/>'
        '<sort source="raw" orderBy="o_email"/>'
    )
    (message,) = messages_for(
        sample_repo,
        write(sample_repo, f"{STAGING}/p.xml", pipeline_xml(sources=sources, steps=steps)),
    )
    assert 'column "o_email"' in message


def test_merge_checks_keys_in_every_source(sample_repo):
    write(
        sample_repo,
        "common/schemas/other.json",
        '{"properties": {"customer_id": {"type": "integer"}}}',
    )
    sources = schema_source() + '<csv id="o" path="o" schemaRef="other.json"/>'
    steps = '<merge sources="raw,o" mode="upsert" keys="email" orderBy="updated_at,nope"/>'
    found = messages_for(
        sample_repo,
        write(sample_repo, f"{STAGING}/p.xml", pipeline_xml(sources=sources, steps=steps)),
    )
    assert any('key column "email" is not in dataset "o"' in m for m in found)
    assert any('orderBy column "nope" is in none of the sources' in m for m in found)


def test_unknown_schemas_switch_column_checks_off(sample_repo):
    steps = '<sort source="raw" orderBy="anything"/>'
    data = pipeline_xml(steps=steps)
    assert messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data)) == []


def test_target_columns_are_checked_against_the_dataset_or_the_target_schema(sample_repo):
    data = pipeline_xml(sources=schema_source(), targets='<hive table="a.b" partitionBy="day"/>')
    (message,) = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert message == 'hive target a.b: column "day" is not in dataset "raw"'
    data = pipeline_xml(
        sources=schema_source(),
        targets='<hive table="a.b" mode="merge" keys="email"'
        ' schemaRef="schemas/staging/customer_snapshot.avsc"/>',
    )
    (message,) = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert message == 'hive target a.b: column "email" is not in its schemaRef'


def test_job_pipeline_refs_resolve_in_any_layer_of_the_application(sample_repo):
    job = (
        '<jobPipeline id="j" version="1.0"><pipelines>'
        '<pipelineRef id="customer_staging_load" onFailure="fallback"'
        ' fallback="customer_servce_export"/>'
        '<pipelineRef id="customer_standardisation" dependsOn="customer_staging_load"/>'
        "</pipelines></jobPipeline>"
    )
    path = write(sample_repo, "applications/customer/staging/jobs/j.xml", job)
    assert messages_for(sample_repo, path) == [
        'fallback "customer_servce_export": application "customer" has no pipeline with this id; '
        'did you mean "customer_service_export"?',
        'pipelineRef "customer_standardisation": application "customer" has no pipeline with this '
        'id; did you mean "customer_standardization"?',
    ]


def test_job_refs_do_not_reach_other_applications(sample_repo):
    write(sample_repo, "applications/other/staging/pipelines/p.xml", pipeline_xml())
    job = (
        '<jobPipeline id="j" version="1.0"><pipelines><pipelineRef id="p"/></pipelines>'
        "</jobPipeline>"
    )
    path = write(sample_repo, "applications/customer/staging/jobs/j.xml", job)
    assert 'application "customer" has no pipeline' in messages_for(sample_repo, path)[0]


def test_validate_without_paths_checks_every_definition_and_sorts_problems(sample_repo):
    write(sample_repo, f"{STAGING}/b.xml", pipeline_xml(attrs='id="b" version="x" layer="staging"'))
    write(sample_repo, f"{STAGING}/a.xml", pipeline_xml(attrs='id="a" version="x" layer="staging"'))
    write(sample_repo, "applications/customer/staging/resources/notes.xml", "<notes/>")
    report = validate(DirectoryFileSource(sample_repo))
    assert report.files_checked == 6
    assert [p.file for p in report.problems] == [f"{STAGING}/a.xml", f"{STAGING}/b.xml"]
    assert f"{STAGING}/a.xml" not in report.definitions


def test_sum_and_avg_need_number_columns(sample_repo):
    steps = '<aggregate source="raw" metrics="sum:email,avg:customer_id,max:email"/>'
    data = pipeline_xml(sources=schema_source(), steps=steps)
    found = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert found == ['aggregate: sum needs a number column, and "email" is string']


def test_a_window_needs_a_date_or_timestamp_column(sample_repo):
    steps = '<aggregate source="raw" metrics="count:n" window="daily" timeColumn="email"/>'
    data = pipeline_xml(sources=schema_source(), steps=steps)
    found = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert found == ['aggregate: timeColumn "email" must be a date or timestamp, not string']


def test_merged_columns_must_agree_in_type(sample_repo):
    write(
        sample_repo,
        "common/schemas/other.json",
        '{"properties": {"customer_id": {"type": "string"}, "email": {"type": "string"},'
        ' "updated_at": {"type": "string", "format": "date"}}}',
    )
    sources = schema_source() + '<csv id="o" path="o" schemaRef="other.json"/>'
    data = pipeline_xml(sources=sources, steps='<merge sources="raw,o"/>')
    found = messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data))
    assert found == [
        'merge: column "customer_id" is long in "raw" but string in "o"; the types must agree'
    ]


def test_a_huge_file_on_disk_is_refused_without_reading_it(sample_repo):
    path = f"{STAGING}/huge.xml"
    with open(sample_repo / path, "wb") as huge:
        huge.truncate(50 * 1024 * 1024)  # sparse: nothing to read
    assert messages_for(sample_repo, path) == [
        "the file is 50.0 MB; a definition may be at most 5 MB"
    ]


def test_a_lookup_file_with_a_byte_order_mark_is_read(sample_repo):
    write(sample_repo, "common/lookups/bom_dim.csv", "\ufeffcountry_code,label\nDE,de\n".encode())
    steps = '<lookup source="raw" reference="bom_dim" outputFields="label"/>'
    data = pipeline_xml(sources=schema_source(), steps=steps)
    assert messages_for(sample_repo, write(sample_repo, f"{STAGING}/p.xml", data)) == []

"""semantic_diff: what changed, in words a reviewer reads."""

from dataclasses import replace

from spark_runner.definition import parse, semantic_diff

from .conftest import SAMPLE_JOB, SAMPLE_PIPELINE, SAMPLE_REPO, pipeline_xml


def sample():
    return parse((SAMPLE_REPO / SAMPLE_PIPELINE).read_bytes(), "p.xml")


def job():
    return parse((SAMPLE_REPO / SAMPLE_JOB).read_bytes(), "j.xml")


def test_no_change_gives_no_lines_even_when_reformatted():
    a = parse(pipeline_xml(), "a.xml")
    b = parse(pipeline_xml().replace(b"><", b">\n\n   <"), "b.xml")
    assert semantic_diff(a, b) == []


def test_created_and_deleted():
    assert semantic_diff(None, sample()) == ["pipeline customer_staging_load created"]
    assert semantic_diff(job(), None) == ["job customer_master deleted"]
    assert semantic_diff(None, None) == []


def test_target_mode_sla_and_schedule_changes():
    old = sample()
    new = replace(
        old,
        metadata=replace(old.metadata, sla="PT1H", schedule="30 2 * * *"),
        targets=(replace(old.targets[0], mode="overwrite"), *old.targets[1:]),
    )
    assert semantic_diff(old, new) == [
        "SLA PT2H → PT1H",
        "schedule 0 * * * * → 30 2 * * *",
        "target staging.customer_snapshot: mode append → overwrite",
    ]


def test_masks_removed_added_and_changed_by_column():
    old = sample()
    steps = list(old.transformations)
    steps[4] = replace(steps[4], columns=("ssn", "phone"), strategy="hash")
    new = replace(old, transformations=tuple(steps))
    assert semantic_diff(old, new) == [
        "mask removed from column email",
        "mask added to column phone (hash)",
        "mask on column ssn: strategy tokenize → hash",
    ]


def test_step_changes_are_numbered():
    old = sample()
    steps = list(old.transformations)
    steps[2] = replace(steps[2], type="inner")
    assert semantic_diff(old, replace(old, transformations=tuple(steps))) == [
        "step 3 (join) type left → inner"
    ]


def test_steps_added_and_removed():
    old = sample()
    new = replace(old, transformations=old.transformations[1:])
    assert semantic_diff(old, new) == ["step 1 (deduplicate) removed"]
    assert semantic_diff(new, old) == [
        'step 1 (deduplicate) added: source="customer_csv", keys="customer_id", keep="latest"'
    ]


def test_sources_targets_and_parameters_added_or_removed():
    old = parse(pipeline_xml(), "a.xml")
    new = parse(
        pipeline_xml(
            head='<parameters><parameter name="region"/></parameters>',
            sources='<csv id="raw" path="in/*.csv"/><csv id="customer_csv" path="c"/>',
            targets='<csv path="out"/>',
        ),
        "b.xml",
    )
    assert semantic_diff(old, new) == [
        "parameter region added",
        "source customer_csv added",
        "target staging.t removed",
        "target csv out added",
    ]


def test_job_dependencies_and_policies():
    old = job()
    refs = list(old.pipelines)
    refs[1] = replace(refs[1], depends_on=())
    refs[2] = replace(refs[2], depends_on=("customer_staging_load",), on_failure="skip")
    assert semantic_diff(old, replace(old, pipelines=tuple(refs))) == [
        "new dependency customer_service_export → customer_staging_load",
        "dependency removed customer_service_export → customer_standardization",
        "dependency removed customer_standardization → customer_staging_load",
        "pipeline customer_service_export: onFailure continue → skip",
    ]


def test_notifications_and_version():
    old = job()
    new = replace(old, version="2.1", notifications=old.notifications[:1])
    assert semantic_diff(old, new) == [
        "version 2.0 → 2.1",
        "notification webhook https://hooks.slack.com/services/... on completion removed",
    ]

"""Bad and hostile input: each gives a located error, quickly, and reads nothing outside."""

import tracemalloc

import pytest

from spark_runner.definition import DefinitionInvalid, parse

from .conftest import job_xml, messages, pipeline_xml


def problems_of(data: bytes):
    with pytest.raises(DefinitionInvalid) as caught:
        parse(data, "attack.xml")
    problems = caught.value.problems
    assert problems
    for problem in problems:
        assert problem.file == "attack.xml"
        assert problem.line >= 1 and problem.column >= 1
    return problems


def test_malformed_xml_is_located_where_it_breaks():
    problems = problems_of(
        b'<pipeline id="p" version="1.0" layer="staging">\n  <sources>\n</pipeline>'
    )
    assert problems[0].line == 3
    assert problems[0].message.startswith("malformed XML:")


def test_a_wrong_root_is_named():
    (problem,) = problems_of(b"<!-- x -->\n  <html><body/></html>")
    assert "root element must be <pipeline> or <jobPipeline>, not <html>" in problem.message
    assert (problem.line, problem.column) == (2, 3)


def test_an_unknown_element_is_located_with_a_suggestion():
    data = pipeline_xml(steps='<sortt source="raw" orderBy="a"/>')
    (problem,) = problems_of(data)
    assert (problem.line, problem.column) == (3, 18)
    assert problem.message.startswith("transformations: unknown element <sortt>; allowed here: ")
    assert problem.message.endswith('; did you mean "sort"?')


def test_an_unknown_attribute_is_located_at_the_attribute():
    data = pipeline_xml(sources='<csv id="raw" path="x" delimeter=";"/>')
    (problem,) = problems_of(data)
    assert (problem.line, problem.column) == (2, 33)
    assert 'unknown attribute "delimeter"; allowed: ' in problem.message
    assert problem.message.endswith('did you mean "delimiter"?')


def test_a_bad_enum_lists_the_allowed_values():
    (problem,) = problems_of(pipeline_xml(attrs='id="p" version="1.0" layer="stage"'))
    assert problem.message == (
        'pipeline: layer="stage": not allowed; use one of: staging, standardization, service '
        '(did you mean "staging"?)'
    )


def test_xxe_is_refused_before_anything_is_read():
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE pipeline [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<pipeline id="p" version="1.0" layer="staging"><metadata><owner>&x;</owner></metadata>'
        b"</pipeline>"
    )
    (problem,) = problems_of(data)
    assert (problem.line, problem.column) == (2, 1)
    assert "DOCTYPE and ENTITY declarations are not allowed" in problem.message
    assert "root:" not in problem.message


def test_billion_laughs_is_refused():
    entities = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    data = f'<!DOCTYPE p [<!ENTITY l0 "lol">{entities}]><pipeline id="&l9;"/>'.encode()
    (problem,) = problems_of(data)
    assert "DOCTYPE" in problem.message


def test_an_undeclared_entity_is_malformed_not_expanded():
    data = pipeline_xml(head="<metadata><owner>&x;</owner></metadata>")
    (problem,) = problems_of(data)
    assert "malformed XML" in problem.message and "x" in problem.message


def test_a_50_mb_file_is_refused_by_size_with_bounded_memory():
    data = b"<pipeline>" + b" " * (50 * 1024 * 1024) + b"</pipeline>"
    tracemalloc.start()
    (problem,) = problems_of(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "a definition may be at most 5 MB" in problem.message
    assert peak < 1024 * 1024


def test_non_utf8_bytes_are_located():
    data = pipeline_xml(head="<metadata><owner>caf\xe9</owner></metadata>").replace(
        "caf\xe9".encode(), b"caf\xe9"
    )
    (problem,) = problems_of(data)
    assert (problem.line, problem.column) == (2, 21)
    assert "byte 0xe9 is not valid UTF-8" in problem.message


def test_a_declared_non_utf8_encoding_is_refused():
    data = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + pipeline_xml()
    (problem,) = problems_of(data)
    assert "save the file as UTF-8" in problem.message


def test_an_empty_file_is_refused():
    for data in (b"", b"  \n\t"):
        (problem,) = problems_of(data)
        assert "the file is empty" in problem.message


@pytest.mark.parametrize("bad", ["../escape", "/etc/passwd", "a/b", "x..y", "1abc", "a b"])
def test_path_like_ids_are_refused(bad):
    found = messages(pipeline_xml(sources=f'<csv id="{bad}" path="x"/>'))
    assert any("an id starts with a letter" in m for m in found), found


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("../../etc/passwd", 'must not contain ".."'),
        ("schemas/../../x.avsc", 'must not contain ".."'),
        ("/etc/passwd", "must be a relative path"),
        ("file:///etc/passwd", "must be a relative path"),
    ],
)
def test_escaping_schema_refs_are_refused(ref, expected):
    found = messages(pipeline_xml(sources=f'<csv id="raw" path="x" schemaRef="{ref}"/>'))
    assert any(expected in m for m in found), found


def test_a_relative_data_path_may_not_climb_out():
    found = messages(pipeline_xml(sources='<csv id="raw" path="../other_app/x.csv"/>'))
    assert any('must not contain ".."' in m for m in found)


def test_a_cycle_in_a_job_is_reported_with_its_path():
    data = job_xml(
        '<pipelineRef id="a" dependsOn="c"/><pipelineRef id="b" dependsOn="a"/>'
        '<pipelineRef id="c" dependsOn="b"/>'
    )
    (message,) = messages(data)
    assert message.startswith("the dependencies form a cycle: a → c → b → a")


def test_a_long_dependency_chain_does_not_exhaust_the_stack():
    refs = '<pipelineRef id="p0"/>' + "".join(
        f'<pipelineRef id="p{i}" dependsOn="p{i - 1}"/>' for i in range(1, 4000)
    )
    assert messages(job_xml(refs)) == []


def test_a_processing_instruction_or_comment_before_the_root_is_harmless():
    data = b"<?xml version='1.0' encoding='utf-8'?>\n<!-- note -->\n" + pipeline_xml()
    assert messages(data) == []


def test_a_flood_of_elements_is_refused_by_count():
    (problem,) = problems_of(pipeline_xml(steps="<sortt/>" * 300_000))
    assert "more than 5000 elements" in problem.message


def test_a_flood_of_errors_is_cut_short():
    problems = problems_of(pipeline_xml(steps='<sort source="raw" orderBy="a" bogus="1"/>' * 2000))
    assert len(problems) == 100
    assert problems[-1].message == "too many problems; fix these and try again"


def wide(count: int) -> str:
    return " ".join(f'a{i}="v"' for i in range(count))


def test_an_element_with_5000_attributes_is_refused_by_count_at_the_element():
    data = pipeline_xml(sources=f'<csv id="raw" path="x"\n {wide(5000)}/>')

    (problem,) = problems_of(data)

    assert problem.message == "<csv> has 5002 attributes; an element may have at most 64"
    assert (problem.line, problem.column) == (2, 10)


def test_64_attributes_pass_the_count_and_get_the_usual_errors():
    data = pipeline_xml(sources=f'<csv id="raw" path="x" {wide(62)}/>')

    problems = problems_of(data)

    assert len(problems) == 62
    assert all("unknown attribute" in p.message for p in problems)


def test_a_document_past_its_time_budget_is_refused_with_one_problem():
    from spark_runner.definition.parser import parse_with_problems

    data = pipeline_xml(steps='<sort source="raw" orderBy="a" bogus="1"/>' * 20)

    definition, problems = parse_with_problems(data, "slow.xml", budget=0)

    assert definition is None
    assert [p.message for p in problems] == [
        "checking this definition took longer than 0 seconds, the limit per document; "
        "make it smaller or split it into several pipelines"
    ]

import pytest

from config_repo import (
    InvalidPath,
    application_skeleton,
    definition_path,
    parse_definition_path,
    validate_branch_name,
    validate_name,
    validate_repo_path,
)
from config_repo.layout import DefinitionPath, repository_skeleton


def test_a_definition_path_follows_the_section_5_layout():
    assert (
        definition_path("retail", "staging", "pipeline", "customer_load")
        == "applications/retail/staging/pipelines/customer_load.xml"
    )
    assert (
        definition_path("retail", "service", "job", "nightly")
        == "applications/retail/service/jobs/nightly.xml"
    )


def test_parsing_a_definition_path_gives_back_its_parts():
    path = "applications/retail/standardization/jobs/Daily-Run_2.xml"
    assert parse_definition_path(path) == DefinitionPath(
        application="retail", layer="standardization", kind="job", id="Daily-Run_2", path=path
    )


@pytest.mark.parametrize(
    "path",
    [
        "applications/retail/staging/schemas/customer.avsc",
        "applications/retail/bronze/pipelines/x.xml",
        "applications/Retail/staging/pipelines/x.xml",
        "applications/retail/staging/pipelines/1x.xml",
        "applications/retail/staging/pipelines/x.json",
        "applications/retail/staging/pipelines/sub/x.xml",
        "common/schemas/x.xml",
        "applications/retail/staging/pipelines/.xml",
        "applications/../staging/pipelines/x.xml",
        "",
    ],
)
def test_paths_that_are_not_definitions_parse_to_none(path):
    assert parse_definition_path(path) is None


@pytest.mark.parametrize(
    ("what", "value"),
    [
        ("application", "retail"),
        ("application", "0-sales_eu"),
        ("application", "a" * 63),
        ("id", "customer_load"),
        ("pipeline id", "X" + "y" * 127),
        ("layer", "service"),
        ("kind", "job"),
    ],
)
def test_good_names_are_accepted(what, value):
    assert validate_name(value, what) == value


@pytest.mark.parametrize(
    ("what", "value", "words"),
    [
        ("application", "Retail", "application name 'Retail' is not valid"),
        ("application", "-retail", "starting with a letter or digit"),
        ("application", "a" * 64, "1-63 characters"),
        ("application", "re tail", "is not valid"),
        ("application", "", "is not valid"),
        ("id", "1load", "starting with a letter"),
        ("id", "../etc/passwd", "is not valid"),
        ("id", "x" * 129, "1-128 characters"),
        ("id", "café", "is not valid"),
        ("job id", "a.b", "job id 'a.b' is not valid"),
        ("layer", "bronze", "staging, standardization, service"),
        ("kind", "schema", "pipeline, job"),
        ("id", None, "must be a string"),
    ],
)
def test_bad_names_are_refused_with_a_reason(what, value, words):
    with pytest.raises(InvalidPath) as info:
        validate_name(value, what)
    assert words in str(info.value)


def test_definition_path_refuses_traversal_in_any_part():
    for args in [
        ("..", "staging", "pipeline", "x"),
        ("retail", "../staging", "pipeline", "x"),
        ("retail", "staging", "pipeline", "../../x"),
        ("retail", "staging", "schemas", "x"),
    ]:
        with pytest.raises(InvalidPath):
            definition_path(*args)


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "applications/retail/staging/schemas/customer.avsc",
        "common/lookups/country codes.csv",
        "applications/retail/staging/resources/ünïcode.json",
        "applications/.gitkeep",
    ],
)
def test_clean_relative_paths_are_accepted(path):
    assert validate_repo_path(path) == path


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("../outside.xml", "'..' is not allowed"),
        ("applications/../../etc/passwd", "'..' is not allowed"),
        ("/etc/passwd", "is absolute"),
        (".git/config", "git reserves"),
        ("applications/.GIT/hooks/pre-commit", "git reserves"),
        ("a/.git./x", "git reserves"),
        (".gitmodules", "git reserves"),
        ("applications\\retail\\x.xml", "backslash"),
        ("a/b\x00.xml", "control character"),
        ("a/b\udcff.xml", "not valid UTF-8"),
        ("a/b\n.xml", "control character"),
        ("a//b.xml", "empty folder name"),
        ("a/./b.xml", "'.' folder"),
        ("applications/retail/", "ends with '/'"),
        ("", "path is empty"),
        ("x" * 1025, "too long"),
        ("a/" + "y" * 256, "longer than 255 bytes"),
    ],
)
def test_unsafe_paths_are_refused_with_a_clear_message(path, words):
    with pytest.raises(InvalidPath) as info:
        validate_repo_path(path)
    assert words in str(info.value)


def test_a_path_that_is_not_a_string_is_refused():
    with pytest.raises(InvalidPath, match="must be a string"):
        validate_repo_path(b"README.md")


@pytest.mark.parametrize("name", ["cr/42-add-customer-load", "main", "cr/7-fix_sla.v2"])
def test_change_request_branch_names_are_accepted(name):
    assert validate_branch_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "-delete",
        "--upload-pack=evil",
        "cr/1..2",
        "main@{1}",
        "cr/1 x",
        "cr/1\tx",
        "cr/1\nx",
        "cr/1-x.lock",
        "cr/.hidden",
        "cr//1",
        "cr/1/",
        "cr/1.",
        "HEAD",
        "cr/1~1",
        "cr/1^",
        "cr/1:x",
        "refs/../x",
        "",
        "x" * 201,
    ],
)
def test_branch_names_that_could_inject_refs_are_refused(name):
    with pytest.raises(InvalidPath):
        validate_branch_name(name)


def test_the_skeletons_only_hold_files_in_the_section_5_folders():
    assert set(repository_skeleton()) == {
        "README.md",
        "applications/.gitkeep",
        "common/schemas/.gitkeep",
        "common/lookups/.gitkeep",
    }
    app = application_skeleton("retail")
    assert len(app) == 12
    assert "applications/retail/standardization/resources/.gitkeep" in app
    assert all(content == b"" for content in app.values())

"""The XSDs as the XML editor's completion schema (spark_runner/definition/outline.py)."""

from spark_runner.definition.outline import editor_schema


def elements() -> dict[str, dict]:
    return {element["name"]: element for element in editor_schema()["elements"]}


def attributes(element: dict) -> dict[str, dict]:
    return {attribute["name"]: attribute for attribute in element["attributes"]}


def test_both_documents_are_top_level_and_nothing_else_is():
    tops = sorted(name for name, element in elements().items() if element["top"])
    assert tops == ["jobPipeline", "pipeline"]


def test_children_follow_the_xsd():
    found = elements()
    assert found["pipeline"]["children"] == [
        "metadata",
        "parameters",
        "sources",
        "transformations",
        "targets",
        "notifications",
    ]
    assert found["transformations"]["children"] == [
        "deduplicate",
        "sort",
        "join",
        "lookup",
        "merge",
        "mask",
        "aggregate",
    ]
    assert found["pipelines"]["children"] == ["pipelineRef"]
    assert found["sources"]["children"] == ["csv", "database"]


def test_enumerations_become_value_completions_and_use_is_told():
    found = elements()
    mask = attributes(found["mask"])
    assert mask["strategy"]["values"] == ["tokenize", "hash", "redact", "encrypt"]
    assert mask["strategy"]["completion"] == {"detail": "required"}
    assert "values" not in mask["columns"]
    ref = attributes(found["pipelineRef"])
    assert ref["onFailure"]["values"] == ["retry", "halt", "skip", "continue", "fallback"]
    assert ref["onFailure"]["completion"] == {"detail": "default halt"}
    assert attributes(found["pipeline"])["layer"]["values"] == [
        "staging",
        "standardization",
        "service",
    ]


def test_inherited_attributes_are_included():
    # every transformation extends Step, which declares `output`
    for name in ("deduplicate", "sort", "join", "lookup", "merge", "mask", "aggregate"):
        assert "output" in attributes(elements()[name]), name


def test_an_element_defined_twice_gets_the_union_of_both_definitions():
    # <csv> is a source (path, header, inferSchema...) and a target (mode, compression...)
    csv = attributes(elements()["csv"])
    assert {"id", "inferSchema", "onInvalidRows", "mode", "compression", "source"} <= set(csv)
    assert csv["header"]["values"] == ["true", "false"]
    names = [element["name"] for element in editor_schema()["elements"]]
    assert len(names) == len(set(names))

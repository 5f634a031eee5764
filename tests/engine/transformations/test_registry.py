import pytest

from spark_runner.engine import registry
from spark_runner.engine.registry import StepError, UnknownTransformation


def test_importing_the_package_registers_all_seven_transformations():
    assert registry.known_tags() == (
        "aggregate",
        "deduplicate",
        "join",
        "lookup",
        "mask",
        "merge",
        "sort",
    )


def test_each_tag_gives_its_module_apply():
    from spark_runner.engine.transformations import join

    assert registry.get("join") is join.apply


def test_an_unknown_tag_lists_the_known_ones():
    with pytest.raises(UnknownTransformation) as error:
        registry.get("pivot")
    assert str(error.value) == (
        'unknown transformation "pivot"; '
        "known: aggregate, deduplicate, join, lookup, mask, merge, sort"
    )


def test_a_new_transformation_registers_itself_with_the_decorator(monkeypatch):
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))

    @registry.transformation("identity")
    def apply(step, datasets, ctx):
        return datasets[step.source]

    assert registry.get("identity") is apply
    assert "identity" in registry.known_tags()


def test_one_tag_cannot_be_claimed_by_two_modules(monkeypatch):
    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    with pytest.raises(ValueError, match='"sort" is registered twice'):
        registry.transformation("sort")(lambda step, datasets, ctx: None)


def test_a_step_error_reads_as_tag_then_message():
    error = StepError("join", 'column "x" not found')
    assert (str(error), error.step_tag, error.message) == (
        'join: column "x" not found',
        "join",
        'column "x" not found',
    )

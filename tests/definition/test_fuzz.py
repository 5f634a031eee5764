"""Mangled definitions never raise anything but DefinitionInvalid, and valid ones round-trip."""

import random

from spark_runner.definition import DefinitionInvalid, parse, render, semantic_diff

from .conftest import FIXTURES

PIECES = [b"<", b">", b"/>", b'"', b"&", b"<!--", b"]]>", b"<![CDATA[", b"\xff", b"\x00",
          b' id="x"', b"<sort/>", b"..", b",", b":", b"&#0;", b"<a>" * 300, b"\n"]  # fmt: skip


def test_random_mutations_of_the_fixtures_give_problems_not_exceptions():
    rng = random.Random(20261126)
    originals = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.xml"))]
    for _ in range(1500):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(data) + 1)
            if rng.random() < 0.5:
                data[at:at] = rng.choice(PIECES)
            else:
                del data[at : at + rng.randint(1, 20)]
        try:
            definition = parse(bytes(data), "fuzz.xml")
        except DefinitionInvalid as invalid:
            assert all(p.line >= 1 and p.column >= 1 for p in invalid.problems)
            continue
        assert parse(render(definition), "fuzz.xml") == definition
        assert semantic_diff(definition, definition) == []

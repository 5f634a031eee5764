"""The dataset flow: which datasets a step reads and names, and the run's datasets by id."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping

from pyspark.sql import DataFrame

from spark_runner.definition import rules
from spark_runner.definition.rules import step_result as step_output


def step_inputs(step) -> list[str]:
    """The dataset ids a step reads (the roles aside)."""
    return [name for _, name in rules.step_inputs(step)]


def shared_frames(pipeline) -> set[tuple[str, int]]:
    """The frames (dataset id, version) that two or more consumers read (steps or targets):
    cached, so that they are computed once, not once per consumer. Version 0 is a source as
    read; each step whose result takes a dataset's name makes its next version."""
    version: dict[str, int] = {}
    uses: Counter = Counter()
    last = pipeline.sources[-1].id if pipeline.sources else None
    for step in pipeline.transformations:
        for name in dict.fromkeys(step_inputs(step)):
            uses[(name, version.get(name, 0))] += 1
        last = step_output(step)
        version[last] = version.get(last, 0) + 1
    for target in pipeline.targets:
        name = target.source or last
        uses[(name, version.get(name, 0))] += 1
    return {frame for frame, n in uses.items() if n > 1}


def frames_below(pipeline) -> tuple[list[set[tuple[str, int]]], set[tuple[str, int]]]:
    """The frames (dataset id, version) each target's data is computed from, itself included, in
    the targets' order; and those the token vault's new entries are computed from (the inputs
    of the tokenize steps)."""
    version: dict[str, int] = {}
    below: dict[tuple[str, int], frozenset] = {}

    def frame(name: str) -> tuple[str, int]:
        key = (name, version.get(name, 0))
        below.setdefault(key, frozenset({key}))
        return key

    last = pipeline.sources[-1].id if pipeline.sources else None
    vault: set[tuple[str, int]] = set()
    for step in pipeline.transformations:
        read = frozenset().union(*(below[frame(n)] for n in dict.fromkeys(step_inputs(step))))
        if step.tag == "mask" and step.strategy == "tokenize":
            vault |= read
        last = step_output(step)
        version[last] = version.get(last, 0) + 1
        out = (last, version[last])
        below[out] = read | {out}
    targets = [
        set(below[frame(t.source or last)]) if (t.source or last) else set()
        for t in pipeline.targets
    ]
    return targets, vault


class Datasets(Mapping):
    """The run's datasets by id; an onDemand source is read (``load(source)``) the first time it
    is looked up."""

    def __init__(self, sources: Mapping[str, object], load: Callable[[object], DataFrame]):
        self.sources = dict(sources)
        self._load = load
        self._frames: dict[str, DataFrame] = {}

    def __getitem__(self, key: str) -> DataFrame:
        if key not in self._frames:
            if key in self.sources:
                self._frames[key] = self._load(self.sources[key])
            else:
                raise KeyError(key)
        return self._frames[key]

    def __setitem__(self, key: str, df: DataFrame) -> None:
        self._frames[key] = df

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._frames, *self.sources]))

    def __len__(self) -> int:
        return len(set(self._frames) | set(self.sources))

    def __contains__(self, key: object) -> bool:
        return key in self._frames or key in self.sources

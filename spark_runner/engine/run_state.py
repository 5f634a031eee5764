"""The state of one run, handed explicitly to every phase of the template (run.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spark_runner.definition.model import Pipeline
from spark_runner.engine.context import RunContext
from spark_runner.engine.datasets import Datasets, shared_frames
from spark_runner.engine.failures import Cancelled, _cancelled

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Observation

    from spark_runner.engine.masking.vault import TokenVault
    from spark_runner.engine.outputs import Output
    from spark_runner.engine.registry import StepContext
    from spark_runner.engine.result import SourceMetrics, StepMetrics
    from spark_runner.engine.storage import SourceRead


@dataclass(eq=False)
class RunState:
    """What the phases share while one pipeline runs.

    ``where`` and ``phase`` say what the run is doing (they locate an error); ``datasets`` are the
    run's DataFrames by id (an onDemand source is read when first looked up); ``counts`` hold, per
    dataset id, its row count or the ``Observation`` that will have it; ``outputs`` the targets'
    (and rejects') outputs in the order they were staged.
    """

    pipeline: Pipeline
    ctx: RunContext
    count_rows: bool = True  # off only to measure what the row counts cost
    where: str = "run"
    phase: str = "prepare"
    params: dict[str, str] = field(default_factory=dict)
    datasets: Datasets = field(init=False)
    reads: dict[str, SourceRead] = field(default_factory=dict)  # by source id
    source_metrics: dict[str, SourceMetrics] = field(default_factory=dict)
    source_obs: dict[str, Observation] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)  # dataset id -> int or Observation
    steps: list[tuple[StepMetrics, list[Any], Observation | None]] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    cached: list[DataFrame] = field(default_factory=list)  # unpersisted when the run ends
    # the shared frames cached as made, not computed yet (eager sources are counted when read):
    # (dataset id, version) -> frame, in the order made
    cached_frames: dict[tuple[str, int], DataFrame] = field(default_factory=dict)
    lookups: dict[str, DataFrame] = field(default_factory=dict)  # by reference
    last_dataset: str | None = None
    vault: TokenVault | None = None
    step_context: StepContext | None = None
    # frames read by several steps or targets: cached, computed once (not once per reader)
    shared: set[tuple[str, int]] = field(init=False)
    versions: dict[str, int] = field(default_factory=dict)  # dataset id -> steps that named it

    def __post_init__(self) -> None:
        from spark_runner.engine.sources_phase import load_source

        sources = {s.id: s for s in self.pipeline.sources}
        self.datasets = Datasets(sources, lambda source: load_source(self, source))
        self.shared = shared_frames(self.pipeline)
        if self.pipeline.sources:
            self.last_dataset = self.pipeline.sources[-1].id

    @property
    def spark(self):
        return self.ctx.spark

    @property
    def sources_by_id(self) -> dict:
        return self.datasets.sources

    def cache_shared(self, key: tuple[str, int], df: DataFrame) -> DataFrame:
        """``df`` cached for the run, as the shared frame ``key``."""
        df = df.persist()
        self.cached.append(df)
        self.cached_frames[key] = df
        return df

    def check_cancelled(self) -> None:
        if self.ctx.job_group in _cancelled:
            raise Cancelled("cancelled by an operator")

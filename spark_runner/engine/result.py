"""What a run returns: status, per-step and per-target metrics, a located error."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from spark_runner.engine.errors import RunError


@dataclass
class StepMetrics:
    index: int  # 1-based, in definition order
    tag: str
    dataset: str  # the dataset id the step produced
    rows_in: int | None = None  # rows of the step's input dataset(s), summed
    rows_out: int | None = None
    seconds: float = 0.0


@dataclass
class TargetMetrics:
    kind: str  # hive | csv | database
    name: str  # table or resolved path
    rows_written: int | None = None
    seconds: float = 0.0


@dataclass
class SourceMetrics:
    id: str
    kind: str  # csv | database
    rows: int | None = None
    rejected: int = 0
    seconds: float = 0.0


@dataclass
class PipelineResult:
    status: str  # succeeded | failed | cancelled
    steps: list[StepMetrics] = field(default_factory=list)
    targets: list[TargetMetrics] = field(default_factory=list)
    error: RunError | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    sources: list[SourceMetrics] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    @property
    def seconds(self) -> float:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return 0.0

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "steps": [asdict(s) for s in self.steps],
            "targets": [asdict(t) for t in self.targets],
            "sources": [asdict(s) for s in self.sources],
            "error": self.error.to_dict() if self.error else None,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }

    def summary(self) -> str:
        """A plain-text table: steps, then targets."""
        lines = [f"{'step':<28} {'rows in':>12} {'rows out':>12} {'seconds':>8}"]
        for s in self.steps:
            name = f"{s.index} {s.tag} -> {s.dataset}"
            lines.append(f"{name:<28} {_n(s.rows_in):>12} {_n(s.rows_out):>12} {s.seconds:>8.2f}")
        if self.sources:
            lines.append("")
            lines.append(f"{'source':<28} {'rows':>12} {'rejected':>12} {'seconds':>8}")
            for src in self.sources:
                lines.append(
                    f"{src.kind + ' ' + src.id:<28} {_n(src.rows):>12} {src.rejected:>12} "
                    f"{src.seconds:>8.2f}"
                )
        lines.append("")
        lines.append(f"{'target':<50} {'rows written':>12} {'seconds':>8}")
        for t in self.targets:
            lines.append(f"{t.kind + ' ' + t.name:<50} {_n(t.rows_written):>12} {t.seconds:>8.2f}")
        lines.append("")
        lines.append(f"status: {self.status} in {self.seconds:.2f} s")
        return "\n".join(lines)


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"

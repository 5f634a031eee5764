"""Small inline SVG charts, built on the server: no JavaScript library, readable without one.

Each function takes plain values (not models) and returns a ``SafeString`` of one ``<svg>``
element. Every text that came from data is escaped here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Colours are the CSS variables of static/css/portal.css (``--<name>``), set through ``style``
# (an SVG presentation attribute does not resolve ``var()``): the charts follow the stylesheet.
STATE_COLOURS = {  # (fill, stroke) of a job graph node
    "pending": ("surface", "faint"),
    "queued": ("info-bg", "accent"),
    "running": ("accent", "accent-strong"),
    "retrying": ("warn-bg", "warn"),
    "succeeded": ("ok-bg", "ok"),
    "failed": ("bad-bg", "bad"),
    "skipped": ("idle-bg", "faint"),
    "cancelled": ("cancelled-bg", "muted"),
}
SUCCEEDED, FAILED, OTHER = "ok", "bad", "faint"
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"


def _svg(width: float, height: float, label: str, body: list[str], css_class: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every data text below went through escape()
        f'<svg class="chart {css_class}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _paint(fill: str | None = None, stroke: str | None = None) -> str:
    """The ``style`` attribute that paints an element with portal.css variables."""
    parts = [f"{what}:var(--{name})" for what, name in (("fill", fill), ("stroke", stroke)) if name]
    return f'style="{";".join(parts)}"'


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- step durations


def step_durations(steps: Sequence[tuple[str, float]], width: int = 360) -> SafeString:
    """Horizontal bars, one per step: ``(label, seconds)``."""
    row, label_w = 20, 130
    bar_w = width - label_w - 50
    longest = max((s for _, s in steps), default=0) or 1
    body = []
    for i, (label, seconds) in enumerate(steps):
        y = i * row
        w = max(1.0, bar_w * seconds / longest)
        body.append(
            f'<text x="0" y="{y + 14}" font-size="11" style="fill:var(--muted)">'
            f"{escape(_short(label, 20))}</text>"
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="12" rx="2" '
            'style="fill:var(--accent)">'
            f"<title>{escape(label)}: {seconds:.2f} s</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11" style="fill:var(--fg)">'
            f"{seconds:.2f} s</text>"
        )
    return _svg(width, max(row, row * len(steps)), "Step durations in seconds", body, "steps")


# ---------------------------------------------------------------- runs per day


@dataclass(frozen=True)
class DayCount:
    day: date
    succeeded: int = 0
    failed: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.other


def runs_per_day(days: Sequence[DayCount], width: int = 1040, height: int = 220) -> SafeString:
    """Stacked bars per day: succeeded at the bottom, failed on top, the rest above."""
    left, bottom, top = 34, 22, 10
    plot_h = height - bottom - top
    peak = max((d.total for d in days), default=0) or 1
    slot = (width - left) / max(1, len(days))
    bar = max(4.0, slot * 0.68)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" '
        'style="stroke:var(--line)"/>',
        f'<text x="{left - 6}" y="{top + 8}" font-size="10" text-anchor="end" '
        f'style="fill:var(--muted)">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="10" text-anchor="end" '
        f'style="fill:var(--muted)">0</text>',
    ]
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        tip = f"{d.day:%a %d %b}: {d.succeeded} succeeded, {d.failed} failed, {d.other} other"
        for count, colour in ((d.succeeded, SUCCEEDED), (d.failed, FAILED), (d.other, OTHER)):
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f"{_paint(colour)}><title>{escape(tip)}</title></rect>"
            )
        body.append(
            f'<text x="{x + bar / 2:.1f}" y="{height - 6}" font-size="10" text-anchor="middle" '
            f'style="fill:var(--muted)">{d.day:%d}</text>'
        )
    label = "Runs per day: " + ", ".join(
        f"{d.day:%d %b} {d.succeeded} ok {d.failed} failed" for d in days
    )
    return _svg(width, height, label, body, "per-day")


# ---------------------------------------------------------------- percentage bar


def percent_bar(percent: float | None, width: int = 160) -> SafeString:
    """One horizontal bar 0 to 100 %, green from 95 %, amber from 80 %, else red."""
    if percent is None:
        return _svg(width, 14, "no data", [_bg(width)], "percent")
    colour = _percent_colour(percent)
    fill = width * max(0.0, min(100.0, percent)) / 100
    body = [_bg(width), f'<rect width="{fill:.1f}" height="14" rx="3" {_paint(colour)}/>']
    return _svg(width, 14, f"{percent:.1f} percent", body, "percent")


def _bg(width: int) -> str:
    return f'<rect width="{width}" height="14" rx="3" style="fill:var(--neutral-bg)"/>'


# ---------------------------------------------------------------- job graph


@dataclass(frozen=True)
class GraphNode:
    id: str
    state: str = "pending"
    attempts: int = 0
    depends_on: tuple[str, ...] = ()
    href: str | None = None
    note: str = ""  # e.g. "fallback for load_x"


@dataclass
class _Placed:
    node: GraphNode
    level: int
    row: float = 0.0
    children: list[str] = field(default_factory=list)


NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 168, 48, 56, 18, 14


def _levels(nodes: Sequence[GraphNode]) -> dict[str, _Placed]:
    by_id = {n.id: n for n in nodes}
    level: dict[str, int] = {}

    def depth(node_id: str, seen: frozenset[str]) -> int:
        if node_id in level:
            return level[node_id]
        deps = [d for d in by_id[node_id].depends_on if d in by_id and d not in seen]
        value = 1 + max((depth(d, seen | {node_id}) for d in deps), default=-1)
        level[node_id] = value
        return value

    placed = {n.id: _Placed(n, depth(n.id, frozenset())) for n in nodes}
    for p in placed.values():
        for dep in p.node.depends_on:
            if dep in placed:
                placed[dep].children.append(p.node.id)
    return placed


def _rows(placed: dict[str, _Placed]) -> int:
    """Orders each column by the mean row of its parents, which keeps most edges straight."""
    columns: dict[int, list[_Placed]] = {}
    for p in placed.values():
        columns.setdefault(p.level, []).append(p)
    tallest = max((len(c) for c in columns.values()), default=1)
    for lvl in sorted(columns):
        column = columns[lvl]

        def parent_mean(p: _Placed) -> float:
            rows = [placed[d].row for d in p.node.depends_on if d in placed]
            return sum(rows) / len(rows) if rows else 0.0

        column.sort(key=lambda p: (parent_mean(p), p.node.id))
        offset = (tallest - len(column)) / 2
        for i, p in enumerate(column):
            p.row = i + offset
    return tallest


def job_graph(nodes: Sequence[GraphNode]) -> SafeString:
    """A left-to-right DAG: a column per dependency depth, boxes coloured by state, arrows for
    ``dependsOn``; a node with more than one attempt says so."""
    if not nodes:
        return _svg(200, 40, "empty job graph", [], "dag")
    placed = _levels(nodes)
    tallest = _rows(placed)
    columns = 1 + max(p.level for p in placed.values())
    width = PAD * 2 + columns * NODE_W + (columns - 1) * GAP_X
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y

    def xy(p: _Placed) -> tuple[float, float]:
        return PAD + p.level * (NODE_W + GAP_X), PAD + p.row * (NODE_H + GAP_Y)

    body = [
        '<defs><marker id="dag-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" style="fill:var(--faint)"/>'
        "</marker></defs>"
    ]
    boxes = [(p.level, xy(p)[1]) for p in placed.values()]
    for p in placed.values():
        x2, top2 = xy(p)
        for dep in p.node.depends_on:
            if dep in placed:
                x1, top1 = xy(placed[dep])
                span = range(placed[dep].level + 1, p.level)
                body.append(
                    _edge(x1 + NODE_W, top1 + NODE_H / 2, x2, top2 + NODE_H / 2, span, boxes)
                )
    for p in placed.values():
        body.append(_node(p.node, *xy(p)))
    label = "Job graph: " + ", ".join(f"{n.id} {n.state}" for n in nodes)
    return _svg(width, height, label, body, "dag")


def _edge(x1, y1, x2, y2, span: range, boxes: list[tuple[int, float]]) -> str:
    """A curve between neighbouring columns; an edge that skips columns runs along a free lane
    (its source's row, its target's row, or the gap above or below the nodes) so it never
    passes behind a node it does not touch."""
    attrs = (
        'fill="none" style="stroke:var(--faint)" stroke-width="1.5" marker-end="url(#dag-arrow)"'
    )
    if not span:
        mid = (x1 + x2) / 2
        d = f"M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2 - 1:.0f},{y2:.0f}"
        return f'<path d="{d}" {attrs}/>'
    between = [top for level, top in boxes if level in span]

    def free(y: float) -> bool:
        return all(not (top - 4 <= y <= top + NODE_H + 4) for top in between)

    tops = [top for _, top in boxes]
    lanes = (y1, y2, min(tops) - GAP_Y / 2, max(tops) + NODE_H + GAP_Y / 2)
    lane = next((y for y in lanes if free(y)), lanes[-1])
    a, b, h = x1 + GAP_X / 2, x2 - GAP_X / 2, GAP_X / 2
    d = (
        f"M{x1:.0f},{y1:.0f} C{a:.0f},{y1:.0f} {a:.0f},{lane:.0f} {x1 + h:.0f},{lane:.0f} "
        f"H{x2 - h:.0f} C{b:.0f},{lane:.0f} {b:.0f},{y2:.0f} {x2 - 1:.0f},{y2:.0f}"
    )
    return f'<path d="{d}" {attrs}/>'


def _node(node: GraphNode, x: float, y: float) -> str:
    fill, stroke = STATE_COLOURS.get(node.state, STATE_COLOURS["pending"])
    text = "on-accent" if node.state == "running" else "fg"
    dash = ' stroke-dasharray="4 3"' if node.state in ("pending", "skipped") else ""
    detail = node.state
    if node.attempts > 1:
        detail += f" · attempt {node.attempts}"
    if node.note:
        detail += f" · {node.note}"
    tip = f"{node.id}: {detail}"
    shape = (
        f'<g class="dag-node state-{escape(node.state)}" data-node="{escape(node.id)}">'
        f"<title>{escape(tip)}</title>"
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="7" '
        f'{_paint(fill, stroke)} stroke-width="1.5"{dash}/>'
        f'<text x="{x + 10:.0f}" y="{y + 20:.0f}" font-size="12.5" font-weight="600" '
        f"{_paint(text)}>{escape(_short(node.id, 21))}</text>"
        f'<text x="{x + 10:.0f}" y="{y + 37:.0f}" font-size="11" {_paint(text)}>'
        f"{escape(_short(detail, 26))}</text></g>"
    )
    if node.href:
        return f'<a href="{escape(node.href)}">{shape}</a>'
    return shape


# ---------------------------------------------------------------- SLA trend


@dataclass(frozen=True)
class SlaDay:
    day: date
    met: int = 0
    missed: int = 0
    pending: int = 0
    href: str | None = None  # the runs behind the bar

    @property
    def percent(self) -> float | None:
        total = self.met + self.missed
        return 100.0 * self.met / total if total else None


def _percent_colour(percent: float) -> str:
    return SUCCEEDED if percent >= 95 else "warn" if percent >= 80 else FAILED


def sla_trend(days: Sequence[SlaDay], width: int = 1040, height: int = 200) -> SafeString:
    """One bar per day, as tall as the share of runs that met their SLA (green from 95 %, amber
    from 80 %, else red), a dashed line at 95 %; a day without a tracked run has no bar. Each
    bar links to its runs (``href``)."""
    left, bottom, top = 34, 22, 10
    plot_h = height - bottom - top
    slot = (width - left) / max(1, len(days))
    bar = max(2.0, slot * 0.7)
    base = top + plot_h
    goal = top + plot_h * 0.05
    body = [
        f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" style="stroke:var(--line)"/>',
        f'<line x1="{left}" y1="{goal:.1f}" x2="{width}" y2="{goal:.1f}" '
        'style="stroke:var(--faint)" stroke-dasharray="4 3"/>',
        f'<text x="{left - 6}" y="{top + 8}" font-size="10" text-anchor="end" '
        'style="fill:var(--muted)">100%</text>',
        f'<text x="{left - 6}" y="{base}" font-size="10" text-anchor="end" '
        'style="fill:var(--muted)">0</text>',
    ]
    step = max(1, round(len(days) / 15))
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        percent = d.percent
        if percent is None:
            tip = f"{d.day:%a %d %b}: no run with an SLA ended"
            if d.pending:
                tip += f", {d.pending} pending"
            shape = (
                f'<rect class="sla-day empty" data-day="{d.day.isoformat()}" x="{x:.1f}" '
                f'y="{base - 2}" width="{bar:.1f}" height="2" style="fill:var(--line)">'
                f"<title>{escape(tip)}</title></rect>"
            )
        else:
            h = max(2.0, plot_h * percent / 100)
            tip = f"{d.day:%a %d %b}: {percent:.1f} % met ({d.met} met, {d.missed} missed"
            tip += f", {d.pending} pending)" if d.pending else ")"
            shape = (
                f'<rect class="sla-day" data-day="{d.day.isoformat()}" x="{x:.1f}" '
                f'y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f"{_paint(_percent_colour(percent))}><title>{escape(tip)}</title></rect>"
            )
        if d.href and percent is not None:
            shape = f'<a href="{escape(d.href)}" aria-label="{escape(tip)}">{shape}</a>'
        body.append(shape)
        if i % step == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 6}" font-size="10" '
                f'text-anchor="middle" style="fill:var(--muted)">{d.day:%d %b}</text>'
            )
    tracked = [d for d in days if d.percent is not None]
    label = f"SLA compliance per day over {len(days)} days: " + (
        ", ".join(f"{d.day:%d %b} {d.percent:.0f}%" for d in tracked) or "no run with an SLA"
    )
    return _svg(width, height, label, body, "sla-trend")

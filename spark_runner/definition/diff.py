"""Plain-English differences between two versions of a definition, for reviewers.

``semantic_diff(old, new)`` compares models, not text: reordering attributes or reformatting gives
no lines; a changed mode, a dropped mask or a new dependency each give one line.
"""

from __future__ import annotations

import difflib
from dataclasses import fields

from . import model as m
from .render import attribute_value, xml_name
from .rules import step_inputs, target_label

_SKIP = {"loc", "terms", "metrics_text"}


def semantic_diff(old: m.Definition | None, new: m.Definition | None) -> list[str]:
    if old is None and new is None:
        return []
    if old is None:
        return [f"{_kind(new)} {new.id} created"]  # type: ignore[union-attr]
    if new is None:
        return [f"{_kind(old)} {old.id} deleted"]
    if type(old) is not type(new):
        return [f"{_kind(old)} {old.id} replaced by {_kind(new)} {new.id}"]
    lines: list[str] = []
    for name in ("id", "version", "layer"):
        before, after = getattr(old, name, None), getattr(new, name, None)
        if before != after:
            lines.append(f"{name} {before} → {after}")
    lines += _metadata(old.metadata, new.metadata)
    lines += _parameters(old.parameters, new.parameters)
    if isinstance(old, m.Pipeline) and isinstance(new, m.Pipeline):
        lines += _keyed("source", old.sources, new.sources, lambda s: s.id)
        lines += _masks(old, new)
        lines += _steps(old.transformations, new.transformations)
        lines += _keyed("target", old.targets, new.targets, _target_key, label=_target_name)
    elif isinstance(old, m.JobPipeline) and isinstance(new, m.JobPipeline):
        lines += _job(old, new)
    lines += _notifications(old.notifications, new.notifications)
    return lines


def _kind(definition: m.Definition) -> str:
    return "pipeline" if isinstance(definition, m.Pipeline) else "job"


def _text(value: object) -> str:
    if value is None or value == ():
        return "(none)"
    return attribute_value(value)


def _changes(old: object, new: object, skip: tuple[str, ...] = ()) -> list[str]:
    """``name before → after`` for every field that differs."""
    out = []
    for f in fields(old):  # type: ignore[arg-type]
        if f.name in _SKIP or f.name in skip:
            continue
        before, after = getattr(old, f.name), getattr(new, f.name)
        if before != after:
            out.append(f"{xml_name(f.name)} {_text(before)} → {_text(after)}")
    return out


def _metadata(old: m.Metadata, new: m.Metadata) -> list[str]:
    lines = []
    for name, label in (("owner", "owner"), ("sla", "SLA"), ("schedule", "schedule"),
                        ("description", "description")):  # fmt: skip
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        if before is None:
            lines.append(f"{label} set to {after}")
        elif after is None:
            lines.append(f"{label} {before} removed")
        elif name == "description":
            lines.append("description changed")
        else:
            lines.append(f"{label} {before} → {after}")
    return lines


def _parameters(old, new) -> list[str]:
    return _keyed("parameter", old, new, lambda p: p.name)


def _keyed(what: str, old, new, key, label=None) -> list[str]:
    label = label or key
    before = {key(x): x for x in old}
    after = {key(x): x for x in new}
    lines = [f"{what} {label(x)} removed" for k, x in before.items() if k not in after]
    lines += [f"{what} {label(x)} added" for k, x in after.items() if k not in before]
    for k, x in after.items():
        if k in before and before[k] != x:
            if type(before[k]) is not type(x):
                lines.append(f"{what} {label(x)} changed kind")
                continue
            lines += [f"{what} {label(x)}: {c}" for c in _changes(before[k], x)]
    return lines


def _target_key(target: m.Target) -> str:
    return target_label(target)


def _target_name(target: m.Target) -> str:
    return (
        target_label(target).split(" ", 2)[-1]
        if not isinstance(target, m.CsvTarget)
        else (f"csv {target.path}")
    )


def _masked(pipeline: m.Pipeline) -> dict[str, str]:
    """Masked column -> strategy."""
    found: dict[str, str] = {}
    for step in pipeline.transformations:
        if isinstance(step, m.Mask):
            for column in step.columns:
                found[column] = step.strategy
    return found


def _masks(old: m.Pipeline, new: m.Pipeline) -> list[str]:
    before, after = _masked(old), _masked(new)
    lines = [f"mask removed from column {c}" for c in before if c not in after]
    lines += [f"mask added to column {c} ({after[c]})" for c in after if c not in before]
    lines += [
        f"mask on column {c}: strategy {before[c]} → {after[c]}"
        for c in after
        if c in before and before[c] != after[c]
    ]
    return lines


def _signature(step: m.Transformation) -> tuple[str, str]:
    return step.tag, ",".join(name for _, name in step_inputs(step))


def _describe(step: m.Transformation) -> str:
    return ", ".join(f'{n}="{v}"' for n, v in _step_attributes(step))


def _step_attributes(step):
    from .render import attributes

    return attributes(step)


def _steps(old, new) -> list[str]:
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(
        a=[_signature(s) for s in old], b=[_signature(s) for s in new], autojunk=False
    )
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        pairs = []
        if op == "equal" or (op == "replace" and a2 - a1 == b2 - b1):
            pairs = list(zip(range(a1, a2), range(b1, b2), strict=True))
        else:
            lines += [f"step {i + 1} ({old[i].tag}) removed" for i in range(a1, a2)]
            lines += [
                f"step {j + 1} ({new[j].tag}) added: {_describe(new[j])}" for j in range(b1, b2)
            ]
        for i, j in pairs:
            before, after = old[i], new[j]
            if before == after:
                continue
            if type(before) is not type(after):
                lines.append(f"step {j + 1} ({before.tag}) replaced by {after.tag}")
                continue
            skip = ("columns", "strategy") if isinstance(after, m.Mask) else ()
            lines += [f"step {j + 1} ({after.tag}) {c}" for c in _changes(before, after, skip)]
    return lines


def _job(old: m.JobPipeline, new: m.JobPipeline) -> list[str]:
    before = {r.id: r for r in old.pipelines}
    after = {r.id: r for r in new.pipelines}
    lines = [f"pipeline {r} removed from the job" for r in before if r not in after]
    lines += [f"pipeline {r} added to the job" for r in after if r not in before]
    old_edges = {(r.id, d) for r in old.pipelines for d in r.depends_on}
    new_edges = {(r.id, d) for r in new.pipelines for d in r.depends_on}
    lines += [f"new dependency {a} → {b}" for a, b in sorted(new_edges - old_edges)]
    lines += [f"dependency removed {a} → {b}" for a, b in sorted(old_edges - new_edges)]
    for rid, ref in after.items():
        if rid in before:
            changes = _changes(before[rid], ref, skip=("depends_on",))
            lines += [f"pipeline {rid}: {c}" for c in changes]
    if [r.id for r in old.pipelines if r.id in after] != [
        r.id for r in new.pipelines if r.id in before
    ]:
        lines.append("pipelines reordered")
    return lines


def _notification_key(n: m.Notification) -> str:
    if isinstance(n, m.EmailNotification):
        return f"email to {','.join(n.to)} on {n.on}"
    return f"webhook {n.url} on {n.on}"


def _notifications(old, new) -> list[str]:
    return _keyed("notification", old, new, _notification_key)

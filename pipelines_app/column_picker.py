"""The columns each column field of a wizard draft may name, and the names it gets wrong.

The datasets are tracked through the steps by spark_runner/definition/columns.py from the
sources' schemas (the change request's own, then main's) or, for a source with no schema yet,
from the sample the author looked at. Rows that are not valid yet are skipped: what they would
produce is unknown, so nothing after them is checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines_app import forms as f
from pipelines_app.file_changes import Overlay
from pipelines_app.forms.transformations import parse_metrics
from spark_runner.definition import model as m
from spark_runner.definition.build import parse_condition
from spark_runner.definition.columns import check_columns, last_dataset
from spark_runner.definition.rules import did_you_mean
from spark_runner.definition.schemas import SchemaError, load_schema
from spark_runner.definition.validate import lookup_columns

# step kind -> {field: how the picker fills it}: "list" appends to a comma list, "single"
# replaces, "insert" puts the name at the cursor, "qualified" inserts dataset.column.
FIELDS = {
    "deduplicate": {"keys": "list", "order_by": "list"},
    "sort": {"order_by": "list"},
    "join": {"condition": "qualified"},
    "lookup": {"keys": "list", "output_fields": "list"},
    "merge": {"keys": "list", "order_by": "list"},
    "mask": {"columns": "list"},
    "aggregate": {"group_by": "list", "metrics": "insert", "time_column": "single"},
    "hive": {"partition_by": "list", "keys": "list"},
    "csv": {"partition_by": "list"},
    "database": {"keys": "list"},
}


@dataclass
class Picker:
    mode: str
    columns: list[tuple[str, str]]  # (name, type or "")
    datasets: str  # what the columns are of, for the label
    unknown: list[str] = field(default_factory=list)  # messages for names not among them


def _valid_model(section: str, row: dict, index: int):
    from pipelines_app.drafting.rows import row_form

    form = row_form(section, row, index)
    if not form.is_valid():
        return None
    model = form.to_model()
    if isinstance(model, m.Join):
        try:
            model = m.Join(
                model.left,
                model.right,
                model.type,
                model.condition,
                parse_condition(model.condition),
                model.output,
            )
        except Exception:  # an unreadable condition: the form's check says why
            return None
    return model


class DraftColumns:
    """The datasets of a draft before each step and after the last."""

    def __init__(self, draft: dict, files, extra_files: dict[str, bytes] | None = None):
        self.draft = draft
        self.files = Overlay(files, extra_files or {})
        basics = draft["basics"]
        self.application, self.layer = basics.get("application", ""), basics.get("layer", "")
        self._lookups: dict = {}
        sources = [_valid_model("sources", r, i) for i, r in enumerate(draft["sources"])]
        steps = [
            _valid_model("transformations", r, i) for i, r in enumerate(draft["transformations"])
        ]
        kept = [s for s in steps if s is not None]
        self._position = []  # row index -> index among the kept steps
        count = 0
        for step in steps:
            self._position.append(count)
            count += step is not None
        self.states: dict[int, dict] = {}
        pipeline = m.Pipeline(
            id="draft",
            version="1.0",
            layer=self.layer or "staging",
            sources=tuple(s for s in sources if s is not None),
            transformations=tuple(kept),
        )
        check_columns(
            pipeline,
            self._source_columns,
            self.lookup,
            lambda target: None,
            lambda loc, message: None,
            seen=lambda i, datasets: self.states.__setitem__(i, datasets),
        )
        self.last = last_dataset(pipeline)
        self.final = self.states.get(len(kept), {})

    def _source_columns(self, source) -> dict | None:
        if source.schema_ref:
            try:
                fields = load_schema(self.files, self.application, self.layer, source.schema_ref)
            except SchemaError:
                return None
            return {x.name: x.type for x in fields}
        for sampled in self.draft.get("sampled", {}).values():
            if sampled["id"] == source.id and sampled["path"] == getattr(source, "path", None):
                return dict(sampled["columns"])
        return None

    def lookup(self, reference: str) -> dict | None:
        if reference not in self._lookups:
            self._lookups[reference] = lookup_columns(self.files, reference)
        return self._lookups[reference]

    def before(self, index: int) -> dict:
        return self.states.get(self._position[index], {}) if index < len(self._position) else {}

    def picker(self, section: str, index: int, name: str) -> Picker | None:
        rows = self.draft.get(section, [])
        if index >= len(rows):
            return None
        row = rows[index]
        mode = FIELDS.get(row["kind"], {}).get(name)
        if mode is None or section not in ("transformations", "targets"):
            return None
        data = row["data"]
        if section == "targets":
            dataset = (data.get("source") or "").strip() or self.last or ""
            return self._simple(mode, self.final.get(dataset), dataset, data.get(name, ""))
        datasets = self.before(index)
        kind = row["kind"]
        if kind == "join":
            return self._join(data, datasets)
        if kind == "lookup" and name == "output_fields":
            reference = (data.get("reference") or "").strip()
            header = self.lookup(reference) if reference else None
            picker = self._simple(mode, header, f"lookup {reference}", data.get(name, ""))
            if picker is not None:
                source = datasets.get((data.get("source") or "").strip()) or {}
                picker.columns = [c for c in picker.columns if c[0] not in source]
            return picker
        if kind == "merge":
            names = f.split_list(data.get("sources", ""))
            known = [datasets.get(n) for n in names]
            if not names or any(k is None for k in known):
                return None
            union: dict = {}
            for columns in known:
                union.update(columns)
            return self._simple(mode, union, ", ".join(names), data.get(name, ""))
        dataset = (data.get("source") or "").strip()
        value = data.get(name, "")
        if name == "metrics":
            return self._metrics(datasets.get(dataset), dataset, value)
        return self._simple(mode, datasets.get(dataset), dataset, value)

    def _simple(self, mode, known, dataset, value) -> Picker | None:
        if known is None:
            return None
        picker = Picker(mode, [(c, t or "") for c, t in known.items()], dataset)
        names = [value.strip()] if mode == "single" else list(f.split_list(value))
        picker.unknown = _unknown([n for n in names if n], known, dataset)
        return picker

    def _metrics(self, known, dataset, value) -> Picker | None:
        if known is None:
            return None
        picker = Picker("insert", [(c, t or "") for c, t in known.items()], dataset)
        try:
            metrics = parse_metrics(value) if value.strip() else ()
        except Exception:  # the form says what is wrong with the text
            metrics = ()
        picker.unknown = _unknown([x.column for x in metrics if x.column], known, dataset)
        return picker

    def _join(self, data: dict, datasets: dict) -> Picker | None:
        left, right = (data.get("left") or "").strip(), (data.get("right") or "").strip()
        columns = []
        for dataset in (left, right):
            for column, type_ in (datasets.get(dataset) or {}).items():
                columns.append((f"{dataset}.{column}", type_ or ""))
        if not columns:
            return None
        picker = Picker("qualified", columns, f"{left} and {right}")
        try:
            terms = parse_condition(data.get("condition") or "")
        except Exception:
            terms = ()
        for term in terms:
            for ref in (term.left, term.right):
                known = datasets.get(ref.dataset)
                if known is not None:
                    picker.unknown += _unknown([ref.column], known, ref.dataset)
        return picker


def _unknown(names, known: dict, dataset: str) -> list[str]:
    return [
        f'Column "{name}" is not in dataset "{dataset}"{did_you_mean(name, known)}'
        for name in names
        if name not in known
    ]


def problem_count(draft: dict, step: str, columns: DraftColumns | None) -> int:
    """Problems the Review placed on ``step`` (as last checked) and unknown columns now."""
    stored = draft.get("problems", {})
    count = sum(len(v) for k, v in stored.items() if k == step or k.startswith(f"{step}:"))
    if step not in ("transformations", "targets") or columns is None:
        return count
    for index, row in enumerate(draft.get(step, [])):
        for name in FIELDS.get(row["kind"], {}):
            if f"{step}:{index}:{name}" in stored:
                continue
            picker = columns.picker(step, index, name)
            count += len(picker.unknown) if picker else 0
    return count

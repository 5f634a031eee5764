"""Turning a proposal (create/edit/delete/rename a pipeline, job or schema) into file changes, and
validating the whole application as it would be with those changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from config_repo.errors import InvalidPath
from config_repo.layout import LAYERS, definition_path, validate_name, validate_repo_path
from pipelines_app.errors import BadInput, ChangeRequestInvalid, NotFound
from pipelines_app.models import Action, Kind
from spark_runner.definition import DefinitionInvalid, Problem, parse, validate
from spark_runner.definition.schemas import SchemaError, parse_schema

MAX_FILE_BYTES = 1024 * 1024
_SCHEMA_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_SCHEMA_SUFFIXES = (".avsc", ".json")


@dataclass(frozen=True)
class Proposal:
    definition_id: str
    path: str
    old_path: str
    changes: dict[str, bytes | None]


class Overlay:
    """A FileSource: ``base`` with ``changes`` applied (None deletes a file)."""

    def __init__(self, base, changes: dict[str, bytes | None]):
        self.base = base
        self.changes = changes

    def read(self, path: str) -> bytes | None:
        if path in self.changes:
            return self.changes[path]
        return self.base.read(path)

    def list(self, prefix: str) -> list[str]:
        found = set(self.base.list(prefix))
        for path, data in self.changes.items():
            if path.startswith(prefix):
                (found.add if data is not None else found.discard)(path)
        return sorted(found)


def check_layer(layer) -> str:
    if layer not in LAYERS:
        raise BadInput(f"layer {layer!r} is not one of {', '.join(LAYERS)}")
    return layer


def check_application_name(name) -> str:
    try:
        return validate_name(name, "application")
    except InvalidPath as error:
        raise BadInput(str(error)) from None


def check_kind(kind) -> str:
    if kind not in Kind.values:
        raise BadInput(f"kind {kind!r} is not one of {', '.join(Kind.values)}")
    return kind


def check_action(action) -> str:
    if action not in Action.values:
        raise BadInput(f"action {action!r} is not one of {', '.join(Action.values)}")
    return action


def schema_path(application: str, layer: str, name) -> str:
    """``applications/<app>/<layer>/schemas/<name>``; ``name`` may have sub-folders."""
    if not isinstance(name, str) or not name:
        raise BadInput(
            "a schema change needs definition_id: the schema file name, e.g. customer.avsc"
        )
    name = name.removeprefix("schemas/")
    segments = name.split("/")
    if not all(_SCHEMA_SEGMENT.fullmatch(s) and s not in (".", "..") for s in segments):
        raise BadInput(
            f"schema file name {name!r} is not valid: use letters, digits, '_', '-', '.' and '/' "
            "between folders (no '..', no absolute paths)"
        )
    if not name.endswith(_SCHEMA_SUFFIXES):
        raise BadInput(f"schema file name {name!r} must end in .avsc or .json")
    try:
        return validate_repo_path(f"applications/{application}/{layer}/schemas/{name}")
    except InvalidPath as error:
        raise BadInput(str(error)) from None


def file_path(application: str, layer: str, kind: str, name) -> str:
    if kind == Kind.SCHEMA:
        return schema_path(application, layer, name)
    try:
        return definition_path(application, layer, kind, name)
    except InvalidPath as error:
        raise BadInput(str(error)) from None


def _content(xml) -> bytes:
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    if not isinstance(xml, bytes | bytearray) or not xml.strip():
        raise BadInput("the file content (xml) is empty")
    if len(xml) > MAX_FILE_BYTES:
        raise BadInput("the file is larger than 1 MB")
    return bytes(xml)


def parse_definition(application: str, layer: str, kind: str, data: bytes, hint: str | None):
    """Parse proposed XML; the file name in problems is where the file would go."""
    provisional = f"applications/{application}/{layer}/{'jobs' if kind == 'job' else 'pipelines'}"
    where = f"{provisional}/{hint or '(new)'}.xml"
    try:
        definition = parse(data, where)
    except DefinitionInvalid as error:
        raise ChangeRequestInvalid(error.problems) from None
    if definition.kind != kind:
        raise ChangeRequestInvalid(
            [Problem(where, 1, 1, f"this is a {definition.kind} definition, not a {kind}")]
        )
    if kind == Kind.PIPELINE and definition.layer != layer:
        raise ChangeRequestInvalid(
            [
                Problem(
                    where,
                    1,
                    1,
                    f'layer="{definition.layer}" does not match the layer {layer} it is proposed '
                    "for",
                )
            ]
        )
    return definition


def check_schema(data: bytes, path: str) -> None:
    try:
        parse_schema(data, path)
    except SchemaError as error:
        raise ChangeRequestInvalid([Problem(path, 1, 1, str(error))]) from None


def build(
    *, application: str, layer: str, kind: str, action: str, xml, definition_id, new_id, files
) -> Proposal:
    """The file changes a proposal makes against ``files`` (the base revision)."""
    check_layer(layer)
    check_kind(kind)
    check_action(action)
    if definition_id is not None and kind != Kind.SCHEMA:
        try:
            validate_name(definition_id, f"{kind} id")
        except InvalidPath as error:
            raise BadInput(str(error)) from None

    if action == Action.DELETE:
        path = file_path(application, layer, kind, definition_id)
        if files.read(path) is None:
            raise NotFound(f"there is no {kind} {definition_id!r} in {layer} on main to delete")
        return Proposal(definition_id, path, "", {path: None})

    if action == Action.RENAME:
        old_path = file_path(application, layer, kind, definition_id)
        old = files.read(old_path)
        if old is None:
            raise NotFound(f"there is no {kind} {definition_id!r} in {layer} on main to rename")
        data = _content(xml) if xml else old
        if kind == Kind.SCHEMA:
            target_id = new_id
        else:
            target_id = parse_definition(application, layer, kind, data, new_id).id
            if new_id and new_id != target_id:
                raise BadInput(f"the XML says id={target_id!r} but new_id is {new_id!r}")
        path = file_path(application, layer, kind, target_id)
        if path == old_path:
            raise BadInput("a rename needs a new id (give new_id, or change the id in the XML)")
        if files.read(path) is not None:
            raise BadInput(f"{path} already exists on main")
        if kind == Kind.SCHEMA:
            check_schema(data, path)
        return Proposal(target_id, path, old_path, {old_path: None, path: data})

    data = _content(xml)
    if kind == Kind.SCHEMA:
        path = file_path(application, layer, kind, definition_id)
        check_schema(data, path)
        target_id = path.rsplit("/schemas/", 1)[1]
    else:
        target_id = parse_definition(application, layer, kind, data, definition_id).id
        if definition_id and definition_id != target_id:
            raise BadInput(
                f"the XML says id={target_id!r}, not {definition_id!r}; to change the id, "
                "propose a rename"
            )
        path = file_path(application, layer, kind, target_id)
    exists = files.read(path) is not None
    if action == Action.CREATE and exists:
        raise BadInput(f"{path} already exists on main: propose an edit instead")
    if action == Action.EDIT and not exists:
        raise NotFound(f"{path} is not on main: propose a create instead")
    return Proposal(target_id, path, "", {path: data})


def application_definitions(files, application: str) -> list[str]:
    from config_repo.layout import parse_definition_path

    return [
        p
        for p in files.list(f"applications/{application}/")
        if parse_definition_path(p) is not None
    ]


def problems(application: str, before, changes: dict[str, bytes | None]) -> list[Problem]:
    """Problems of the whole application with ``changes`` applied to ``before``.

    Problems that ``before`` already had in files the change does not touch are not the change's
    fault and do not block it; every problem in a changed file, and every new one, does.
    """
    from pipelines_app.data_policy import policies

    after = Overlay(before, changes)
    lookup = policies()
    found = list(validate(after, application_definitions(after, application), lookup).problems)
    if not found:
        return []
    known = {
        (p.file, p.message)
        for p in validate(before, application_definitions(before, application), lookup).problems
    }
    return [p for p in found if p.file in changes or (p.file, p.message) not in known]


def check(application: str, before, changes: dict[str, bytes | None]) -> None:
    found = problems(application, before, changes)
    if found:
        raise ChangeRequestInvalid(found)

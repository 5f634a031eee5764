"""The files a wizard draft writes besides its definition: Avro schemas made from samples,
kept in the draft (``draft["files"]``, repo path -> text) until the change request is made."""

from __future__ import annotations

from spark_runner.definition.files import resolve_schema_path


def draft_repo_files(draft: dict) -> dict[str, bytes]:
    """The draft's files that a source still names as its schemaRef (repo path -> bytes)."""
    wanted = set()
    layer = draft["basics"].get("layer") or ""
    application = draft["basics"].get("application") or ""
    for row in draft.get("sources", []):
        ref = (row["data"].get("schema_ref") or "").strip()
        if ref:
            try:
                wanted.add(resolve_schema_path(application, layer, ref))
            except ValueError:
                continue
    return {p: d.encode() for p, d in draft.get("files", {}).items() if p in wanted}

"""The pipeline definition language: parse, validate, render and compare definitions.

Imports only lxml, xmlschema, croniter, isodate and the standard library (no Django, no Spark).
Reference for authors: docs/authors/pipeline-language.md.
"""

from .diff import semantic_diff
from .errors import DefinitionInvalid, Problem
from .files import DirectoryFileSource, FileSource, lookup_path, resolve_schema_path
from .parser import parse
from .render import render
from .schemas import SchemaError, SchemaField, load_schema
from .validate import Report, validate

__all__ = [
    "DefinitionInvalid",
    "DirectoryFileSource",
    "FileSource",
    "Problem",
    "Report",
    "SchemaError",
    "SchemaField",
    "load_schema",
    "lookup_path",
    "parse",
    "render",
    "resolve_schema_path",
    "semantic_diff",
    "validate",
]

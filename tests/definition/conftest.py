"""Helpers for the definition tests: a small valid pipeline to vary, and problem extraction."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spark_runner.definition.parser import parse_with_problems

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_REPO = FIXTURES / "samplerepo"
SAMPLE_PIPELINE = "applications/customer/staging/pipelines/customer_staging_load.xml"
SAMPLE_JOB = "applications/customer/service/jobs/customer_master.xml"


def pipeline_xml(
    sources: str = '<csv id="raw" path="in/*.csv"/>',
    steps: str | None = None,
    targets: str = '<hive table="staging.t"/>',
    head: str = "",
    tail: str = "",
    attrs: str = 'id="p" version="1.0" layer="staging"',
) -> bytes:
    parts = [f"<pipeline {attrs}>", head, f"<sources>{sources}</sources>"]
    if steps is not None:
        parts.append(f"<transformations>{steps}</transformations>")
    parts += [f"<targets>{targets}</targets>", tail, "</pipeline>"]
    return "\n".join(p for p in parts if p).encode()


def job_xml(
    refs: str, head: str = "", tail: str = "", attrs: str = 'id="j" version="1.0"'
) -> bytes:
    return f"<jobPipeline {attrs}>{head}<pipelines>{refs}</pipelines>{tail}</jobPipeline>".encode()


def messages(data: bytes, file: str = "p.xml") -> list[str]:
    return [p.message for p in parse_with_problems(data, file)[1]]


def one_message(data: bytes) -> str:
    found = messages(data)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def sample_repo(tmp_path) -> Path:
    """A writable copy of the §4 sample repository."""
    target = tmp_path / "repo"
    shutil.copytree(SAMPLE_REPO, target)
    return target

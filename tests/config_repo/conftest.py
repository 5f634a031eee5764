"""Fixtures for the config repository tests: real git repositories under ``tmp_path``."""

import pytest

from config_repo import Actor, ConfigRepository

ANN = Actor("Ann Author", "ann@example.org")
REX = Actor("Rex Reviewer", "rex@example.org")


@pytest.fixture
def repo(tmp_path):
    repository = ConfigRepository(tmp_path / "config").ensure()
    yield repository
    repository.close()


def propose(repo, branch, changes, message="Change", author=ANN, base="main"):
    """Create ``branch`` from ``base`` and commit ``changes`` on it; return the new head."""
    repo.create_branch(branch, base=base)
    return repo.commit(branch, changes, message, author)

"""The cast (healthchecks style): alice authors, bob and carol review, olga operates, mallory
works on another application, admin is staff. Each test gets its own git repository."""

import pytest
from rest_framework.test import APIClient

from config_repo import Actor
from pipelines_app.services import config_repository
from pipelines_app.testing import CUSTOMER_SCHEMA, make_personas

SEED = Actor(name="Seeder", email="seed@example.com")


@pytest.fixture
def cast(db):
    return make_personas("sales")


@pytest.fixture
def alice(cast):
    return cast.alice


@pytest.fixture
def bob(cast):
    return cast.bob


@pytest.fixture
def carol(cast):
    return cast.carol


@pytest.fixture
def olga(cast):
    return cast.olga


@pytest.fixture
def mallory(cast):
    return cast.mallory


@pytest.fixture
def admin(cast):
    return cast.admin


@pytest.fixture
def repo(settings):
    """The config repository, with the customer schema in every layer of "sales" on main."""
    repository = config_repository()
    seed_main(
        repository,
        {
            f"applications/sales/{layer}/schemas/customer.avsc": CUSTOMER_SCHEMA
            for layer in ("staging", "standardization", "service")
        },
    )
    return repository


def seed_main(repository, changes, message="seed"):
    """Write straight to main, as test setup (the portal never does this)."""
    return repository.commit("main", changes, message=message, author=SEED)


@pytest.fixture
def api():
    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for

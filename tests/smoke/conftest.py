"""The page smoke suite runs on SQLite too (``make test`` runs it a second time without
PostgreSQL): keep it to the Django test client and the database, no workers, no Spark."""

import pytest

from tests.smoke import world as worlds


@pytest.fixture
def world(db):
    return worlds.build()

"""The cast of tests/pipelines_app: alice authors sales, bob reviews it, mallory works elsewhere,
admin is staff."""

import pytest
from rest_framework.test import APIClient

from pipelines_app.testing import make_personas


@pytest.fixture
def cast(db):
    return make_personas("sales")


@pytest.fixture
def api():
    def client_for(user=None, **extra):
        client = APIClient(**extra)
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for

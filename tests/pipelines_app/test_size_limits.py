"""The documented 5 MB per definition is reachable through the API and the XML editor; more is
413 with the limit in words, and so is any request body over HUB_MAX_REQUEST_BYTES."""

import pytest

from pipelines_app.testing import pipeline_xml

API = "/api/v1"
MB = 1024 * 1024


def document_of(size: int) -> str:
    """A valid pipeline padded with a comment to ``size`` bytes."""
    xml = pipeline_xml().decode()
    padding = size - len(xml) - len("<!--  -->\n")
    return f"<!-- {'x' * padding} -->\n{xml}"


@pytest.fixture
def xml_editor(client, cast):
    client.force_login(cast.alice)
    key = client.get("/pipelines/new/?mode=xml")["Location"].split("/")[-3]
    return f"/pipelines/draft/{key}/xml/"


def test_a_4_mb_definition_passes_the_size_gate_of_the_api(repo, alice, api):
    xml = document_of(4 * MB)

    response = api(alice).post(
        f"{API}/validate/", {"application": "sales", "layer": "staging", "xml": xml}, format="json"
    )

    assert response.status_code == 200, response.content[:300]
    assert response.json() == {"valid": True, "errors": []}


def test_a_definition_over_5_mb_is_413_from_the_api(repo, alice, api):
    xml = document_of(5 * MB + 1000)

    for url, extra in ((f"{API}/validate/", {}), (f"{API}/change-requests/", {"title": "Big"})):
        response = api(alice).post(
            url,
            {"application": "sales", "layer": "staging", "kind": "pipeline", "xml": xml} | extra,
            format="json",
        )
        assert response.status_code == 413
        assert response.json() == {
            "error": "too_large",
            "detail": "the definition is 5.0 MB; a definition may be at most 5 MB",
        }


def test_a_4_mb_definition_passes_the_size_gate_of_the_xml_editor(repo, client, xml_editor):
    form = {"application": "sales", "layer": "staging", "action": "validate"}

    response = client.post(xml_editor, form | {"xml": document_of(4 * MB)})

    assert response.status_code == 200
    assert "✓ Valid." in response.content.decode()


def test_a_definition_over_5_mb_is_413_in_the_xml_editor(repo, client, xml_editor):
    form = {"application": "sales", "layer": "staging", "action": "validate"}

    response = client.post(xml_editor, form | {"xml": document_of(5 * MB + 1000)})

    assert response.status_code == 413
    assert "a definition may be at most 5 MB" in response.content.decode()


def test_a_body_over_the_request_limit_is_413_with_the_limit_in_words(settings, cast, client, api):
    settings.HUB_MAX_REQUEST_BYTES = 1 * MB
    body = {"application": "sales", "layer": "staging", "xml": "x" * (2 * MB)}

    answered = api(cast.alice).post(f"{API}/validate/", body, format="json")
    client.force_login(cast.alice)
    page = client.post("/pipelines/new/", body)

    assert answered.status_code == 413
    assert answered.json()["detail"] == (
        "the request is 2 MB; the portal accepts at most 1 MB per request "
        "(a definition at most 5 MB)"
    )
    assert page.status_code == 413
    assert "The request is 2 MB; the portal accepts at most 1 MB" in page.content.decode()

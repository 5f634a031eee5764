"""The XML editor page: what it opens with, what it gives the code editor (the XSD as an editor
schema, located problems), and the language docs it links to."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from pipelines_app.views.xml_editor import JOB_STARTER, PIPELINE_STARTER, _located
from spark_runner.definition import Problem, parse
from spark_runner.definition import model as m

pytestmark = pytest.mark.django_db

BROKEN = """<pipeline id="orders" version="1.0" layer="staging">
  <sources>
    <csv id="orders" path="landing/orders.csv"/>
  </sources>
  <transformations>
    <sort source="ordrs" orderBy="order_id"/>
  </transformations>
  <targets><hive table="staging.orders"/></targets>
</pipeline>
"""


def open_editor(client, query="") -> str:
    response = client.get(f"/pipelines/new/?mode=xml{query}")
    assert response.status_code == 302
    return response["Location"]


def textarea(body: str) -> str:
    return re.search(r'<textarea[^>]*name="xml"[^>]*>(.*?)</textarea>', body, re.S)[1]


def test_new_xml_opens_a_pipeline_skeleton_and_a_job_skeleton_on_request(client, cast):
    client.force_login(cast.alice)
    text = textarea(client.get(open_editor(client)).content.decode())
    assert text.lstrip().startswith("&lt;pipeline id=&quot;my_pipeline&quot;")
    assert "jobPipeline" not in text
    text = textarea(client.get(open_editor(client, "&kind=job")).content.decode())
    assert text.lstrip().startswith("&lt;jobPipeline id=&quot;my_job&quot;")
    # both skeletons are valid documents of their language
    assert isinstance(parse(PIPELINE_STARTER.encode(), "p.xml"), m.Pipeline)
    assert isinstance(parse(JOB_STARTER.encode(), "j.xml"), m.JobPipeline)


def test_the_job_form_offers_the_xml_editor_with_a_job_skeleton(client, cast):
    client.force_login(cast.alice)
    body = client.get(client.get("/pipelines/new/job/")["Location"]).content.decode()
    assert "?mode=xml&amp;kind=job" in body


def test_the_page_carries_the_editor_bundle_the_xsd_schema_and_the_docs_link(client, cast):
    client.force_login(cast.alice)
    body = client.get(open_editor(client)).content.decode()
    assert '<script src="/static/build/xml_editor.js" defer></script>' in body
    assert (Path(settings.BASE_DIR) / "static/build/xml_editor.js").stat().st_size > 100_000
    schema = json.loads(
        re.search(r'<script id="xml-schema" type="application/json">(.*?)</script>', body, re.S)[1]
    )
    names = {element["name"] for element in schema["elements"]}
    assert {"pipeline", "jobPipeline", "sort", "mask", "pipelineRef"} <= names
    assert 'href="/help/authors/pipeline-language.md"' in body
    assert "<textarea" in body and 'name="xml"' in body  # the form field, for pages without JS


def test_validation_locates_each_problem_for_the_editor_to_underline(client, cast):
    client.force_login(cast.alice)
    url = open_editor(client)
    data = {"application": "sales", "layer": "staging", "xml": BROKEN, "action": "validate"}
    body = client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert body.startswith('<div id="xml-problems"')  # only the fragment, for htmx and the editor
    located = re.findall(r'<li data-line="(\d+)" data-column="(\d+)"><code>(.*?)</code>', body)
    assert [(line, column) for line, column, _ in located] == [("6", "5")]
    assert located[0][2].startswith("6:5: sort: source dataset &quot;ordrs&quot;")
    # an unknown attribute: at the attribute itself
    data["xml"] = BROKEN.replace('inferSchema="true"', "").replace('.csv"', '.csv" pth="x"')
    body = client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    located = re.findall(r'<li data-line="(\d+)" data-column="(\d+)"><code>(.*?)</code>', body)
    assert located[0][:2] == ("3", "48") and "pth" in located[0][2]


def test_a_malformed_document_is_located_too(client, cast):
    client.force_login(cast.alice)
    url = open_editor(client)
    data = {"application": "sales", "layer": "staging", "action": "validate"}
    data["xml"] = '<pipeline id="x">\n  <sources>\n    <csv id="a"\n'
    body = client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert re.search(r'<li data-line="\d+" data-column="\d+"><code>\d+:\d+: malformed XML', body)


def test_the_language_docs_are_served_rendered(client, cast):
    client.force_login(cast.alice)
    response = client.get("/help/authors/pipeline-language.md")
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r"<h1[^>]*>The pipeline language", body)
    assert "<table>" in body


@pytest.mark.parametrize(
    "name",
    [
        "../README.md",
        "authors/../../pipelines_app/views/docs.py",
        "../portal/settings.py",
        "authors/missing.md",
        "%2e%2e/README.md",
    ],
)
def test_nothing_outside_docs_is_served(client, cast, name):
    client.force_login(cast.alice)
    assert client.get(f"/help/{name}").status_code == 404


def test_the_docs_need_a_signed_in_user(client):
    response = client.get("/help/authors/pipeline-language.md")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_problem_in_another_file_is_listed_but_not_underlined():
    here = "applications/sales/staging/pipelines/orders.xml"
    other = Problem("applications/sales/staging/schemas/orders.avsc", 3, 7, "bad schema")
    assert _located(other, here) == {"text": "3:7: bad schema", "line": None, "column": 7}
    mine = Problem(here, 6, 5, "sort: no")
    assert _located(mine, here)["line"] == 6
    unparsed = Problem("definition.xml", 4, 0, "malformed XML")
    assert _located(unparsed, "") == {"text": "4:0: malformed XML", "line": 4, "column": 1}

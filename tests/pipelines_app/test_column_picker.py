"""Column fields offer the columns of their input dataset as it stands at that step, and a
column that is not there is shown at its field with "did you mean", never above the row."""

import re

import pytest

from pipelines_app.models import Membership
from tests.pipelines_app.test_pages_wizard import BASICS, SOURCE, TARGET, post, start

pytestmark = pytest.mark.django_db


def draft(client, user, steps, target=None) -> str:
    client.force_login(user)
    key = start(client)
    post(client, key, "basics", BASICS)
    post(client, key, "sources", SOURCE)
    post(client, key, "transformations", steps, "check")
    post(client, key, "targets", target or TARGET, "check")
    return key


def columns(client, key, step, row, field, posted=None):
    data = {"step": step, "row": row, "field": field, **(posted or {})}
    return client.post(f"/pipelines/draft/{key}/data/columns/", data)


def chips(html: str) -> list[str]:
    return re.findall(r'data-column="([^"]+)"', html)


def test_columns_are_carried_through_the_steps(client, cast, repo):
    steps = {
        "r0-kind": "aggregate",
        "r0-source": "customers",
        "r0-group_by": "country",
        "r0-metrics": "count:customers",
        "r0-output": "by_country",
        "r1-kind": "sort",
        "r1-source": "by_country",
        "r1-order_by": "customers",
        "r1-direction": "desc",
    }
    key = draft(client, cast.alice, steps, {**TARGET, "r0-partition_by": "country"})
    first = columns(client, key, "transformations", 0, "group_by").content.decode()
    assert chips(first) == ["customer_id", "name", "email", "country"]
    second = columns(client, key, "transformations", 1, "order_by").content.decode()
    assert chips(second) == ["country", "customers"]  # what the aggregate made
    target = columns(client, key, "targets", 0, "partition_by").content.decode()
    assert chips(target) == ["country", "customers"]


def test_the_page_as_typed_not_as_saved_decides(client, cast, repo):
    steps = {"r0-kind": "mask", "r0-source": "customers", "r0-columns": "email"}
    steps |= {"r0-strategy": "redact"}
    key = draft(client, cast.alice, steps)
    typed = {**steps, "r0-columns": "emial"}
    html = columns(client, key, "transformations", 0, "columns", typed).content.decode()
    assert 'Column "emial" is not in dataset "customers"; did you mean "email"?' in html.replace(
        "&quot;", '"'
    )
    assert 'id="step-mark-transformations"' in html and "⚠ 1" in html


def test_a_join_condition_offers_both_sides_qualified(client, cast, repo):
    sources = {
        **SOURCE,
        "r1-kind": "csv",
        "r1-id": "others",
        "r1-path": "landing/o.csv",
        "r1-header": "on",
        "r1-delimiter": ",",
        "r1-load_policy": "onDemand",
        "r1-schema_ref": "schemas/customer.avsc",
        "r1-on_invalid_rows": "fail",
    }
    steps = {"r0-kind": "join", "r0-left": "customers", "r0-right": "others"}
    steps |= {"r0-type": "inner", "r0-condition": "customers.customer_id = others.custmer_id"}
    client.force_login(cast.alice)
    key = start(client)
    post(client, key, "basics", BASICS)
    post(client, key, "sources", sources)
    post(client, key, "transformations", steps, "check")
    html = columns(client, key, "transformations", 0, "condition").content.decode()
    assert "customers.customer_id" in chips(html) and "others.country" in chips(html)
    assert "custmer_id" in html and "did you mean" in html


def test_review_places_a_column_problem_at_its_field_without_a_line_number(client, cast, repo):
    steps = {"r0-kind": "deduplicate", "r0-source": "customers", "r0-keys": "contry"}
    steps |= {"r0-keep": "first"}
    key = draft(client, cast.alice, steps)
    review = client.get(f"/pipelines/draft/{key}/review/").content.decode()
    assert "did you mean" in review
    assert not re.search(r"\d+:\d+: deduplicate", review)
    page = client.get(f"/pipelines/draft/{key}/transformations/").content.decode()
    card = page.split('class="row-card"')[1]
    keys = card.split('data-field="keys"')[1].split('data-field="keep"')[0]
    assert "column &quot;contry&quot; is not in dataset" in keys
    assert "is not in dataset" not in card.split('class="form-grid"')[0]
    assert "step-mark" in page


def test_only_authors_see_the_columns(client, cast, repo):
    key = draft(client, cast.alice, {"r0-kind": "sort", "r0-source": "customers"})
    Membership.objects.filter(user=cast.alice, role="author").delete()
    refused = columns(client, key, "transformations", 0, "order_by")
    assert refused.status_code == 403 and "customer_id" not in refused.content.decode()

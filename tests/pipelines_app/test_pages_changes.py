"""Change request pages and the review queue, for every role."""

import pytest

from pipelines_app import services
from pipelines_app.models import ChangeRequest
from pipelines_app.testing import pipeline_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def change(cast, repo):
    return services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="service",
        kind="pipeline",
        xml=pipeline_xml("customer_export", layer="service", mask=False),
        title="Export customers",
        description="For the CRM.",
    )


def page_of(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_the_change_page_shows_diff_semantic_diff_and_governance(client, cast, change):
    response = page_of(client, cast.bob, f"/changes/{change.number}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Export customers" in body and "In review" in body and change.branch in body
    assert '<span class="add">+&lt;pipeline id=&quot;customer_export&quot;' in body
    assert "email" in body and "badge error" in body  # unmasked personal data: high
    assert "Override reason" in body and "Approve" in body


def test_the_author_sees_no_review_buttons_and_cannot_approve_by_post(client, cast, change):
    body = page_of(client, cast.alice, f"/changes/{change.number}/").content.decode()
    assert "formaction" not in body and "cannot approve your own change" in body
    assert "Withdraw" in body and "Update" in body
    response = client.post(f"/changes/{change.number}/review/approve/", {"comment": "me"})
    assert response.status_code == 403
    assert "Four eyes" in response.content.decode()
    change.refresh_from_db()
    assert change.status == "in_review"


@pytest.mark.parametrize("who", ["mallory", "olga"])
def test_others_cannot_review(client, cast, change, who):
    user = getattr(cast, who)
    client.force_login(user)
    response = client.post(f"/changes/{change.number}/review/approve/", {"override_reason": "x"})
    assert response.status_code == (404 if who == "mallory" else 403)
    assert ChangeRequest.objects.get().status == "in_review"


def test_an_outsider_does_not_see_the_change_at_all(client, cast, change):
    assert page_of(client, cast.mallory, f"/changes/{change.number}/").status_code == 404
    assert page_of(client, cast.mallory, "/changes/99999/").status_code == 404
    assert "Export customers" not in page_of(client, cast.mallory, "/changes/").content.decode()


def test_approval_blocked_by_findings_asks_for_a_reason_then_merges(client, cast, change):
    client.force_login(cast.bob)
    read = {"head_commit": change.head_commit}
    response = client.post(f"/changes/{change.number}/review/approve/", read, follow=True)
    assert "Not approved" in response.content.decode()
    response = client.post(
        f"/changes/{change.number}/review/approve/",
        {"comment": "fine", "override_reason": "CRM needs the email"} | read,
        follow=True,
    )
    assert "merged into main" in response.content.decode()
    assert ChangeRequest.objects.get().status == "merged"


def test_request_changes_needs_a_comment(client, cast, change):
    client.force_login(cast.bob)
    read = {"head_commit": change.head_commit}
    url = f"/changes/{change.number}/review/request-changes/"
    response = client.post(url, read, follow=True)
    assert "a comment is required" in response.content.decode()
    client.post(url, {"comment": "mask email"} | read)
    assert ChangeRequest.objects.get().status == "changes_requested"


def test_a_comment_posted_with_htmx_returns_the_conversation(client, cast, change):
    client.force_login(cast.carol)
    response = client.post(
        f"/changes/{change.number}/comment/", {"body": "Looks good"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="panel" id="conversation">')
    assert "Looks good" in body and "carol" in body
    response = client.post(
        f"/changes/{change.number}/comment/", {"body": ""}, headers={"HX-Request": "true"}
    )
    assert "Write a comment first" in response.content.decode()


def test_the_author_withdraws_and_a_reviewer_cannot(client, cast, change):
    client.force_login(cast.bob)
    assert client.post(f"/changes/{change.number}/author/withdraw/").status_code == 403
    client.force_login(cast.alice)
    client.post(f"/changes/{change.number}/author/withdraw/")
    assert ChangeRequest.objects.get().status == "withdrawn"


def test_update_opens_the_wizard_on_the_branch_version(client, cast, change):
    client.force_login(cast.alice)
    response = client.get(f"/changes/{change.number}/update/")
    assert response.status_code == 302 and response["Location"].endswith("/basics/")
    body = client.get(response["Location"]).content.decode()
    assert 'value="customer_export"' in body and "Update change request" in body
    client.force_login(cast.bob)
    assert client.get(f"/changes/{change.number}/update/").status_code == 403


def test_the_change_list_filters(client, cast, change):
    client.force_login(cast.bob)
    assert "Export customers" in client.get("/changes/").content.decode()
    assert "Export customers" not in client.get("/changes/?status=merged").content.decode()
    assert "Export customers" not in client.get("/changes/?mine=on").content.decode()
    assert client.get("/changes/?status=bogus&application=<x>&page=zz").status_code == 200


def test_the_review_queue_shows_the_change_to_reviewers_only(client, cast, change):
    body = page_of(client, cast.bob, "/reviews/").content.decode()
    assert "Export customers" in body and "alice" in body and "finding" in body
    body = page_of(client, cast.alice, "/reviews/").content.decode()
    assert "Nothing to review" in body
    body = page_of(client, cast.mallory, "/reviews/").content.decode()
    assert "Nothing to review" in body


def test_bad_addresses_are_404_not_500(client, cast, change):
    client.force_login(cast.bob)
    assert client.get(f"/changes/{change.number}/review/approve/").status_code == 405
    assert client.post(f"/changes/{change.number}/review/merge-now/").status_code == 404
    assert client.post(f"/changes/{change.number}/author/explode/").status_code == 404


def test_a_conflicting_change_offers_its_author_a_rebase(client, cast, repo):
    # given: two changes create the same file; the first is merged
    first, second = (
        services.change_request_create(
            author=cast.alice,
            application="sales",
            layer="staging",
            kind="pipeline",
            xml=pipeline_xml(mode=mode),
            title=f"Load ({mode})",
        )
        for mode in ("append", "overwrite")
    )
    services.change_request_approve(change_request=first, reviewer=cast.bob)
    client.force_login(cast.carol)
    client.post(f"/changes/{second.number}/review/approve/", {"head_commit": second.head_commit})
    second.refresh_from_db()
    assert second.status == "needs_rebase"
    # when
    client.force_login(cast.alice)
    body = client.get(f"/changes/{second.number}/").content.decode()
    # then
    assert "Rebase on main" in body and "customer_load.xml" in body
    client.post(f"/changes/{second.number}/author/rebase/")
    second.refresh_from_db()
    assert second.status == "in_review"


def test_an_update_through_the_wizard_adds_a_commit_to_the_same_change(client, cast, change):
    # given
    client.force_login(cast.alice)
    key = client.get(f"/changes/{change.number}/update/")["Location"].split("/")[-3]
    old_head = change.head_commit
    # when: the author adds a mask step and resubmits
    steps = {
        "r0-kind": "mask",
        "r0-source": "customers",
        "r0-columns": "email",
        "r0-strategy": "redact",
    }
    client.post(f"/pipelines/draft/{key}/transformations/", {**steps, "action": "next"})
    response = client.post(
        f"/pipelines/draft/{key}/review/", {"title": "Export customers", "action": "submit"}
    )
    # then
    assert response.status_code == 302 and response["Location"] == f"/changes/{change.number}/"
    change.refresh_from_db()
    assert change.head_commit != old_head and ChangeRequest.objects.count() == 1


def test_a_review_without_the_version_read_is_400_and_decides_nothing(client, cast, change):
    client.force_login(cast.bob)

    response = client.post(f"/changes/{change.number}/review/reject/", {"comment": "no"})

    assert response.status_code == 400
    assert ChangeRequest.objects.get().status == "in_review"


def test_a_review_of_a_version_that_moved_says_so_and_links_the_new_head(client, cast, change):
    # given: bob has the page open; alice updates the change
    client.force_login(cast.bob)
    assert change.head_commit in client.get(f"/changes/{change.number}/").content.decode()
    read = change.head_commit
    services.change_request_update(
        change_request=change,
        author=cast.alice,
        xml=pipeline_xml("customer_export", layer="service", mask=True),
    )
    change.refresh_from_db()

    # when
    response = client.post(
        f"/changes/{change.number}/review/request-changes/",
        {"comment": "rename it", "head_commit": read},
    )

    # then
    body = response.content.decode()
    assert response.status_code == 409
    assert "this change moved since you opened it" in body
    assert f'href="/changes/{change.number}/#files"' in body and change.head_commit[:8] in body
    assert f'name="head_commit" value="{change.head_commit}"' in body
    assert "rename it" in body
    assert ChangeRequest.objects.get().status == "in_review"

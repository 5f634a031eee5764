"""A reviewer talks to the author on the change page (htmx comments) and sends it back."""

import pytest

from pipelines_app import services
from pipelines_app.services import config_repository
from pipelines_app.testing import CUSTOMER_SCHEMA, PASSWORD, make_personas, pipeline_xml

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def change(settings):
    from config_repo import Actor

    cast = make_personas("sales")
    config_repository().commit(
        "main",
        {"applications/sales/staging/schemas/customer.avsc": CUSTOMER_SCHEMA},
        message="seed",
        author=Actor(name="Seeder", email="seed@example.com"),
    )
    return services.change_request_create(
        author=cast.alice,
        application="sales",
        layer="staging",
        kind="pipeline",
        xml=pipeline_xml(),
        title="Customer load",
    )


def test_a_reviewer_comments_and_requests_changes(page, login, change):
    # given
    login("bob", PASSWORD)
    page.goto(f"/changes/{change.number}/")
    # when: a comment, posted without reloading the page
    page.fill("textarea[name=body]", "Why append and not merge?")
    page.get_by_role("button", name="Comment").click()
    # then
    page.locator("#conversation li.comment").filter(has_text="Why append").wait_for()
    assert page.locator("textarea[name=body]").input_value() == ""
    # when: changes requested with a comment
    page.fill("textarea[name=comment]", "Use mode merge with keys.")
    page.get_by_role("button", name="Request changes").click()
    # then
    page.get_by_text("sent back for changes").wait_for()
    assert page.locator("h1 .badge").inner_text() == "Changes requested"
    assert "Use mode merge with keys." in page.locator("#conversation").inner_text()
    page.goto("/reviews/")
    assert page.get_by_text("Nothing to review").is_visible()


def test_an_approval_of_a_version_that_moved_is_refused_with_a_link_to_the_new_head(
    page, login, change
):
    # given: bob opens the change; then alice updates it
    login("bob", PASSWORD)
    page.goto(f"/changes/{change.number}/")
    read = change.head_commit
    services.change_request_update(
        change_request=change, author=change.author, xml=pipeline_xml(mode="overwrite")
    )
    change.refresh_from_db()
    assert change.head_commit != read
    # when: he approves what he read
    page.fill("textarea[name=comment]", "Looks right.")
    page.get_by_role("button", name="Approve").click()
    # then: nothing decided, the page says so, his comment is kept, and links the new head
    notice = page.locator("#moved")
    notice.wait_for()
    assert "this change moved since you opened it" in notice.inner_text()
    assert change.head_commit[:8] in notice.inner_text()
    assert page.locator("textarea[name=comment]").input_value() == "Looks right."
    change.refresh_from_db()
    assert change.status == "in_review" and not change.reviews.exists()
    # when: he follows the link, reads the new version and approves it
    page.locator("#moved-link").click()
    page.wait_for_url(f"**/changes/{change.number}/#files")
    assert page.locator("#moved").count() == 0
    page.get_by_role("button", name="Approve").click()
    # then
    page.get_by_text("merged into main").wait_for()
    change.refresh_from_db()
    assert change.status == "merged"

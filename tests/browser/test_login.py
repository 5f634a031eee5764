import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_signs_in_and_sees_the_navigation(page, login):
    # given
    get_user_model().objects.create_user("ada", password="correct-horse-battery")
    # when
    login("ada")
    # then
    assert page.locator("h1").inner_text() == "Welcome, ada"
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_a_wrong_password_says_so_and_stays_on_the_form(page):
    get_user_model().objects.create_user("ada", password="correct-horse-battery")
    page.goto("/login/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert "didn't match" in page.locator(".error").inner_text()

"""Issue 10, defect 9: a name pasted longer than 63 characters is kept whole and the user is
told, instead of the browser's maxlength cutting it without a word."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_long_pasted_name_is_counted_and_refused_with_a_message(sign_in, demo):
    page = sign_in("exchange")
    page.goto(f"{demo.url}/resource-groups/create/")
    name = page.locator('input[name="name"]')
    counter = page.get_by_test_id("name-counter")
    expect(counter).to_have_text("0/63 characters")
    long_name = "contoso-" + "x" * 62  # 70 characters
    name.fill(long_name)
    expect(name).to_have_value(long_name)
    expect(counter).to_contain_text("70/63 characters: 7 too many")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("The name must be 1 to 63 characters long").first).to_be_visible()
    expect(name).to_have_value(long_name)  # every typed value is shown again
    name.fill("contoso-ok")
    expect(page.get_by_test_id("name-counter")).to_have_text("10/63 characters")

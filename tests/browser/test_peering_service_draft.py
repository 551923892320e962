"""Create a peering service connection keeps a server-side draft in Chromium: what was typed is
still there after a reload and after signing out, and Discard draft asks before it forgets."""

import pytest
from playwright.sync_api import Page, expect

from peering.management.commands.seed_demo import DEMO_PASSWORD
from tests.browser.test_peering_service import _swap, field

pytestmark = pytest.mark.browser


def _open_create(page: Page, url: str) -> None:
    page.goto(f"{url}/peering-services/create/")
    expect(page.get_by_test_id("ps-create")).to_be_visible()


def test_draft_survives_reload_and_discard_asks_first(page: Page, demo, sign_in, sign_out):
    sign_in("customer")
    _open_create(page, demo.url)

    # Basics, then Configuration: each move saves the draft.
    with _swap(page):
        page.get_by_label(field("Resource group")).select_option("fabrikam-network")
    page.get_by_label(field("Name")).fill("fabrikam-draft")
    with _swap(page):
        page.get_by_test_id("next").click()
    expect(page.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    with _swap(page):
        page.get_by_label(field("Country")).select_option("United States")
    page.get_by_label(field("State/Province")).select_option("Washington")
    with _swap(page):
        page.get_by_test_id("next").click()
    page.get_by_label("Name (row 1)").fill("web")
    page.get_by_label("Prefix (row 1)").fill("45.80.10.0/24")
    with _swap(page):
        page.get_by_role("tab", name="Basics").click()

    # Reload: the same tab, every value.
    page.reload()
    expect(page.get_by_role("tab", name="Basics")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label(field("Name"))).to_have_value("fabrikam-draft")
    expect(page.get_by_label(field("Resource group"))).to_have_value("fabrikam-network")

    # Sign out and in again: still there.
    page.goto(f"{demo.url}/")
    sign_out()
    sign_in("customer")
    _open_create(page, demo.url)
    expect(page.get_by_label(field("Name"))).to_have_value("fabrikam-draft")
    with _swap(page):
        page.get_by_role("tab", name="Configuration").click()
    expect(page.get_by_label(field("State/Province"))).to_have_value("Washington")
    with _swap(page):
        page.get_by_role("tab", name="Prefixes").click()
    expect(page.get_by_label("Prefix (row 1)")).to_have_value("45.80.10.0/24")

    # Discard asks: declining keeps everything.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Discard draft").click()
    expect(page.get_by_label("Prefix (row 1)")).to_have_value("45.80.10.0/24")
    page.reload()
    expect(page.get_by_label("Prefix (row 1)")).to_have_value("45.80.10.0/24")

    # Accepting forgets it: a new wizard starts empty.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Discard draft").click()
    expect(page).to_have_url(f"{demo.url}/peering-services/")
    _open_create(page, demo.url)
    expect(page.get_by_role("tab", name="Basics")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label(field("Name"))).to_have_value("")


def test_discard_without_javascript_asks_on_a_page(browser, demo):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{demo.url}/accounts/login/")
    page.get_by_label("Username").fill("customer")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _open_create(page, demo.url)
    page.get_by_label(field("Name")).fill("no-js-draft")
    page.get_by_test_id("next").click()
    expect(page.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    page.get_by_role("button", name="Discard draft").click()
    expect(page.get_by_test_id("discard-confirm")).to_be_visible()
    page.get_by_role("link", name="Keep the draft").click()
    page.get_by_role("tab", name="Basics").click()
    expect(page.get_by_label(field("Name"))).to_have_value("no-js-draft")
    page.get_by_role("button", name="Discard draft").click()
    page.get_by_test_id("confirm-discard").click()
    expect(page).to_have_url(f"{demo.url}/peering-services/")
    _open_create(page, demo.url)
    expect(page.get_by_label(field("Name"))).to_have_value("")
    context.close()

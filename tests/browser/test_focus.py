"""Focus after every step (issue 12, item 1): in both wizards and in the connection dialog the
focus lands on the new tab's heading, or on an error summary listing each bad field with a
link to it, never on <body>; a keyboard user's next Tab reaches the tab's first field."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import _violations
from tests.browser.test_wizard import (
    add_route_server_connection,
    fill_basics,
    fill_ipv4_session,
    fill_route_server_configuration,
    start_wizard,
)

pytestmark = pytest.mark.browser

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "body";
  return el.getAttribute("data-testid") || el.id || el.tagName;
}"""


def focused(page: Page) -> str:
    return page.evaluate(FOCUSED)


def expect_focus(page: Page, wanted: str) -> None:
    page.wait_for_function(f"() => ({FOCUSED})() === {wanted!r}", timeout=15_000)


def test_create_a_peering_focus_after_every_step(sign_in, demo):
    page = sign_in("exchange")
    start_wizard(page, demo.url)
    expect_focus(page, "tab-heading")
    expect(page.get_by_test_id("tab-heading")).to_have_text("Basics")

    # Next with nothing filled in: the error summary, each bad field a link to it.
    page.get_by_role("button", name="Next: Configuration >").click()
    expect_focus(page, "tab-errors")
    assert _violations(page) == []  # axe-core: the summary and the marked fields
    summary = page.get_by_test_id("tab-errors")
    name_link = summary.get_by_role("link", name="Name", exact=True)
    expect(name_link).to_be_visible()
    # Focus order: summary → its first link → … ; a link moves the focus to its field.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('[data-error-summary]') !== null")
    name_link.click()
    expect(page.locator("#id_name")).to_be_focused()

    fill_basics(page, "contoso-ix-focus")
    page.get_by_role("button", name="Next: Configuration >").click()
    expect(page.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    expect_focus(page, "tab-heading")
    expect(page.get_by_test_id("tab-heading")).to_have_text("Configuration")
    page.keyboard.press("Tab")
    # The next stop is the tab's first field (Peering type), not the page's header.
    assert page.evaluate("() => document.activeElement.name") == "peering_type"

    fill_route_server_configuration(page)
    # The connection dialog: its heading first; a bad row focuses the summary of all errors.
    page.get_by_role("button", name="Create new").click()
    dialog = page.locator("#connection-dialog")
    expect(dialog).to_be_visible()
    expect_focus(page, "connection-form-title")
    fill_ipv4_session(dialog, "hello", "world", "1.2.3")
    dialog.get_by_role("button", name="OK").click()
    expect_focus(page, "connection-errors")
    errors = dialog.get_by_test_id("connection-errors").get_by_test_id("summary-error")
    expect(errors).to_have_count(3)
    assert _violations(page) == []
    for name in ("Session IPv4 prefix", "Peer session IPv4 address"):
        expect(dialog.get_by_test_id("connection-errors")).to_contain_text(name)
    expect(dialog.locator("[data-testid^=error-]")).to_have_count(3)
    dialog.get_by_test_id("connection-errors").get_by_role(
        "link", name="Microsoft session IPv4 address"
    ).click()
    expect(dialog.get_by_label("Microsoft session IPv4 address")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect_focus(page, "create-connection")  # back to the control that opened it

    # Forward with no connection: the summary links to the grid's Create new.
    page.get_by_role("button", name="Next: Review + create >").click()
    expect_focus(page, "tab-errors")
    expect(page.get_by_test_id("tab-errors")).to_contain_text("Peering connections")

    # Review + create (opened directly, as without JavaScript): its summary takes the focus.
    page.goto(f"{demo.url}/peerings/create/review/")
    expect_focus(page, "validation-failed")

    # Editing a row: the grid is re-rendered while the dialog is open; the focus goes back to
    # the row's Edit button, not to <body>.
    page.goto(f"{demo.url}/peerings/create/configuration/")
    add_route_server_connection(page)
    page.get_by_role("button", name="Edit connection 1").click()
    expect(dialog).to_be_visible()
    expect_focus(page, "connection-form-title")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()
    expect_focus(page, "edit-connection-0")


def test_create_peering_service_focus_after_every_step(sign_in, demo):
    page = sign_in("customer")
    page.goto(f"{demo.url}/peering-services/create/")
    expect_focus(page, "tab-heading")
    page.get_by_test_id("next").click()
    expect(page.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    expect_focus(page, "tab-heading")
    expect(page.get_by_test_id("tab-heading")).to_have_text("Configuration")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "country"

    # Review + create with everything missing: the summary, then back to a tab with errors.
    page.get_by_test_id("review-create").click()
    expect_focus(page, "validation-failed")
    page.get_by_role("tab", name=re.compile("^Basics")).click()
    expect_focus(page, "tab-errors")
    summary = page.get_by_test_id("tab-errors")
    summary.get_by_role("link", name="Name", exact=True).click()
    expect(page.get_by_label(re.compile(r"^Name( \*)?$"))).to_be_focused()

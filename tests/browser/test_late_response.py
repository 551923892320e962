"""No late response overwrites what the user typed since (issue 12, item 3). The response to a
field's change is held back (Playwright intercepts it) while the user types and chooses
more; once it arrives, every later value is still there."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_wizard import field, start_wizard

pytestmark = pytest.mark.browser


def hold_refreshes(page: Page, path: str, marker: str) -> list:
    """Hold every POST to `path` whose body contains `marker`: the server answers at once,
    the browser gets the answer only when the test releases it."""
    held = []

    def handler(route):
        request = route.request
        if request.method == "POST" and marker in (request.post_data or ""):
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(re.compile(re.escape(path) + r"$"), handler)
    return held


def wait_until_held(page: Page, held: list) -> None:
    for _ in range(200):
        if held:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the refresh was never sent")


def release(page: Page, held: list) -> None:
    page.evaluate(
        """() => {
            window.__swapped = false;
            document.body.addEventListener(
                "htmx:afterSettle", () => { window.__swapped = true; }, { once: true }
            );
        }"""
    )
    for route, response in held:
        route.fulfill(response=response)
    held.clear()
    page.wait_for_function("() => window.__swapped === true", timeout=20_000)


def test_create_a_peering_basics_keeps_what_was_typed_during_a_refresh(sign_in, demo):
    page = sign_in("exchange")
    start_wizard(page, demo.url)
    held = hold_refreshes(page, "/peerings/create/basics/", "action=update")

    # A new resource group: its refresh (the region part) is on its way…
    page.get_by_label(field("or Create new")).fill("rg-late")
    page.get_by_label(field("or Create new")).press("Tab")
    wait_until_held(page, held)
    # …while the user types a Name and chooses a Region.
    page.get_by_label(field("Name")).fill("contoso-ix-late")
    page.get_by_label(field("Region")).select_option(index=2)
    chosen = page.get_by_label(field("Region")).input_value()
    assert chosen

    release(page, held)
    expect(page.get_by_label(field("Region"))).to_have_value(chosen)
    expect(page.get_by_label(field("Name"))).to_have_value("contoso-ix-late")
    expect(page.get_by_label(field("or Create new"))).to_have_value("rg-late")


def test_peering_service_basics_keeps_what_was_typed_during_a_refresh(sign_in, demo):
    page = sign_in("customer")
    page.goto(f"{demo.url}/peering-services/create/")
    held = hold_refreshes(page, "/peering-services/create/", "goto=basics")

    page.get_by_label(field("Resource group")).select_option("fabrikam-network")
    wait_until_held(page, held)
    page.get_by_label(field("Name")).fill("fabrikam-late")

    release(page, held)
    # The group's region is fixed now (the response applied), and the Name typed meanwhile stays.
    expect(page.locator("#ps-region-fixed")).to_have_value(re.compile("East US"))
    expect(page.get_by_label(field("Name"))).to_have_value("fabrikam-late")

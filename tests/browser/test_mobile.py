"""Issue 12 item 8: at 390 px (a phone) no page scrolls sideways; wide tables scroll inside
their own box instead."""

import pytest

from tests.browser.pages import USER, main_pages

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_no_main_page_scrolls_sideways_at_390_px(page, sign_in, demo):
    pages = main_pages()
    page.set_viewport_size(PHONE)
    sign_in(USER)
    widths = {}
    for name, path in pages.items():
        page.goto(f"{demo.url}{path}")
        page.wait_for_load_state("load")
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
    assert {name: w for name, w in widths.items() if w > PHONE["width"]} == {}


def test_a_wide_table_scrolls_inside_its_box(page, sign_in, demo):
    pages = main_pages()
    page.set_viewport_size(PHONE)
    sign_in(USER)
    page.goto(f"{demo.url}{pages['overview']}")
    box = page.locator(".table-responsive", has=page.get_by_test_id("connections-table"))
    overflow = box.evaluate(
        "el => [el.scrollWidth, el.clientWidth, getComputedStyle(el).overflowX]"
    )
    scroll_width, client_width, overflow_x = overflow
    assert scroll_width > client_width  # the table is wider than the phone…
    assert overflow_x == "auto"  # …and scrolls in its box
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

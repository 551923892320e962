"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

The live server runs in a thread of this process; Playwright's sync API runs an event loop in
the test thread, which makes Django's async-safety check misfire — hence the flag below.
No test reaches the internet: Chromium's background networking is switched off.
"""

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The live server shares this process and, in CI, a busy 2-core machine: give assertions
# more than Playwright's default 5 s before calling a page wrong.
expect.set_options(timeout=15_000)
DEMO_PASSWORD = "peering-demo"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run 'apt-get install chromium'.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def demo(live_server, transactional_db):
    """The demo world of `seed_demo`, served by the live server."""
    call_command("seed_demo", verbosity=0)
    return live_server


@pytest.fixture
def sign_in(page, demo):
    """Sign in as one of the demo users; returns the page."""

    def _sign_in(username: str):
        page.goto(f"{demo.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{demo.url}/")
        return page

    return _sign_in


@pytest.fixture
def sign_out(page, demo):
    def _sign_out():
        page.locator(".user-menu summary").click()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url("**/accounts/login/**")

    return _sign_out

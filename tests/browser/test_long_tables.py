"""Long tables filter, sort and page on the server with the filter in the URL (issue 12,
item 10): with htmx the results swap in place and the address follows, so it can be shared;
the same URL opened without JavaScript shows the same rows."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from peering.management.commands.seed_demo import PEERING_NAME
from peering.models import Peering, ReceivedRoute
from portal.models import ActivityLog, ActivityStatus

pytestmark = pytest.mark.browser


def _routes(peering: Peering) -> None:
    connection = peering.connections.order_by("id").first()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(1, 8):
        ReceivedRoute.objects.create(
            connection=connection,
            prefix=f"45.62.{n}.0/24",
            next_hop=connection.peer_session_ipv4_address,
            as_path=f"59999 {64500 + n}",
            origin_as=64500 + n,
            communities=[],
            received_at=start + timedelta(minutes=n),
        )


def _signed_in_without_javascript(context, demo, url: str):
    """A page of `context` (JavaScript off) signed in as the demo's exchange user, at `url`."""
    other = context.new_page()
    other.goto(f"{demo.url}/accounts/login/")
    other.get_by_label("Username").fill("exchange")
    other.get_by_label("Password").fill("peering-demo")
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url(f"{demo.url}/")
    other.goto(url)
    return other


def _prefixes(page) -> list[str]:
    return page.get_by_test_id("route-row").locator("th code").all_inner_texts()


def test_received_routes_filter_sort_and_share(page, browser, sign_in, demo):
    peering = Peering.objects.get(name=PEERING_NAME)
    _routes(peering)
    args = [peering.subscription_id, peering.resource_group.name, peering.name]
    sign_in("exchange")
    page.goto(f"{demo.url}{reverse('registered:routes', args=args)}")
    page.get_by_label("Prefix", exact=True).fill("45.62.")
    expect(page).to_have_url(re.compile(r"prefix=45\.62\."))
    expect(page.get_by_test_id("route-row")).to_have_count(7)

    page.get_by_role("link", name="Origin AS").click()
    expect(page).to_have_url(re.compile(r"sort=origin_as"))
    header = page.locator("th", has=page.get_by_role("link", name=re.compile("^Origin AS")))
    expect(header).to_have_attribute("aria-sort", "ascending")
    header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page).to_have_url(re.compile(r"sort=-origin_as"))
    expect(page.get_by_test_id("route-row").first).to_contain_text("45.62.7.0/24")
    shown = _prefixes(page)
    assert shown == [f"45.62.{n}.0/24" for n in range(7, 0, -1)]
    # Another filter keeps the sort.
    page.get_by_label("AS path contains").fill("59999")
    expect(page).to_have_url(
        re.compile(r"as_path=59999.*sort=-origin_as|sort=-origin_as.*as_path=59999")
    )
    expect(header).to_have_attribute("aria-sort", "descending")
    assert _prefixes(page) == shown
    shared = page.url

    # The shared address, opened without JavaScript, shows the same rows in the same order.
    plain = browser.new_context(java_script_enabled=False)
    other = _signed_in_without_javascript(plain, demo, shared)
    assert _prefixes(other) == shown
    expect(other.get_by_label("Prefix", exact=True)).to_have_value("45.62.")
    plain.close()


def _activity(peering: Peering) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n, caller in enumerate(("ana@contoso", "ben@contoso", "ana@contoso"), start=1):
        entry = ActivityLog.objects.create(
            subscription=peering.subscription,
            caller=caller,
            operation=f"Microsoft.Peering/peerings/step{n}/write",
            operation_display=f"Step {n}",
            resource_id=peering.resource_id,
            status=ActivityStatus.SUCCEEDED,
        )
        ActivityLog.objects.filter(pk=entry.pk).update(timestamp=start + timedelta(minutes=n))


def _operations(page) -> list[str]:
    return page.get_by_test_id("activity-row").locator(".operation-name").all_inner_texts()


def test_peering_activity_filter_sort_and_share(page, browser, sign_in, demo):
    """A peering's Activity log blade: the caller filter and the sort swap the results in
    place, the address keeps both, and without JavaScript it shows the same rows."""
    peering = Peering.objects.get(name=PEERING_NAME)
    _activity(peering)
    args = [peering.subscription_id, peering.resource_group.name, peering.name]
    sign_in("exchange")
    page.goto(f"{demo.url}{reverse('peering:peering_activity', args=args)}")
    page.get_by_label("Operation, status or caller").fill("ana@contoso")
    expect(page).to_have_url(re.compile(r"q=ana%40contoso"))
    expect(page.get_by_test_id("activity-row")).to_have_count(2)
    newest_first = [
        "Microsoft.Peering/peerings/step3/write",
        "Microsoft.Peering/peerings/step1/write",
    ]
    assert _operations(page) == newest_first

    header = page.locator("th", has=page.get_by_role("link", name=re.compile("^Time")))
    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=time"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_test_id("activity-row").first).to_contain_text("step1")
    assert _operations(page) == newest_first[::-1]
    # A new filter keeps the sort.
    page.get_by_label("Operation, status or caller").fill("contoso")
    expect(page.get_by_test_id("activity-row")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"q=contoso.*sort=time|sort=time.*q=contoso"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    shown = _operations(page)
    assert shown == [f"Microsoft.Peering/peerings/step{n}/write" for n in (1, 2, 3)]
    shared = page.url

    plain = browser.new_context(java_script_enabled=False)
    other = _signed_in_without_javascript(plain, demo, shared)
    assert _operations(other) == shown
    expect(other.get_by_label("Operation, status or caller")).to_have_value("contoso")
    plain.close()

"""Registered ASNs in Chromium: the exchange provider registers a customer ASN on its
route-server peering and copies the prefix key to hand it to the customer."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from peering.enums import ConnectionState, DirectPeeringType
from peering.models import PeerAsn, Peering, PeeringLocation
from portal.models import ResourceGroup, Subscription
from tests import factories

pytestmark = pytest.mark.browser

PEERING_NAME = "contoso-ix-seattle"


def route_server_peering() -> Peering:
    """Contoso IX's Active route-server peering from `seed_demo`; made here while the demo
    does not have it yet."""
    peering = Peering.objects.filter(name=PEERING_NAME).select_related("resource_group").first()
    if peering is not None:
        return peering
    subscription = Subscription.objects.get(display_name="Contoso IX")
    group = ResourceGroup.objects.filter(subscription=subscription).first()
    location = PeeringLocation.objects.filter(name__iexact="Seattle").first()
    peering = factories.PeeringFactory(
        subscription=subscription,
        resource_group=group,
        name=PEERING_NAME,
        direct_peering_type=DirectPeeringType.IX_RS,
        peer_asn=PeerAsn.objects.filter(subscription=subscription).first(),
        **({"peering_location": location} if location else {}),
    )
    factories.PeeringConnectionFactory(
        peering=peering,
        connection_state=ConnectionState.ACTIVE,
        session_prefix_v4="198.51.100.0/24",
        peer_session_ipv4_address="198.51.100.10",
        microsoft_session_ipv4_address="198.51.100.20",
    )
    return peering


def test_exchange_registers_a_customer_asn_and_copies_the_key(page, demo, sign_in):
    peering = route_server_peering()
    registered_asns = reverse(
        "registered:asn_list",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo.url)

    sign_in("exchange")
    page.goto(f"{demo.url}{registered_asns}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{PEERING_NAME} | Registered ASNs")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb.get_by_role("link", name=PEERING_NAME)).to_be_visible()

    page.get_by_role("link", name="Add registered ASN").click()
    expect(page.get_by_role("heading", name="Register an ASN")).to_be_visible()

    # A private ASN is refused next to its field, and what was typed is still there.
    page.get_by_role("textbox", name="Name", exact=True).fill("woodgrove")
    page.get_by_role("textbox", name="ASN", exact=True).fill("64512")
    page.get_by_test_id("save").click()
    expect(page.get_by_text("RFC 6996")).to_be_visible()
    expect(page.get_by_role("textbox", name="Name", exact=True)).to_have_value("woodgrove")

    page.get_by_role("textbox", name="ASN", exact=True).fill("AS394100")
    page.get_by_test_id("save").click()
    expect(page.get_by_text("Registered ASN woodgrove (AS394100) added.")).to_be_visible()

    row = page.get_by_role("row", name=re.compile("woodgrove"))
    expect(row).to_contain_text("AS394100")
    expect(row).to_contain_text("Not used yet")
    key = row.get_by_test_id("prefix-key").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)

    copy = row.get_by_role("button", name="Copy prefix key of woodgrove")
    expect(copy).to_be_visible()
    copy.click()
    expect(copy).to_have_class(re.compile("is-copied"))
    expect(page.locator("#live-region")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == key

    # Rotating asks first, then shows a different key.
    row.get_by_role("link", name=re.compile("Rotate key")).click()
    expect(page.get_by_text(re.compile("stops working at once"))).to_be_visible()
    page.get_by_test_id("confirm").click()
    expect(page.get_by_text(re.compile("The old key no longer works"))).to_be_visible()
    row = page.get_by_role("row", name=re.compile("woodgrove"))
    expect(row.get_by_test_id("prefix-key")).not_to_have_text(key)

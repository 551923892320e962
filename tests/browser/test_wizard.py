"""Create a peering in Chromium: the route-server journey, a Configuration mistake, leaving and
resuming a draft, and an Exchange peering that converts a legacy connection."""

import re

import pytest
from playwright.sync_api import Page, expect

from peering.models import DirectFacility, Exchange, LegacyPeering, Peering, PeeringLocation
from peering.services.wizard import NETWORK_ROUTE_SERVER
from portal.templatetags.units import place

pytestmark = pytest.mark.browser


def field(label: str) -> re.Pattern:
    """A field's accessible name: its label, then the required mark if it has one."""
    return re.compile(rf"^{re.escape(label)}( \*)?$")


def start_wizard(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/peerings/create/")
    expect(page.get_by_role("tab", name="Basics")).to_have_attribute("aria-selected", "true")


def fill_basics(page: Page, name: str) -> None:
    page.get_by_label(field("Resource group")).select_option("contoso-ix-peering")
    # htmx re-renders Basics: the region becomes the group's, read-only.
    expect(page.locator("#region-fixed")).to_have_value(re.compile(r"East US"))
    page.get_by_label(field("Name")).fill(name)
    page.get_by_label("PeerASN").select_option("contoso-ix-asn")


def fill_route_server_configuration(page: Page) -> None:
    page.get_by_label("Direct", exact=True).check()
    page.get_by_label("Microsoft network").select_option(NETWORK_ROUTE_SERVER)
    page.get_by_label("Premium Free").check()
    page.get_by_label("Metro").select_option("Seattle")
    expect(page.get_by_test_id("variant")).to_contain_text(
        "Exchange peering with route server: SKU Premium Free, session address provider Peer"
    )


def westin_label() -> str:
    """The option that names Westin Building Exchange: with its PeeringDB id (issue 12)."""
    return place(
        DirectFacility.objects.get(name="Westin Building Exchange", location__name="Seattle")
    )


def fill_ipv4_session(dialog, prefix: str, peer: str, microsoft: str) -> None:
    """In the connection dialog: Westin Building Exchange, an IPv4 session, 20000 prefixes."""
    dialog.get_by_label("Peering facility").select_option(label=westin_label())
    dialog.get_by_label("Session IPv4 prefix").fill(prefix)
    dialog.get_by_label("Peer session IPv4 address").fill(peer)
    dialog.get_by_label("Microsoft session IPv4 address").fill(microsoft)
    dialog.get_by_label("Maximum advertised IPv4 prefixes").fill("20000")


def add_route_server_connection(page: Page) -> None:
    page.get_by_role("button", name="Create new").click()
    dialog = page.locator("#connection-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Direct Peering Connection")).to_be_visible()
    dialog.get_by_label("Peering facility").select_option(label=westin_label())
    expect(dialog.get_by_label("Session Address Provider")).to_be_disabled()
    dialog.get_by_label("Session IPv4 prefix").fill("206.81.80.0/22")
    dialog.get_by_label("Peer session IPv4 address").fill("206.81.80.10")
    dialog.get_by_label("Microsoft session IPv4 address").fill("206.81.80.20")
    dialog.get_by_label("Maximum advertised IPv4 prefixes").fill("20000")
    dialog.get_by_label("Bandwidth").select_option(label="20 Gbps")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("connection-row")).to_have_count(1)
    expect(page.get_by_test_id("connection-row")).to_contain_text("Westin Building Exchange")


def test_route_server_peering_from_basics_to_resource(sign_in, demo):
    page = sign_in("exchange")
    start_wizard(page, demo.url)
    fill_basics(page, "contoso-ix-rs-seattle")
    page.get_by_role("button", name="Next: Configuration >").click()
    expect(page).to_have_url(f"{demo.url}/peerings/create/configuration/")
    expect(page.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    fill_route_server_configuration(page)

    # A row with a mistake is shown again in the dialog with the message and every value.
    page.get_by_role("button", name="Create new").click()
    dialog = page.locator("#connection-dialog")
    fill_ipv4_session(dialog, "206.81.80.0/22", "10.0.0.1", "206.81.80.20")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog.get_by_test_id("connection-errors")).to_be_visible()
    expect(dialog.get_by_label("Peer session IPv4 address")).to_have_value("10.0.0.1")
    expect(dialog.get_by_label("Session IPv4 prefix")).to_have_value("206.81.80.0/22")
    expect(dialog).to_contain_text("outside")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    add_route_server_connection(page)
    page.get_by_role("button", name="Review + create", exact=True).click()
    expect(page.get_by_test_id("validation-passed")).to_have_text("Validation passed")
    expect(page).to_have_url(f"{demo.url}/peerings/create/review/")
    expect(page.locator("#wizard-panel")).to_contain_text("contoso-ix-rs-seattle")
    expect(page.locator("#wizard-panel")).to_contain_text(NETWORK_ROUTE_SERVER)
    expect(page.locator("#wizard-panel")).to_contain_text("206.81.80.10")
    page.get_by_role("button", name="Create", exact=True).click()

    expect(page.get_by_role("heading", name="Your deployment is complete")).to_be_visible()
    peering = Peering.objects.get(name="contoso-ix-rs-seattle")
    expect(page.get_by_test_id("resource-id")).to_have_text(peering.resource_id)
    connections = page.get_by_test_id("deployment-connections")
    expect(connections).to_contain_text("PendingApproval")
    expect(connections).to_contain_text("PendingAdd")
    expect(connections).to_contain_text(str(peering.connections.get().connection_identifier))
    page.get_by_role("link", name="Go to resource").click()
    expect(page).to_have_url(
        re.compile(r"/providers/Microsoft\.Peering/peerings/contoso-ix-rs-seattle/$")
    )
    expect(page.get_by_role("heading", name="contoso-ix-rs-seattle")).to_be_visible()

    # The draft is gone: a new wizard starts empty.
    start_wizard(page, demo.url)
    expect(page.get_by_label(field("Name"))).to_have_value("")


def test_configuration_mistake_keeps_every_value(sign_in, demo):
    page = sign_in("exchange")
    start_wizard(page, demo.url)
    fill_basics(page, "contoso-ix-mistake")
    page.get_by_role("button", name="Next: Configuration >").click()
    fill_route_server_configuration(page)
    add_route_server_connection(page)
    page.get_by_label("Basic Free").check()
    expect(page.get_by_test_id("variant")).to_contain_text("requires SKU Premium Free")
    page.get_by_role("button", name="Next: Review + create >").click()

    expect(page.get_by_test_id("tab-errors")).to_be_visible()
    expect(page.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("error-sku")).to_contain_text("requires SKU Premium Free")
    expect(page.get_by_label("Direct", exact=True)).to_be_checked()
    expect(page.get_by_label("Microsoft network")).to_have_value(NETWORK_ROUTE_SERVER)
    expect(page.get_by_label("Basic Free")).to_be_checked()
    expect(page.get_by_label("Metro")).to_have_value("Seattle")
    expect(page.get_by_test_id("connection-row")).to_contain_text("206.81.80.0/22")

    # Fixing the one mistake is enough.
    page.get_by_label("Premium Free").check()
    page.get_by_role("button", name="Next: Review + create >").click()
    expect(page.get_by_test_id("validation-passed")).to_be_visible()

    # Previous goes back without checking, with every value still there.
    page.get_by_role("button", name="< Previous").click()
    expect(page.get_by_label("Premium Free")).to_be_checked()
    page.get_by_role("button", name="< Previous").click()
    expect(page.get_by_label(field("Name"))).to_have_value("contoso-ix-mistake")


def test_leave_and_resume_a_draft(sign_in, sign_out, demo):
    page = sign_in("exchange")
    start_wizard(page, demo.url)
    fill_basics(page, "contoso-ix-resume")
    page.get_by_role("button", name="Next: Configuration >").click()
    fill_route_server_configuration(page)
    add_route_server_connection(page)

    # Reload: still on Configuration with everything.
    page.reload()
    expect(page.get_by_label("Metro")).to_have_value("Seattle")
    expect(page.get_by_test_id("connection-row")).to_have_count(1)

    # Leave the wizard, sign out, sign in again and come back.
    page.goto(f"{demo.url}/")
    sign_out()
    page = sign_in("exchange")
    page.goto(f"{demo.url}/peerings/create/")
    expect(page.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Microsoft network")).to_have_value(NETWORK_ROUTE_SERVER)
    expect(page.get_by_label("Premium Free")).to_be_checked()
    expect(page.get_by_test_id("connection-row")).to_contain_text("206.81.80.10")
    page.get_by_role("tab", name="Basics").click()
    expect(page.get_by_label(field("Name"))).to_have_value("contoso-ix-resume")
    expect(page.get_by_label("PeerASN")).to_have_value("contoso-ix-asn")

    # Discard forgets it.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Discard draft").click()
    expect(page).to_have_url(f"{demo.url}/peerings/")
    start_wizard(page, demo.url)
    expect(page.get_by_label(field("Name"))).to_have_value("")


def test_exchange_peering_converts_a_legacy_connection(sign_in, demo):
    seattle = PeeringLocation.objects.get(name="Seattle")
    exchange = seattle.exchanges.get(name="Equinix Seattle")
    legacy = LegacyPeering.objects.create(
        peer_asn=59999,
        peering_location=seattle,
        kind="Exchange",
        exchange=exchange,
        peer_session_ipv4_address="198.32.134.59",
        max_prefixes_advertised_v4=2000,
    )
    page = sign_in("exchange")
    start_wizard(page, demo.url)
    fill_basics(page, "contoso-ix-exchange")
    page.get_by_role("button", name="Next: Configuration >").click()
    page.get_by_label("Exchange", exact=True).check()
    expect(page.get_by_label("Microsoft network")).to_be_hidden()
    page.get_by_label("Basic Free").check()
    page.get_by_label("Metro").select_option("Seattle")
    expect(page.get_by_test_id("variant")).to_contain_text("Exchange peering: SKU Basic Free")
    legacy_table = page.get_by_test_id("legacy-connections")
    expect(legacy_table).to_contain_text("Equinix Seattle")
    expect(legacy_table).to_contain_text("198.32.134.59")

    page.get_by_role("button", name="Create new").click()
    dialog = page.locator("#connection-dialog")
    expect(dialog.get_by_role("heading", name="Exchange Peering Connection")).to_be_visible()
    expect(dialog.get_by_test_id("exchange-lans")).to_contain_text("198.32.134.0/24")
    dialog.get_by_label("Peering facility").select_option(
        label=place(Exchange.objects.get(name="SIX Seattle", location__name="Seattle"))
    )
    expect(dialog.get_by_test_id("exchange-lans")).to_contain_text("206.81.80.0/22")
    dialog.get_by_label("IPv4 address", exact=True).fill("206.81.80.200")
    dialog.get_by_label("Maximum advertised IPv4 prefixes").fill("2000")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("connection-row")).to_contain_text("SIX Seattle")

    page.get_by_role("button", name="Review + create", exact=True).click()
    expect(page.get_by_test_id("validation-passed")).to_be_visible()
    expect(page.get_by_test_id("review-legacy")).to_contain_text("198.32.134.59")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name="Your deployment is complete")).to_be_visible()
    connections = page.get_by_test_id("deployment-connections")
    expect(connections).to_contain_text("converted legacy")
    expect(connections).to_contain_text("Active")
    expect(connections).to_contain_text("PendingApproval")
    legacy.refresh_from_db()
    assert legacy.converted_to == Peering.objects.get(name="contoso-ix-exchange")

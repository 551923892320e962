"""Peering Service in Chromium: the customer creates one with a prefix its provider announces
(Verified) and one it does not (Failed, "Prefix not received from the provider…")."""

import re
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from peering.enums import ConnectionState, Kind, SessionState
from peering.models import (
    DirectFacility,
    PeerAsn,
    Peering,
    PeeringConnection,
    PeeringLocation,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
    ReceivedRoute,
    RegisteredAsn,
    Vrp,
)
from portal.models import ResourceGroup

pytestmark = pytest.mark.browser

PROVIDER = "Contoso IX"
PROVIDER_ASN = 59999
CUSTOMER_ASN = 8100
ANNOUNCED = "45.80.10.0/24"
NOT_ANNOUNCED = "45.80.11.0/24"


def field(label: str) -> re.Pattern:
    """A field's accessible name: its label, then the required mark if it has one."""
    return re.compile(rf"^{re.escape(label)}( \*)?$")


def _provider_peering() -> Peering:
    """Contoso IX's route-server peering with two Active, Established connections in one metro,
    as the demo provides; built here when the demo data does not have it (yet)."""
    provider, _ = PeeringServiceProvider.objects.get_or_create(
        name=PROVIDER,
        defaults={"kind": PeeringServiceProvider.ProviderKind.EXCHANGE, "asn": PROVIDER_ASN},
    )
    if provider.asn is None:
        provider.asn = PROVIDER_ASN
        provider.save(update_fields=["asn"])
    registered = RegisteredAsn.objects.filter(
        name__iexact="fabrikam", peering__peer_asn__peer_asn=provider.asn
    ).first()
    if registered is not None:
        peering = registered.peering
    else:
        peer_asn = PeerAsn.objects.get(peer_asn=provider.asn)
        metro = PeeringLocation.objects.get(name="Seattle")
        group = ResourceGroup.objects.get(
            subscription=peer_asn.subscription, name="contoso-ix-peering"
        )
        peering = Peering.objects.create(
            subscription=peer_asn.subscription,
            resource_group=group,
            name="contoso-ix-seattle-rs",
            region=group.region,
            kind=Kind.DIRECT,
            sku_name="Premium_Direct_Free",
            direct_peering_type="IxRs",
            peering_location=metro,
            peer_asn=peer_asn,
        )
        facility = DirectFacility.objects.filter(location=metro).first()
        for n in range(2):
            PeeringConnection.objects.create(
                peering=peering,
                direct_facility=facility,
                session_address_provider="Peer",
                connection_state=ConnectionState.ACTIVE,
                session_state_v4=SessionState.ESTABLISHED,
                session_prefix_v4=f"192.0.2.{4 * n}/31",
                peer_session_ipv4_address=f"192.0.2.{4 * n}",
                microsoft_session_ipv4_address=f"192.0.2.{4 * n + 1}",
                max_prefixes_advertised_v4=1000,
            )
        registered = RegisteredAsn.objects.create(
            peering=peering, name="fabrikam", asn=CUSTOMER_ASN
        )
    PeeringServiceProviderLocation.objects.get_or_create(
        provider=provider, name=peering.peering_location.name
    )
    return peering, registered


def _announce(peering: Peering, registered: RegisteredAsn, prefix: str) -> None:
    """The provider announces `prefix` from the customer's ASN on every Active session, which
    is used for Peering Service, and the customer holds a ROA for it (issue 9: only such
    sessions count, and the RPKI state is computed from VRPs)."""
    active = peering.connections.filter(connection_state=ConnectionState.ACTIVE)
    active.update(use_for_peering_service=True)
    Vrp.objects.get_or_create(asn=registered.asn, prefix=prefix, max_length=32)
    for connection in active:
        ReceivedRoute.objects.create(
            connection=connection,
            prefix=prefix,
            next_hop=connection.peer_session_ipv4_address or "192.0.2.1",
            as_path=f"{peering.peer_asn.peer_asn} {registered.asn}",
            origin_as=registered.asn,
            communities=["8075:8007"],
            received_at=datetime(2026, 1, 1, tzinfo=UTC),
        )


@contextmanager
def _swap(page: Page):
    """Do something that makes htmx post the form and swap the tab, and wait until htmx has
    settled the new content: until then its selects are not wired yet, and a change made in
    that instant (only a robot is that fast) would send nothing."""
    page.evaluate(
        """() => {
            window.__settled = false;
            document.body.addEventListener(
                "htmx:afterSettle", () => { window.__settled = true; }, { once: true }
            );
        }"""
    )
    yield
    page.wait_for_function("() => window.__settled === true", timeout=20_000)


def test_customer_creates_a_peering_service_and_sees_its_prefixes_validated(
    page: Page, demo, sign_in
):
    peering, registered = _provider_peering()
    _announce(peering, registered, ANNOUNCED)
    metro = peering.peering_location.name
    key = str(registered.prefix_key)

    sign_in("customer")
    page.get_by_role("link", name="Peering Services", exact=True).first.click()
    page.get_by_test_id("create-peering-service").click()
    expect(page.get_by_role("tab", name="Basics")).to_have_attribute("aria-selected", "true")

    # Basics: an existing group fixes the region (htmx re-renders the tab).
    with _swap(page):
        page.get_by_label(field("Resource group")).select_option("fabrikam-network")
    expect(page.locator("#ps-region-fixed")).to_have_value(re.compile("East US"))
    page.get_by_label(field("Name")).fill("fabrikam-peering-service")
    with _swap(page):
        page.get_by_test_id("next").click()

    # Configuration: the provider's locations appear once it is chosen.
    expect(page.get_by_role("tab", name="Configuration")).to_have_attribute("aria-selected", "true")
    with _swap(page):
        page.get_by_label(field("Country")).select_option("United States")
    expect(page.get_by_label(field("State/Province"))).to_contain_text("Washington")
    page.get_by_label(field("State/Province")).select_option("Washington")
    with _swap(page):
        page.get_by_label(field("Provider")).select_option(label=PROVIDER)
    primary = page.get_by_label(field("Provider primary peering location"))
    expect(primary).to_contain_text(metro)
    primary.select_option(metro)
    expect(page.get_by_test_id("backup-none-note")).to_contain_text("over the internet")
    with _swap(page):
        page.get_by_test_id("next").click()

    # Prefixes: one the provider announces, one it does not.
    expect(page.get_by_role("tab", name="Prefixes")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Name (row 1)").fill("web")
    page.get_by_label("Prefix (row 1)").fill(ANNOUNCED)
    page.get_by_label("Prefix key (row 1)").fill(key)
    with _swap(page):
        page.get_by_test_id("add-prefix-row").click()
    page.get_by_label("Name (row 2)").fill("branch")
    page.get_by_label("Prefix (row 2)").fill(NOT_ANNOUNCED)
    page.get_by_label("Prefix key (row 2)").fill(key)

    # Review + create.
    page.get_by_test_id("review-create").click()
    expect(page.get_by_test_id("validation-passed")).to_be_visible()
    expect(page.get_by_test_id("review-prefixes")).to_contain_text(ANNOUNCED)
    expect(page.get_by_test_id("review-prefixes")).not_to_contain_text(key)
    page.get_by_test_id("create").click()

    expect(page.get_by_text("fabrikam-peering-service was created")).to_be_visible()
    expect(page.get_by_test_id("primary-availability")).to_have_text("2 of 2 sessions Established")

    page.get_by_role("link", name="Prefixes", exact=True).first.click()
    page.wait_for_url("**/prefixes/")
    page.reload()
    web = page.get_by_test_id("prefix-web")
    expect(web).to_contain_text("Verified")
    branch = page.get_by_test_id("prefix-branch")
    expect(branch).to_contain_text("Failed")
    expect(branch).to_contain_text("Prefix not received from the provider")
    expect(page.locator("body")).not_to_contain_text(key)

    # The failed prefix's own blade says the same, and prefixes cannot be edited.
    branch.get_by_role("link", name="branch", exact=True).click()
    expect(page.get_by_test_id("prefix-state")).to_contain_text(
        "Prefix not received from the provider"
    )
    expect(page.get_by_text("Prefixes cannot be edited")).to_be_visible()

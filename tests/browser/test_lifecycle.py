"""A peering's life in Chromium: the exchange provider's route-server peering gets a second
connection, Microsoft's operator provisions the first to Active with an Established session in
Django admin, the peer reads the timeline and states, deletes the second connection by typing
the resource ID, and requests deprovisioning."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from peering.enums import ConnectionState, SessionState
from peering.models import DeprovisionRequest, Peering, PeeringConnection
from peering.services.wizard import NETWORK_ROUTE_SERVER, SKU_PREMIUM_FREE
from peering.services.wizard import draft_create as peering_create
from portal.models import Subscription
from portal.templatetags.units import place

pytestmark = pytest.mark.browser

NAME = "contoso-ix-lifecycle"
# Contoso IX's route-server LAN at the Westin Building Exchange (seed_demo's peering uses .40,
# .41, .113 and .114 of it).
LAN = "206.81.80.0/22"
OPERATOR_STEPS = [
    ("Approve", ConnectionState.APPROVED),
    ("Start provisioning", ConnectionState.PROVISIONING_STARTED),
    ("Complete provisioning", ConnectionState.PROVISIONING_COMPLETED),
    ("Start validation", ConnectionState.VALIDATING),
    ("Activate", ConnectionState.ACTIVE),
]


def create_route_server_peering() -> Peering:
    """The exchange provider's peering with one connection, made by the wizard's service (the
    wizard's own journey is tests/browser/test_wizard.py)."""
    user = get_user_model().objects.get(username="exchange")
    subscription = Subscription.objects.get(display_name="Contoso IX")
    peering = peering_create(
        user=user,
        data={
            "basics": {
                "subscription": str(subscription.pk),
                "resource_group": "contoso-ix-peering",
                "name": NAME,
                "peer_asn": "contoso-ix-asn",
            },
            "configuration": {
                "peering_type": "Direct",
                "microsoft_network": NETWORK_ROUTE_SERVER,
                "sku": SKU_PREMIUM_FREE,
                "metro": "Seattle",
            },
            "connections": [
                {
                    "facility": str(westin().pk),
                    "session_prefix_v4": LAN,
                    "peer_session_ipv4_address": "206.81.80.50",
                    "microsoft_session_ipv4_address": "206.81.80.115",
                    "max_prefixes_advertised_v4": "20000",
                    "bandwidth_mbps": "20000",
                }
            ],
        },
    )
    return peering


def westin():
    from peering.models import DirectFacility

    return DirectFacility.objects.get(name="Westin Building Exchange", location__name="Seattle")


def run_admin_action(page: Page, base_url: str, connection: PeeringConnection, label: str):
    """On the connection's admin page, pick an action and run it."""
    page.goto(f"{base_url}/admin/peering/peeringconnection/{connection.pk}/change/")
    page.get_by_role("combobox", name=re.compile("Action")).select_option(label=label)
    page.get_by_role("button", name=re.compile(r"^(Run|Go)$")).first.click()
    expect(page.locator(".messagelist .success").first).to_be_visible()


def test_peering_lifecycle_from_request_to_deprovisioning(page, demo, sign_in, sign_out):
    peering = create_route_server_peering()
    first = peering.connections.get()

    # The exchange provider opens the peering and adds a second connection.
    sign_in("exchange")
    page.get_by_role("link", name="Peerings", exact=True).first.click()
    page.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    expect(page.get_by_test_id("connection-summary")).to_contain_text("0 of 1 connection Active")
    page.get_by_role("navigation", name=f"Peering {NAME}").get_by_role(
        "link", name="Connections"
    ).click()
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()
    expect(page.get_by_test_id("connection-row")).to_have_count(1)
    page.get_by_test_id("add-connections").click()
    form = page.get_by_test_id("connection-form")
    # Each facility is named with its PeeringDB id (issue 12 item 10).
    form.get_by_label("Peering facility").select_option(label=place(westin()))
    expect(form.get_by_label("Session Address Provider")).to_be_disabled()
    form.get_by_label("Session IPv4 prefix").fill(LAN)
    # A clash with the first connection's address is refused next to the field, values kept.
    form.get_by_label("Peer session IPv4 address").fill("206.81.80.50")
    form.get_by_label("Microsoft session IPv4 address").fill("206.81.80.116")
    form.get_by_label("Maximum advertised IPv4 prefixes").fill("20000")
    form.get_by_label("Bandwidth").select_option(label="10 Gbps")
    form.get_by_role("button", name="Save").click()
    form = page.get_by_test_id("connection-form")
    expect(form.get_by_test_id("error-peer_session_ipv4_address")).to_contain_text(
        "already used at Westin Building Exchange"
    )
    expect(form.get_by_label("Microsoft session IPv4 address")).to_have_value("206.81.80.116")
    form.get_by_label("Peer session IPv4 address").fill("206.81.80.51")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("it is PendingApproval while Microsoft")).to_be_visible()
    second = peering.connections.exclude(pk=first.pk).get()
    detail = page.locator("#connection-detail")
    expect(detail.get_by_test_id("connection-identifier")).to_have_text(
        str(second.connection_identifier)
    )
    expect(detail.get_by_test_id("next-step")).to_contain_text("Microsoft")
    expect(page.get_by_test_id("connection-row")).to_have_count(2)
    page.goto(f"{demo.url}/")  # sign_out opens the last <summary>: the user menu's, at home
    sign_out()

    # Microsoft's operator provisions the first connection in Django admin.
    sign_in("operator")
    for label, state in OPERATOR_STEPS:
        run_admin_action(page, demo.url, first, label)
        first.refresh_from_db()
        assert first.connection_state == state, label
    run_admin_action(page, demo.url, first, "Set IPv4 session Established")
    first.refresh_from_db()
    assert first.session_state_v4 == SessionState.ESTABLISHED
    page.goto(f"{demo.url}/")
    sign_out()

    # The peer sees the states and the timeline: who moved it, and who acts next.
    sign_in("exchange")
    connections_url = (
        f"{demo.url}/subscriptions/{peering.subscription_id}/resourceGroups/"
        f"{peering.resource_group.name}/providers/Microsoft.Peering/peerings/{NAME}/connections/"
    )
    page.goto(connections_url)
    rows = page.get_by_test_id("connection-row")
    expect(rows.first).to_contain_text("Active")
    expect(rows.first).to_contain_text("Established")
    expect(rows.nth(1)).to_contain_text("PendingApproval")
    rows.first.get_by_role("link", name="Westin Building Exchange").click()
    # htmx loads the connection into the pane below the grid, and the address follows.
    expect(page).to_have_url(re.compile(rf"/connections/{first.connection_identifier}/$"))
    detail = page.locator("#connection-detail")
    expect(detail.get_by_test_id("connection-identifier")).to_have_text(
        str(first.connection_identifier)
    )
    timeline = detail.get_by_test_id("timeline")
    expect(timeline.get_by_test_id("timeline-entry")).to_have_count(5)
    expect(timeline).to_contain_text("PendingApproval → Approved by Microsoft")
    expect(timeline).to_contain_text("Validating → Active by Microsoft")
    expect(detail.get_by_test_id("next-step")).to_contain_text("Nothing: traffic flows.")
    expect(detail.get_by_test_id("session-v4")).to_contain_text("Established")
    expect(detail.get_by_test_id("edit-connection")).to_be_visible()

    rows.nth(1).get_by_role("link", name="Westin Building Exchange").click()
    expect(detail.get_by_test_id("connection-identifier")).to_have_text(
        str(second.connection_identifier)
    )
    expect(detail.get_by_test_id("next-step")).to_contain_text(
        "Microsoft's peering team reviews the request"
    )

    # Delete the second connection: a wrong resource ID deletes nothing.
    detail.get_by_test_id("delete-connection").click()
    expect(page.get_by_role("heading", name="Confirm delete")).to_be_visible()
    resource_id = page.get_by_test_id("resource-id").inner_text()
    assert resource_id == peering.resource_id
    page.get_by_label("Type the resource ID to confirm").fill(resource_id + "-typo")
    page.get_by_test_id("confirm-delete").click()
    expect(page.get_by_test_id("error-confirm")).to_contain_text("exactly as shown")
    assert PeeringConnection.objects.filter(pk=second.pk).exists()
    page.get_by_label("Type the resource ID to confirm").fill(resource_id)
    page.get_by_test_id("confirm-delete").click()
    expect(page.get_by_text(re.compile(r"at Westin Building Exchange was deleted"))).to_be_visible()
    expect(page.get_by_test_id("connection-row")).to_have_count(1)
    assert not PeeringConnection.objects.filter(pk=second.pk).exists()

    # Request deprovisioning: a tracked request, shown on the blade and the Overview.
    page.get_by_role("navigation", name=f"Peering {NAME}").get_by_role(
        "link", name="Deprovision"
    ).click()
    expect(page.get_by_role("heading", name="How deprovisioning works")).to_be_visible()
    page.get_by_test_id("request-deprovisioning").click()
    expect(page.get_by_text("Give the reason")).to_be_visible()
    page.get_by_label("Reason").fill("Moving the route server to Portland.")
    page.get_by_test_id("request-deprovisioning").click()
    expect(page.locator(".alert-success")).to_contain_text("Deprovisioning requested.")
    expect(page.get_by_test_id("deprovision-requests")).to_contain_text("Requested")
    expect(page.get_by_test_id("deprovision-requests")).to_contain_text("Portland")
    request = DeprovisionRequest.objects.get(peering=peering)
    assert request.state == DeprovisionRequest.State.REQUESTED
    page.get_by_role("navigation", name=f"Peering {NAME}").get_by_role(
        "link", name="Overview"
    ).click()
    expect(page.get_by_test_id("open-deprovision-request")).to_contain_text(
        "Deprovisioning requested"
    )

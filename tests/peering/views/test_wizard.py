"""Create a Peering wizard views: the tab flow with plain POSTs, drafts, tenancy, htmx
fragments, hostile input and query counts."""

import re

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peering.enums import ConnectionState, SessionState, ValidationState
from peering.models import LegacyPeering, Peering, PeeringDraft
from peering.services.wizard import NETWORK_ROUTE_SERVER, draft_get
from portal.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def tab_url(tab):
    return reverse("wizard:tab", args=[tab])


@pytest.fixture
def world(subscription, owner, region):
    """Seattle with a route-server facility and an exchange; an Approved and a Pending Peer ASN;
    a resource group; a signed Peering Service agreement."""
    subscription.peering_service_agreement_signed = True
    subscription.save()
    metro = factories.PeeringLocationFactory(name="Seattle")
    factories.route_server_lans(metro)
    facility = factories.DirectFacilityFactory(location=metro, name="Westin Building Exchange")
    exchange = factories.ExchangeFactory(location=metro, name="Equinix Seattle")
    group = factories.ResourceGroupFactory(
        subscription=subscription, name="contoso-ix-peering", region=region
    )
    approved = factories.PeerAsnFactory(
        subscription=subscription,
        name="contoso-ix-asn",
        peer_asn=59999,
        validation_state=ValidationState.APPROVED,
    )
    pending = factories.PeerAsnFactory(
        subscription=subscription,
        name="pending-asn",
        peer_asn=59998,
        validation_state=ValidationState.PENDING,
    )
    return {
        "subscription": subscription,
        "metro": metro,
        "facility": facility,
        "exchange": exchange,
        "group": group,
        "peer_asn": approved,
        "pending": pending,
        "region": region,
    }


@pytest.fixture
def client_owner(owner):
    client = Client()
    client.force_login(owner)
    return client


def basics_post(world, **overrides):
    data = {
        "subscription": str(world["subscription"].pk),
        "resource_group": world["group"].name,
        "new_resource_group": "",
        "name": "contoso-ix-seattle",
        "peer_asn": world["peer_asn"].name,
    }
    data.update(overrides)
    return data


def configuration_post(**overrides):
    data = {
        "peering_type": "Direct",
        "microsoft_network": NETWORK_ROUTE_SERVER,
        "sku": "Premium Free",
        "metro": "Seattle",
    }
    data.update(overrides)
    return data


def route_server_row(world, **overrides):
    row = {
        "facility": str(world["facility"].pk),
        "bandwidth_mbps": "10000",
        "use_for_peering_service": "on",
        "session_prefix_v4": "203.0.113.0/24",
        "peer_session_ipv4_address": "203.0.113.10",
        "microsoft_session_ipv4_address": "203.0.113.20",
        "session_prefix_v6": "",
        "peer_session_ipv6_address": "",
        "microsoft_session_ipv6_address": "",
        "max_prefixes_advertised_v4": "20000",
        "max_prefixes_advertised_v6": "",
    }
    row.update(overrides)
    return row


def fill_draft(client, world, rows=1):
    client.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    client.post(tab_url("configuration"), {**configuration_post(), "action": "update"})
    for i in range(rows):
        response = client.post(
            reverse("wizard:connection"),
            route_server_row(
                world,
                peer_session_ipv4_address=f"203.0.113.{10 + i}",
                microsoft_session_ipv4_address=f"203.0.113.{100 + i}",
            ),
        )
        assert response.status_code == 302, response.content.decode()[:2000]


# --- the flow ---------------------------------------------------------------------------------


def test_route_server_flow_with_plain_posts(client_owner, world, owner):
    response = client_owner.get(reverse("wizard:start"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Create a peering" in page and 'role="tablist"' in page
    assert "Next: Configuration &gt;" in page
    assert "Associate a Peer ASN" in page
    # A Pending ASN is listed but cannot be chosen, with the reason.
    assert "pending-asn (AS59998) is Pending" in page
    assert '<option value="pending-asn" disabled>' in page

    response = client_owner.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    assert response.status_code == 302
    assert response["Location"] == tab_url("configuration")

    response = client_owner.get(tab_url("configuration"))
    page = response.content.decode()
    assert "Peering Connections" in page and "Create new" in page

    response = client_owner.post(
        tab_url("configuration"), {**configuration_post(), "action": "new"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard:connection")

    response = client_owner.get(reverse("wizard:connection"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Direct Peering Connection" in page
    assert "Westin Building Exchange" in page
    # Session Address Provider is fixed to Peer for the route server, with the reason.
    assert "Set to Peer" in page

    response = client_owner.post(reverse("wizard:connection"), route_server_row(world))
    assert response.status_code == 302
    assert response["Location"] == tab_url("configuration")
    page = client_owner.get(tab_url("configuration")).content.decode()
    assert "203.0.113.0/24" in page
    assert "Exchange peering with route server: SKU Premium Free" in page
    assert "session address provider Peer" in page

    response = client_owner.post(
        tab_url("configuration"), {**configuration_post(), "goto": "review"}
    )
    assert response.status_code == 302
    response = client_owner.get(tab_url("review"))
    page = response.content.decode()
    assert "Validation passed" in page
    assert "contoso-ix-seattle" in page and "contoso-ix-peering" in page
    assert "AS8075 with exchange route server" in page

    response = client_owner.post(reverse("wizard:create"))
    assert response.status_code == 302
    peering = Peering.objects.get(name="contoso-ix-seattle")
    assert peering.direct_peering_type == "IxRs"
    assert not PeeringDraft.objects.filter(user=owner).exists()

    response = client_owner.get(response["Location"])
    page = response.content.decode()
    assert "Your deployment is complete" in page
    assert peering.resource_id in page
    conn = peering.connections.get()
    assert conn.connection_state == ConnectionState.PENDING_APPROVAL
    assert conn.session_state_v4 == SessionState.PENDING_ADD
    assert str(conn.connection_identifier) in page
    assert "PendingApproval" in page and "PendingAdd" in page
    assert "Go to resource" in page
    assert (
        reverse(
            "peering:peering_detail",
            args=[peering.subscription_id, peering.resource_group.name, peering.name],
        )
        in page
    )


def test_leaving_basics_forward_validates_and_keeps_values(client_owner, world):
    response = client_owner.post(
        tab_url("basics"),
        {**basics_post(world, name="bad name!", peer_asn="pending-asn"), "goto": "configuration"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Validation failed" in page
    assert 'value="bad name!"' in page
    assert "is Pending" in page
    draft = PeeringDraft.objects.get()
    assert draft.data["basics"]["name"] == "bad name!"
    assert draft.data["tab"] == "basics"


def test_previous_does_not_validate(client_owner, world):
    client_owner.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    response = client_owner.post(
        tab_url("configuration"), {**configuration_post(sku="bogus"), "goto": "basics"}
    )
    assert response.status_code == 302
    assert response["Location"] == tab_url("basics")
    assert PeeringDraft.objects.get().data["configuration"]["sku"] == "bogus"


def test_configuration_mistake_keeps_every_value(client_owner, world):
    fill_draft(client_owner, world, rows=1)
    response = client_owner.post(
        tab_url("configuration"),
        {**configuration_post(sku="Basic Free"), "goto": "review"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "requires SKU Premium Free" in page
    # Every typed value is still shown.
    assert 'value="Direct" class="form-check-input" hx-post' in page or 'value="Direct"' in page
    assert f'<option value="{NETWORK_ROUTE_SERVER}" selected>' in page
    assert '<option value="Seattle" selected>' in page
    assert 'value="Basic Free"' in page and "checked" in page
    assert "203.0.113.0/24" in page
    draft = PeeringDraft.objects.get()
    assert draft.data["configuration"]["sku"] == "Basic Free"
    assert len(draft.data["connections"]) == 1
    # Review shows the error with a link to its tab.
    page = client_owner.get(tab_url("review")).content.decode()
    assert "Validation failed" in page
    assert tab_url("configuration") + "?check=1" in page


def test_rejected_connection_row_shows_every_value(client_owner, world):
    fill_draft(client_owner, world, rows=0)
    row = route_server_row(
        world,
        peer_session_ipv4_address="198.51.100.7",
        max_prefixes_advertised_v4="999999",
        session_prefix_v6="2001:db8::/64",
        peer_session_ipv6_address="2001:db8::1",
        microsoft_session_ipv6_address="2001:db8::2",
    )
    response = client_owner.post(reverse("wizard:connection"), row)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This connection was not saved" in page
    assert "outside the session prefix" in page or "is outside" in page
    for value in ("198.51.100.7", "999999", "2001:db8::/64", "2001:db8::1", "2001:db8::2"):
        assert f'value="{value}"' in page
    assert "connections" not in PeeringDraft.objects.get().data
    # Reopening the new row shows the rejected values again.
    page = client_owner.get(reverse("wizard:connection")).content.decode()
    assert 'value="198.51.100.7"' in page
    # Cancel forgets them.
    client_owner.post(reverse("wizard:connection"), {"cancel": "1"})
    page = client_owner.get(reverse("wizard:connection")).content.decode()
    assert 'value="198.51.100.7"' not in page


def test_address_clash_with_another_row(client_owner, world):
    fill_draft(client_owner, world, rows=1)
    response = client_owner.post(
        reverse("wizard:connection"),
        route_server_row(world, microsoft_session_ipv4_address="203.0.113.50"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "already used" in page
    assert len(PeeringDraft.objects.get().data["connections"]) == 1


def test_edit_and_remove_connection(client_owner, world):
    fill_draft(client_owner, world, rows=2)
    response = client_owner.post(
        tab_url("configuration"), {**configuration_post(), "action": "edit:1"}
    )
    assert response["Location"] == reverse("wizard:connection", args=[1])
    page = client_owner.get(reverse("wizard:connection", args=[1])).content.decode()
    assert 'value="203.0.113.11"' in page
    response = client_owner.post(
        reverse("wizard:connection", args=[1]),
        route_server_row(world, peer_session_ipv4_address="203.0.113.77"),
    )
    assert response.status_code == 302
    rows = PeeringDraft.objects.get().data["connections"]
    assert rows[1]["peer_session_ipv4_address"] == "203.0.113.77"

    response = client_owner.post(
        reverse("wizard:connection_remove", args=[0]), configuration_post()
    )
    assert response.status_code == 302
    rows = PeeringDraft.objects.get().data["connections"]
    assert [r["peer_session_ipv4_address"] for r in rows] == ["203.0.113.77"]
    assert client_owner.post(reverse("wizard:connection_remove", args=[5])).status_code == 404
    assert client_owner.get(reverse("wizard:connection", args=[5])).status_code == 404


def test_connection_form_without_basics_goes_to_basics(client_owner, world):
    response = client_owner.get(reverse("wizard:connection"))
    assert response.status_code == 302
    assert response["Location"] == tab_url("basics")


def test_connection_form_needs_a_configuration(client_owner, world):
    client_owner.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    response = client_owner.post(tab_url("configuration"), {"action": "new", "metro": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "before adding connections" in page
    response = client_owner.get(reverse("wizard:connection"))
    assert response.status_code == 200
    assert "before adding connections" in response.content.decode()


def test_use_for_peering_service_needs_agreement(client_owner, world):
    world["subscription"].peering_service_agreement_signed = False
    world["subscription"].save()
    fill_draft(client_owner, world, rows=0)
    page = client_owner.get(reverse("wizard:connection")).content.decode()
    assert "Requires a signed Peering Service agreement" in page
    assert 'name="use_for_peering_service"' in page and "disabled" in page


def test_exchange_peering_converts_legacy(client_owner, world):
    LegacyPeering.objects.create(
        peer_asn=59999,
        peering_location=world["metro"],
        exchange=world["exchange"],
        peer_session_ipv4_address="198.32.134.60",
        max_prefixes_advertised_v4=1000,
    )
    client_owner.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    config = {"peering_type": "Exchange", "sku": "Basic Free", "metro": "Seattle"}
    response = client_owner.post(tab_url("configuration"), {**config, "action": "update"})
    page = client_owner.get(tab_url("configuration")).content.decode()
    assert "Legacy connections to be converted" in page
    assert "198.32.134.60" in page
    assert '<div id="network-field" data-direct-only hidden>' in page
    page = client_owner.get(reverse("wizard:connection")).content.decode()
    assert "Exchange Peering Connection" in page
    assert "198.32.134.0/24" in page and "198.32.134.152" in page
    response = client_owner.post(
        reverse("wizard:connection"),
        {
            "facility": str(world["exchange"].pk),
            "peer_session_ipv4_address": "198.32.134.61",
            "max_prefixes_advertised_v4": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    response = client_owner.post(tab_url("configuration"), {**config, "goto": "review"})
    assert response.status_code == 302
    page = client_owner.get(tab_url("review")).content.decode()
    assert "Validation passed" in page
    assert "Legacy connections to be converted" in page
    response = client_owner.post(reverse("wizard:create"))
    assert response.status_code == 302
    peering = Peering.objects.get()
    assert peering.connections.count() == 2
    assert LegacyPeering.objects.get().converted_to == peering


def test_create_with_invalid_draft_shows_errors(client_owner, world):
    response = client_owner.post(reverse("wizard:create"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Validation failed" in page
    assert not Peering.objects.exists()


def test_review_links_errors_to_tabs_and_rows(client_owner, world):
    fill_draft(client_owner, world, rows=1)
    draft = PeeringDraft.objects.get()
    draft.data["connections"][0]["max_prefixes_advertised_v4"] = "0"
    draft.save()
    page = client_owner.get(tab_url("review")).content.decode()
    assert "Connection 1: Maximum advertised IPv4 prefixes" in page
    assert reverse("wizard:connection", args=[0]) + "?check=1" in page
    page = client_owner.get(reverse("wizard:connection", args=[0]) + "?check=1").content.decode()
    assert "from 1 to 20000" in page


def test_discard(client_owner, world, owner):
    fill_draft(client_owner, world, rows=1)
    response = client_owner.post(reverse("wizard:discard"))
    assert response.status_code == 302
    assert not PeeringDraft.objects.filter(user=owner).exists()


def test_discard_asks_first_without_javascript(client_owner, world, owner):
    fill_draft(client_owner, world, rows=1)
    page = client_owner.get(tab_url("basics")).content.decode()
    assert f'href="{reverse("wizard:discard")}"' in page and "hx-confirm=" in page
    confirm = client_owner.get(reverse("wizard:discard"))
    assert confirm.status_code == 200
    assert 'data-testid="confirm-discard"' in confirm.content.decode()
    assert PeeringDraft.objects.filter(user=owner).exists()  # asking deletes nothing


def test_discard_with_htmx_redirects_the_client(client_owner, world, owner):
    fill_draft(client_owner, world, rows=1)
    response = client_owner.post(reverse("wizard:discard"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("peering:peering_list")
    assert not PeeringDraft.objects.filter(user=owner).exists()


# --- drafts -----------------------------------------------------------------------------------


def test_draft_resumes_after_logout_and_login(world, owner):
    client = Client()
    assert client.login(username="owner", password=factories.PASSWORD)
    fill_draft(client, world, rows=1)
    client.post(tab_url("configuration"), {**configuration_post(), "goto": "review"})
    client.post(reverse("logout"))
    assert client.get(reverse("wizard:start")).status_code == 302  # to sign in
    assert client.login(username="owner", password=factories.PASSWORD)
    page = client.get(reverse("wizard:start")).content.decode()
    assert 'id="tab-review"' in page and "Validation passed" in page
    page = client.get(tab_url("basics")).content.decode()
    assert 'value="contoso-ix-seattle"' in page
    assert draft_get(user=owner).data["tab"] == "basics"
    page = client.get(reverse("wizard:start")).content.decode()
    assert 'value="contoso-ix-seattle"' in page


def test_new_resource_group_shows_region_select(client_owner, world):
    response = client_owner.post(
        tab_url("basics"),
        {**basics_post(world, new_resource_group="rg-new"), "goto": "configuration"},
    )
    page = response.content.decode()
    assert "Select a region for the new resource group" in page
    assert 'name="region"' in page
    response = client_owner.post(
        tab_url("basics"),
        {
            **basics_post(world, new_resource_group="rg-new", region="eastus"),
            "goto": "configuration",
        },
    )
    assert response.status_code == 302


def test_existing_group_fixes_region(client_owner, world):
    page = client_owner.get(tab_url("basics")).content.decode()
    # No group chosen yet: the region can be chosen.
    assert 'name="region"' in page
    client_owner.post(tab_url("basics"), {**basics_post(world), "action": "update"})
    page = client_owner.get(tab_url("basics")).content.decode()
    assert 'id="region-fixed"' in page and "readonly" in page and "East US" in page


# --- tenancy ----------------------------------------------------------------------------------


WIZARD_GETS = [
    ("wizard:start", []),
    ("wizard:tab", ["basics"]),
    ("wizard:tab", ["configuration"]),
    ("wizard:tab", ["review"]),
    ("wizard:connection", []),
    ("wizard:discard", []),
]
WIZARD_POSTS = [
    ("wizard:tab", ["basics"]),
    ("wizard:discard", []),
    ("wizard:create", []),
    ("wizard:connection", []),
    ("wizard:connection_remove", [0]),
]


@pytest.mark.parametrize(("name", "args"), WIZARD_GETS + WIZARD_POSTS)
def test_anonymous_is_sent_to_sign_in(client, name, args):
    response = client.post(reverse(name, args=args)) if (name, args) in WIZARD_POSTS else None
    response = response or client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "args"), WIZARD_GETS)
def test_reader_gets_403(client, reader, world, name, args):
    client.force_login(reader)
    assert client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), WIZARD_POSTS)
def test_reader_gets_403_on_posts(client, reader, world, name, args):
    client.force_login(reader)
    assert client.post(reverse(name, args=args)).status_code == 403
    assert not PeeringDraft.objects.exists()


def test_reader_gets_403_on_deployment(client, reader, world):
    client.force_login(reader)
    url = reverse("wizard:deployment", args=[world["subscription"].pk, world["group"].name, "x"])
    assert client.get(url).status_code == 403


def test_outsiders_subscription_is_a_field_error(client, outsider, world):
    client.force_login(outsider)
    response = client.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "You cannot create resources in that subscription." in page
    # Nothing of the other tenant is revealed.
    assert "Contoso IX" not in page
    assert world["group"].name not in page.replace('value="contoso-ix-peering"', "")
    assert "contoso-ix-asn (AS" not in page
    # A forged id that is not a UUID either.
    response = client.post(tab_url("basics"), {"subscription": "'; DROP", "goto": "review"})
    assert response.status_code == 200
    assert "You cannot create resources in that subscription." in response.content.decode()
    page = client.get(tab_url("review")).content.decode()
    assert "Validation failed" in page


def test_outsider_cannot_see_anothers_deployment(client, outsider, world, owner):
    client_owner = Client()
    client_owner.force_login(owner)
    fill_draft(client_owner, world, rows=1)
    client_owner.post(reverse("wizard:create"))
    peering = Peering.objects.get()
    client.force_login(outsider)
    url = reverse(
        "wizard:deployment",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )
    assert client.get(url).status_code == 404


def test_owner_and_reader_elsewhere_is_refused_on_that_subscription(client, world):
    user = factories.UserFactory(username="mixed")
    other = factories.SubscriptionFactory(display_name="Mine")
    factories.RoleAssignmentFactory(user=user, subscription=other, role=Role.OWNER)
    factories.RoleAssignmentFactory(user=user, subscription=world["subscription"], role=Role.READER)
    client.force_login(user)
    page = client.get(tab_url("basics")).content.decode()
    assert "Contoso IX" not in page.split('id="id_subscription"')[1].split("</select>")[0]
    response = client.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    assert "You cannot create resources in that subscription." in response.content.decode()


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["x" * 10000, "a\x00b", "<script>alert(1)</script>", "' OR 1=1 --", "\u202e\ufeff", "%00"],
)
def test_hostile_input_gives_field_errors(client_owner, world, value):
    data = {
        "subscription": value,
        "resource_group": value,
        "new_resource_group": value,
        "region": value,
        "name": value,
        "peer_asn": value,
        "goto": "configuration",
    }
    response = client_owner.post(tab_url("basics"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    client_owner.post(
        tab_url("configuration"),
        {
            "peering_type": value,
            "microsoft_network": value,
            "sku": value,
            "metro": value,
            "goto": "review",
        },
    )
    assert client_owner.get(tab_url("configuration")).status_code == 200
    assert client_owner.get(tab_url("review")).status_code == 200
    fill_draft(client_owner, world, rows=0)
    response = client_owner.post(
        reverse("wizard:connection"), {name: value for name in route_server_row(world)}
    )
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    response = client_owner.post(tab_url("configuration"), {"action": f"edit:{value}"})
    assert response.status_code in (302, 404)
    response = client_owner.post(tab_url("basics"), {"goto": value})
    assert response.status_code == 302
    assert client_owner.get(reverse("wizard:tab", args=["nope"])).status_code == 404


# --- htmx -------------------------------------------------------------------------------------


def test_htmx_moves_return_fragments(client_owner, world):
    response = client_owner.get(tab_url("basics"), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page and 'id="wizard"' in page

    response = client_owner.post(
        tab_url("basics"), {**basics_post(world), "goto": "configuration"}, **HTMX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page and 'data-tab="configuration"' in page
    assert response["HX-Push-Url"] == tab_url("configuration")

    # A change re-renders only what depends on the field, out of band.
    response = client_owner.post(
        tab_url("configuration"),
        {**configuration_post(), "action": "update"},
        HTTP_HX_TRIGGER_NAME="metro",
        **HTMX,
    )
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="config-variant"' in page and 'id="config-connections" hx-swap-oob="true"' in page
    assert "Exchange peering with route server" in page
    assert 'name="metro"' not in page

    response = client_owner.post(
        tab_url("basics"),
        {**basics_post(world), "action": "update"},
        HTTP_HX_TRIGGER_NAME="subscription",
        **HTMX,
    )
    page = response.content.decode()
    assert 'id="basics-groups" class="wizard-group" hx-swap-oob="true"' in page
    assert 'id="basics-region" hx-swap-oob="true"' in page
    assert 'id="basics-peer-asn" hx-swap-oob="true"' in page
    assert 'name="name"' not in page
    assert "East US" in page  # the chosen group's region


def test_htmx_connection_dialog(client_owner, world):
    fill_draft(client_owner, world, rows=0)
    dialog = {**HTMX, "HTTP_HX_TARGET": "connection-dialog-body"}
    response = client_owner.post(
        tab_url("configuration"), {**configuration_post(), "action": "new"}, **dialog
    )
    assert response.status_code == 200
    assert "wizard-dialog-open" in response["HX-Trigger-After-Settle"]
    page = response.content.decode()
    assert "<html" not in page and 'hx-post="/peerings/create/connection/"' in page

    response = client_owner.post(
        reverse("wizard:connection"),
        route_server_row(world, max_prefixes_advertised_v4=""),
        **dialog,
    )
    assert response.status_code == 200
    assert "HX-Retarget" not in response
    assert "This connection was not saved" in response.content.decode()

    response = client_owner.post(reverse("wizard:connection"), route_server_row(world), **dialog)
    assert response["HX-Retarget"] == "#connection-grid"
    assert "wizard-dialog-close" in response["HX-Trigger"]
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="connection-grid"')
    assert "203.0.113.0/24" in page

    response = client_owner.post(reverse("wizard:connection"), {"cancel": "1"}, **dialog)
    assert response.status_code == 204
    assert "wizard-dialog-close" in response["HX-Trigger"]


def test_htmx_create_redirects(client_owner, world):
    fill_draft(client_owner, world, rows=1)
    response = client_owner.post(reverse("wizard:create"), **HTMX)
    peering = Peering.objects.get()
    assert response["HX-Redirect"] == reverse(
        "wizard:deployment",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )


# --- query counts -----------------------------------------------------------------------------


def _count(client, method, url, data=None):
    with CaptureQueriesContext(db_connection) as ctx:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", tab_url("basics"), None),
        ("get", tab_url("configuration"), None),
        ("get", tab_url("review"), None),
        ("post", reverse("wizard:create"), None),
        ("post", tab_url("configuration"), {**configuration_post(), "goto": "review"}),
        ("get", reverse("wizard:connection", args=[0]), None),
        ("post", reverse("wizard:connection", args=[0]), "row"),
    ],
)
def test_query_count_does_not_grow_with_rows(world, owner, method, url, data):
    counts = []
    for rows in (1, 10):
        PeeringDraft.objects.all().delete()
        Peering.objects.all().delete()
        client = Client()
        client.force_login(owner)
        fill_draft(client, world, rows=rows)
        payload = route_server_row(world) if data == "row" else data
        counts.append(_count(client, method, url, payload))
    assert counts[0] == counts[1], counts


def test_direct_edge_derives_the_addresses(client_owner, world):
    client_owner.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    client_owner.post(
        tab_url("configuration"),
        {**configuration_post(microsoft_network="AS8075", sku="Basic Free"), "action": "update"},
    )
    page = client_owner.get(reverse("wizard:connection")).content.decode()
    assert "the first address is yours, the next Microsoft's" in page
    response = client_owner.post(
        reverse("wizard:connection"),
        {
            "facility": str(world["facility"].pk),
            "session_address_provider": "Peer",
            "bandwidth_mbps": "20000",
            "session_prefix_v4": "198.51.100.0/31",
            "max_prefixes_advertised_v4": "100",
        },
    )
    assert response.status_code == 302
    page = client_owner.get(tab_url("review")).content.decode()
    assert "Validation passed" in page
    assert "198.51.100.0/31: 198.51.100.0 / 198.51.100.1" in page
    assert "20 Gbps" in page


def test_voice_forces_microsoft_addresses(client_owner, world):
    client_owner.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    client_owner.post(
        tab_url("configuration"),
        {**configuration_post(microsoft_network="AS8075 (with Voice)"), "action": "update"},
    )
    page = client_owner.get(reverse("wizard:connection")).content.decode()
    assert "Set to Microsoft" in page
    assert "Microsoft allocates the session addresses" in page
    assert 'name="session_prefix_v4"' not in page
    response = client_owner.post(
        reverse("wizard:connection"),
        {
            "facility": str(world["facility"].pk),
            "bandwidth_mbps": "10000",
            "max_prefixes_advertised_v4": "100",
        },
    )
    assert response.status_code == 302
    page = client_owner.get(tab_url("configuration")).content.decode()
    assert "Direct peering with Voice: SKU Premium Free, session address provider Microsoft" in page
    assert ">Microsoft</td>" in page


def test_premium_free_without_agreement_is_explained(client_owner, world):
    world["subscription"].peering_service_agreement_signed = False
    world["subscription"].save()
    client_owner.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    client_owner.post(
        tab_url("configuration"),
        {**configuration_post(microsoft_network="AS8075"), "action": "update"},
    )
    page = client_owner.get(tab_url("configuration")).content.decode()
    assert "Premium Free is reserved for special applications" in page


# --- the draft service ------------------------------------------------------------------------


def test_draft_keeps_values_storable_and_merges(owner):
    from peering.services.wizard import (
        MAX_VALUE_LENGTH,
        draft_connection_remove,
        draft_connection_save,
        draft_save,
    )

    draft_save(user=owner, section="configuration", values={"microsoft_network": "AS8075"})
    draft = draft_save(
        user=owner,
        section="configuration",
        values={"peering_type": "a\x00b", "metro": "x" * 5000, "bogus": "dropped"},
    )
    data = PeeringDraft.objects.get(pk=draft.pk).data
    assert data["configuration"]["microsoft_network"] == "AS8075"  # not sent: kept
    assert data["configuration"]["peering_type"] == "a\ufffdb"
    assert len(data["configuration"]["metro"]) == MAX_VALUE_LENGTH
    assert "bogus" not in data["configuration"]
    with pytest.raises(ValueError):
        draft_save(user=owner, section="connections", values={})
    for i in range(20):
        assert draft_connection_save(user=owner, index=None, values={"facility": str(i)}) == i
    with pytest.raises(Exception) as excinfo:
        draft_connection_save(user=owner, index=None, values={})
    assert "at most 20" in str(excinfo.value)
    assert draft_connection_remove(user=owner, index=0)
    assert not draft_connection_remove(user=owner, index=99)
    assert draft_get(user=owner).data["connections"][0]["facility"] == "1"


def test_connection_dialog_names_each_facility_with_its_peeringdb_id(client_owner, world):
    """Same-named sites are told apart by their PeeringDB id (issue 12 item 10)."""
    client_owner.post(tab_url("basics"), {**basics_post(world), "goto": "configuration"})
    client_owner.post(tab_url("configuration"), {**configuration_post(), "action": "update"})
    page = client_owner.get(reverse("wizard:connection")).content.decode()
    facility = world["facility"]
    label = f"Westin Building Exchange (PeeringDB facility {facility.peeringdb_facility_id})"
    assert re.search(
        rf'<option value="{facility.pk}"( selected)?>{re.escape(label)}</option>', page
    )


# Issue 11: every page of the wizard costs at most ten queries (session, user and the caller's
# role assignments included), with a complete route-server draft of two rows.
WIZARD_QUERIES = {
    "basics": 7,
    "configuration": 9,  # + the metro, its facilities and exchanges
    "review": 10,  # + every check of creating it, the addresses in one query
    "connection": 8,
}


@pytest.mark.parametrize("page", sorted(WIZARD_QUERIES))
def test_wizard_pages_cost_their_queries(world, owner, page):
    client = Client()
    client.force_login(owner)
    fill_draft(client, world, rows=2)
    url = reverse("wizard:connection") if page == "connection" else tab_url(page)
    client.get(url)  # the first GET of a tab records it as the current one
    measured = _count(client, "get", url)
    assert measured == WIZARD_QUERIES[page] <= 10, measured

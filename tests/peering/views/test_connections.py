"""A peering's blades after Create: the tenancy matrix of every URL, the modify flows (add, edit,
delete by typing the resource ID, Use for Peering Service, tags), deprovisioning, the timeline,
htmx fragments and the query budgets."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peering.enums import ConnectionState, DirectPeeringType, Kind, SessionState, SkuName
from peering.models import DeprovisionRequest, PeeringConnection
from peering.services.lifecycle import connection_transition
from portal.models import ActivityLog
from portal.selectors import SESSION_SUBSCRIPTION_KEY
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST_URL = reverse("peering:peering_list")
READ_BLADES = ("peering_detail", "peering_asn", "peering_connections", "peering_tags")
READ_BLADES += ("peering_activity", "peering_deprovision")


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def peer_asn(subscription):
    record = factories.PeerAsnFactory(
        subscription=subscription,
        name="contoso-asn",
        peer_asn=65100 + 1,
        peer_name="Contoso IX",
        validation_state="Approved",
    )
    factories.PeerContactFactory(peer_asn=record, email="noc@contoso.example")
    return record


@pytest.fixture
def metro(db):
    metro = factories.PeeringLocationFactory(name="Seattle")
    factories.route_server_lans(metro)
    return metro


@pytest.fixture
def facility(metro):
    return factories.DirectFacilityFactory(location=metro, name="Westin Building Exchange")


@pytest.fixture
def peering(subscription, peer_asn, metro):
    """A route-server peering (Direct, Premium Free, IxRs) with one Active connection."""
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-peering")
    return factories.PeeringFactory(
        subscription=subscription,
        resource_group=group,
        name="seattle-rs",
        peer_asn=peer_asn,
        peering_location=metro,
    )


@pytest.fixture
def active(peering, facility):
    return factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=facility,
        connection_state=ConnectionState.ACTIVE,
        session_state_v4=SessionState.ESTABLISHED,
    )


@pytest.fixture
def second(peering, facility):
    return factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=facility,
        connection_state=ConnectionState.APPROVED,
        session_prefix_v4="198.51.100.0/24",
        peer_session_ipv4_address="198.51.100.10",
        microsoft_session_ipv4_address="198.51.100.20",
    )


def url(name: str, peering, *extra) -> str:
    return reverse(
        f"peering:{name}",
        args=[peering.subscription_id, peering.resource_group.name, peering.name, *extra],
    )


def conn_url(name: str, connection) -> str:
    return url(name, connection.peering, connection.connection_identifier)


def all_get_urls(peering, connection) -> list[str]:
    return [url(name, peering) for name in READ_BLADES] + [
        url("peering_connection_add", peering),
        conn_url("peering_connection", connection),
        conn_url("peering_connection_edit", connection),
        conn_url("peering_connection_delete", connection),
    ]


def all_post_urls(peering, connection) -> list[str]:
    return [
        url("peering_connection_add", peering),
        url("peering_tags", peering),
        url("peering_deprovision", peering),
        conn_url("peering_connection_edit", connection),
        conn_url("peering_connection_delete", connection),
        conn_url("peering_connection_peering_service", connection),
    ]


# --- tenancy matrix ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, peering, active):
    for target in all_get_urls(peering, active):
        response = client.get(target)
        assert response.status_code == 302, target
        assert response.url.startswith("/accounts/login/"), target
    for target in all_post_urls(peering, active):
        response = client.post(target, {"reason": "x"})
        assert response.status_code == 302, target
        assert response.url.startswith("/accounts/login/"), target


@pytest.mark.django_db
def test_outsider_gets_404_everywhere(client, outsider, peering, active):
    client.force_login(outsider)
    for target in all_get_urls(peering, active):
        assert client.get(target).status_code == 404, target
    for target in all_post_urls(peering, active):
        assert client.post(target, {"reason": "x", "confirm": "x"}).status_code == 404, target
    assert PeeringConnection.objects.filter(pk=active.pk).exists()


@pytest.mark.django_db
def test_unknown_connection_or_other_peerings_connection_is_404(
    client, owner, subscription, peering, active
):
    client.force_login(owner)
    other = factories.PeeringConnectionFactory(
        peering=factories.PeeringFactory(subscription=subscription)
    )
    # Another peering's connection under this peering's URL does not exist here.
    assert (
        client.get(url("peering_connection", peering, other.connection_identifier)).status_code
        == 404
    )
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(url("peering_connection", peering, missing)).status_code == 404


@pytest.mark.django_db
def test_reader_sees_blades_without_write_controls(client, reader, peering, active):
    client.force_login(reader)
    for name in READ_BLADES:
        response = client.get(url(name, peering))
        assert response.status_code == 200, name
        page = html(response)
        assert 'data-testid="add-connections"' not in page, name
        assert '<form method="post"' not in page.split('id="blade-pane"')[1], name
    page = html(client.get(conn_url("peering_connection", active)))
    assert 'data-testid="connection-commands"' not in page
    assert "Edit connection" not in page and "Delete connection" not in page
    assert 'data-testid="timeline"' in page


@pytest.mark.django_db
def test_reader_gets_403_on_every_write(client, reader, peering, active, second):
    client.force_login(reader)
    for name in ("peering_connection_add",):
        assert client.get(url(name, peering)).status_code == 403
    for name in ("peering_connection_edit", "peering_connection_delete"):
        assert client.get(conn_url(name, active)).status_code == 403
    for target in all_post_urls(peering, active):
        response = client.post(
            target,
            {"reason": "bye", "confirm": peering.resource_id, "max_prefixes_advertised_v4": "5"},
        )
        assert response.status_code == 403, target
    assert PeeringConnection.objects.filter(peering=peering).count() == 2
    assert not DeprovisionRequest.objects.exists()
    active.refresh_from_db()
    assert active.max_prefixes_advertised_v4 == 1000


@pytest.mark.django_db
def test_owner_sees_write_controls(client, owner, peering, active, second):
    client.force_login(owner)
    page = html(client.get(conn_url("peering_connection", active)))
    for testid in ("add-connections", "edit-connection", "delete-connection"):
        assert f'data-testid="{testid}"' in page, testid


# --- Overview, ASN information, resource menu ---------------------------------------------------


@pytest.mark.django_db
def test_overview_has_menu_summary_and_open_request(client, owner, peering, active, second):
    DeprovisionRequest.objects.create(
        peering=peering,
        subscription=peering.subscription,
        peering_name=peering.name,
        resource_id=peering.resource_id,
        reason="Moving",
    )
    client.force_login(owner)
    page = html(client.get(url("peering_detail", peering)))
    for name in READ_BLADES:
        assert url(name, peering) in page, name
    assert "1 of 2 connections Active" in page
    assert "1 Approved" in page
    assert 'data-testid="open-deprovision-request"' in page
    assert 'aria-current="page">Overview' in page


@pytest.mark.django_db
def test_asn_information(client, reader, peering):
    client.force_login(reader)
    page = html(client.get(url("peering_asn", peering)))
    for text in ("contoso-asn", "AS65101", "Contoso IX", "state-approved", "noc@contoso.example"):
        assert text in page, text


@pytest.mark.django_db
def test_menu_navigation_with_htmx_returns_the_pane_and_menu_out_of_band(client, owner, peering):
    client.force_login(owner)
    response = client.get(url("peering_asn", peering), HTTP_HX_TARGET="blade-pane", **HTMX)
    page = html(response)
    assert "<html" not in page
    assert 'id="blade-pane"' in page
    assert 'hx-swap-oob="true"' in page and 'aria-current="page">ASN information' in page


# --- Connections grid, detail pane, timeline ----------------------------------------------------


@pytest.mark.django_db
def test_connections_grid_and_detail(client, owner, peering, active):
    client.force_login(owner)
    page = html(client.get(url("peering_connections", peering)))
    for text in (
        "Connection State",
        "IPv4 Session State",
        "IPv6 Session State",
        "Use for Peering Service",
        "10 Gbps / —",  # issue 12: Gbps everywhere, not provisioned is "—"
        conn_url("peering_connection", active),
        'data-testid="no-connection-selected"',
    ):
        assert text in page, text
    page = html(client.get(conn_url("peering_connection", active)))
    for text in (
        "Configuration",
        "IPv4 address",
        "IPv6 address",
        str(active.connection_identifier),
        "192.0.2.0/24",
        "192.0.2.10",
        "192.0.2.20",
        "state-established",
        "No IPv6 session",
        'class="row-current"',
    ):
        assert text in page, text


@pytest.mark.django_db
def test_timeline_names_who_moved_and_who_acts_next(client, owner, operator, peering, facility):
    pending = factories.PeeringConnectionFactory(peering=peering, direct_facility=facility)
    pending = connection_transition(
        connection=pending, to_state=ConnectionState.APPROVED, user=operator, note="Looks good"
    )
    client.force_login(owner)
    page = html(client.get(conn_url("peering_connection", pending)))
    assert "Connection requested" in page
    assert "by Microsoft" in page and "Looks good" in page
    assert "<strong>You</strong>: Configure BGP on your side" in page
    assert "as soon as you are ready" in page


@pytest.mark.django_db
def test_timeline_shows_the_peer_by_name(client, owner, operator, peering, active, subscription):
    subscription.peering_service_agreement_signed = True
    subscription.save()
    owner.first_name, owner.last_name = "Elena", "Exchange"
    owner.save()
    client.force_login(owner)
    response = client.post(conn_url("peering_connection_peering_service", active), follow=True)
    page = html(response)
    active.refresh_from_db()
    assert active.connection_state == ConnectionState.TYPE_CHANGE_REQUESTED
    assert "Use for Peering Service requested" in page
    assert "by Elena Exchange" in page
    assert "<strong>Microsoft</strong>: Microsoft reviews the type change request." in page


@pytest.mark.django_db
def test_htmx_row_click_returns_the_detail_pane_and_the_grid_out_of_band(
    client, owner, peering, active
):
    client.force_login(owner)
    response = client.get(
        conn_url("peering_connection", active), HTTP_HX_TARGET="connection-detail", **HTMX
    )
    page = html(response)
    assert "<html" not in page
    assert page.lstrip().startswith('<section id="connection-detail"')
    assert 'id="connections-grid" class="connections-grid" hx-swap-oob="true"' in page
    assert 'id="resource-menu"' not in page


@pytest.mark.django_db
def test_peering_service_disabled_with_the_reason(client, owner, peering, active):
    client.force_login(owner)
    page = html(client.get(conn_url("peering_connection", active)))
    assert "needs a signed Peering Service agreement" in page
    assert 'data-testid="use-for-peering-service" disabled' in page
    # A forged request is refused by the service and shown as a message, never a 500.
    response = client.post(conn_url("peering_connection_peering_service", active), follow=True)
    assert response.status_code == 200
    assert "signed Peering Service agreement" in html(response)
    active.refresh_from_db()
    assert active.connection_state == ConnectionState.ACTIVE


@pytest.fixture
def exchange_connection(subscription, peer_asn, metro):
    """An Active IPv4-only connection of an Exchange peering."""
    exchange = factories.ExchangeFactory(location=metro, name="Equinix Seattle")
    peering = factories.PeeringFactory(
        subscription=subscription,
        kind=Kind.EXCHANGE,
        sku_name=SkuName.BASIC_EXCHANGE_FREE,
        direct_peering_type="",
        peer_asn=peer_asn,
        peering_location=metro,
    )
    return factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=None,
        exchange=exchange,
        session_address_provider="",
        bandwidth_mbps=None,
        connection_state=ConnectionState.ACTIVE,
        session_prefix_v4="198.32.134.0/24",
        peer_session_ipv4_address="198.32.134.10",
        microsoft_session_ipv4_address="198.32.134.152",
    )


@pytest.mark.django_db
def test_peering_service_disabled_for_exchange(client, owner, subscription, exchange_connection):
    subscription.peering_service_agreement_signed = True
    subscription.save()
    client.force_login(owner)
    page = html(client.get(conn_url("peering_connection", exchange_connection)))
    assert "Exchange connections cannot be used for Peering Service" in page
    assert ">Exchange<" in page


@pytest.mark.django_db
def test_exchange_forms(client, owner, exchange_connection):
    peering = exchange_connection.peering
    client.force_login(owner)
    page = html(client.get(url("peering_connection_add", peering)))
    assert "Exchange Peering Connection" in page and "Equinix Seattle" in page
    edit = conn_url("peering_connection_edit", exchange_connection)
    page = html(client.get(edit))
    assert "IPv6 address" in page and "Bandwidth" not in page
    assert "Session IPv6 prefix" not in page
    response = client.post(
        edit,
        {
            "peer_session_ipv6_address": "2001:504:12::10",
            "max_prefixes_advertised_v4": "1000",
            "max_prefixes_advertised_v6": "100",
        },
    )
    assert response.status_code == 302, html(response)
    exchange_connection.refresh_from_db()
    assert exchange_connection.peer_session_ipv6_address == "2001:504:12::10"
    assert exchange_connection.microsoft_session_ipv6_address == "2001:504:12::15"
    assert exchange_connection.session_state_v6 == SessionState.PENDING_ADD


@pytest.mark.django_db
def test_legacy_connection_is_read_only(client, owner, peering, facility):
    legacy = factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=facility,
        is_legacy=True,
        connection_state=ConnectionState.ACTIVE,
    )
    client.force_login(owner)
    page = html(client.get(conn_url("peering_connection", legacy)))
    assert "read-only (converted legacy connection)" in page
    assert 'data-testid="connection-commands"' not in page
    assert "read-only (converted legacy connection)" in html(
        client.get(conn_url("peering_connection_edit", legacy))
    )
    response = client.post(
        conn_url("peering_connection_edit", legacy), {"max_prefixes_advertised_v4": "5"}
    )
    assert response.status_code == 200
    assert "Converted legacy connections cannot be changed" in html(response)
    legacy.refresh_from_db()
    assert legacy.max_prefixes_advertised_v4 == 1000


# --- Add connections ----------------------------------------------------------------------------


def add_row(facility, **overrides) -> dict:
    row = {
        "facility": str(facility.pk),
        "session_prefix_v4": "203.0.113.0/24",
        "peer_session_ipv4_address": "203.0.113.10",
        "microsoft_session_ipv4_address": "203.0.113.20",
        "max_prefixes_advertised_v4": "20000",
        "bandwidth_mbps": "20000",
    }
    row.update(overrides)
    return row


@pytest.mark.django_db
def test_add_connection_form_offers_the_metros_facilities(client, owner, peering, facility):
    factories.DirectFacilityFactory(name="Elsewhere")  # another metro
    client.force_login(owner)
    page = html(client.get(url("peering_connection_add", peering)))
    assert "Direct Peering Connection" in page
    assert "Westin Building Exchange" in page and "Elsewhere" not in page
    assert "Set to Peer" in page  # route server: provider fixed


@pytest.mark.django_db
def test_add_connection_happy_path(client, owner, peering, active, facility):
    client.force_login(owner)
    response = client.post(url("peering_connection_add", peering), add_row(facility))
    added = PeeringConnection.objects.exclude(pk=active.pk).get(peering=peering)
    assert response.status_code == 302
    assert response.url == conn_url("peering_connection", added)
    assert added.connection_state == ConnectionState.PENDING_APPROVAL
    assert added.session_state_v4 == SessionState.PENDING_ADD
    assert added.bandwidth_mbps == 20000
    page = html(client.get(response.url))
    assert "PendingApproval while Microsoft" in page
    assert "Microsoft&#x27;s peering team reviews the request" in page


@pytest.mark.django_db
def test_add_connection_refusal_lands_on_the_field_and_keeps_values(
    client, owner, peering, active, facility
):
    client.force_login(owner)
    row = add_row(facility, peer_session_ipv4_address="10.0.0.1")
    response = client.post(url("peering_connection_add", peering), row)
    page = html(response)
    assert response.status_code == 200
    assert 'data-testid="connection-errors"' in page
    assert 'data-testid="error-peer_session_ipv4_address"' in page
    assert 'value="10.0.0.1"' in page and 'value="203.0.113.20"' in page
    assert PeeringConnection.objects.filter(peering=peering).count() == 1


@pytest.mark.django_db
def test_add_connection_flags_every_bad_field_at_once(client, owner, peering, active, facility):
    """hello / world / 1.2.3: three messages, each next to its field and in the summary."""
    client.force_login(owner)
    row = add_row(
        facility,
        session_prefix_v4="hello",
        peer_session_ipv4_address="world",
        microsoft_session_ipv4_address="1.2.3",
    )
    page = html(client.post(url("peering_connection_add", peering), row))
    for name in (
        "session_prefix_v4",
        "peer_session_ipv4_address",
        "microsoft_session_ipv4_address",
    ):
        assert f'data-testid="error-{name}"' in page, name
        assert f'<a href="#id_{name}">' in page, name
    assert "&#x27;world&#x27; is not a valid Peer session IPv4 address" in page
    assert "&#x27;1.2.3&#x27; is not a valid Microsoft session IPv4 address" in page
    assert page.count('data-testid="summary-error"') == 3
    assert PeeringConnection.objects.filter(peering=peering).count() == 1


@pytest.mark.django_db
def test_add_connection_address_clash(client, owner, peering, active, facility):
    client.force_login(owner)
    row = add_row(
        facility,
        session_prefix_v4="192.0.2.0/24",
        peer_session_ipv4_address="192.0.2.10",
        microsoft_session_ipv4_address="192.0.2.99",
    )
    page = html(client.post(url("peering_connection_add", peering), row))
    assert "192.0.2.10 is already used at Westin Building Exchange" in page


@pytest.mark.django_db
def test_add_connection_cancel_and_garbage(client, owner, peering, active):
    client.force_login(owner)
    response = client.post(url("peering_connection_add", peering), {"cancel": "1"})
    assert response.status_code == 302
    assert response.url == url("peering_connections", peering)
    response = client.post(
        url("peering_connection_add", peering), {"facility": "x" * 5000, "bandwidth_mbps": "<b>"}
    )
    assert response.status_code == 200
    assert "<b>" not in html(response)


# --- Edit connection ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_edit_adds_an_ipv6_session_and_changes_max_prefixes(client, owner, peering, active):
    client.force_login(owner)
    form = html(client.get(conn_url("peering_connection_edit", active)))
    assert "Add an IPv6 session" in form and "Add an IPv4 session" not in form
    response = client.post(
        conn_url("peering_connection_edit", active),
        {
            "session_prefix_v6": "2001:db8:1::/64",
            "peer_session_ipv6_address": "2001:db8:1::10",
            "microsoft_session_ipv6_address": "2001:db8:1::20",
            "max_prefixes_advertised_v4": "2000",
            "max_prefixes_advertised_v6": "500",
            "bandwidth_mbps": "20000",
        },
    )
    assert response.status_code == 302
    assert response.url == conn_url("peering_connection", active)
    active.refresh_from_db()
    assert active.peer_session_ipv6_address == "2001:db8:1::10"
    assert active.session_state_v6 == SessionState.PENDING_ADD
    assert active.max_prefixes_advertised_v4 == 2000
    assert active.max_prefixes_advertised_v6 == 500
    assert active.bandwidth_mbps == 20000


@pytest.mark.django_db
def test_edit_refusals_are_shown_next_to_fields(client, owner, peering, active):
    client.force_login(owner)
    response = client.post(
        conn_url("peering_connection_edit", active),
        {"max_prefixes_advertised_v4": "999999", "bandwidth_mbps": "10000"},
    )
    page = html(response)
    assert response.status_code == 200
    assert 'data-testid="error-max_prefixes_advertised_v4"' in page
    assert 'value="999999"' in page
    # Nothing changed at all: a message at the top.
    page = html(
        client.post(
            conn_url("peering_connection_edit", active), {"max_prefixes_advertised_v4": "1000"}
        )
    )
    assert "Nothing changed." in page


@pytest.mark.django_db
def test_edit_of_a_connection_that_is_not_active(client, owner, peering, second):
    client.force_login(owner)
    page = html(client.get(conn_url("peering_connection_edit", second)))
    assert "Only Active connections can be edited" in page
    assert 'data-testid="edit-connection-form"' not in page
    page = html(client.get(conn_url("peering_connection", second)))
    assert "Edit connection is available once the connection is Active" in page


# --- Delete connection --------------------------------------------------------------------------


@pytest.mark.django_db
def test_delete_shows_the_resource_id_and_wrong_id_deletes_nothing(
    client, owner, peering, active, second
):
    client.force_login(owner)
    target = conn_url("peering_connection_delete", second)
    page = html(client.get(target))
    assert "Confirm delete" in page and peering.resource_id in page
    response = client.post(target, {"confirm": "/subscriptions/wrong"})
    page = html(response)
    assert response.status_code == 200
    assert 'data-testid="error-confirm"' in page
    assert 'value="/subscriptions/wrong"' in page
    assert PeeringConnection.objects.filter(pk=second.pk).exists()


@pytest.mark.django_db
def test_delete_by_typing_the_resource_id(client, owner, peering, active, second):
    client.force_login(owner)
    response = client.post(
        conn_url("peering_connection_delete", second), {"confirm": peering.resource_id}
    )
    assert response.status_code == 302
    assert response.url == url("peering_connections", peering)
    assert not PeeringConnection.objects.filter(pk=second.pk).exists()
    page = html(client.get(response.url))
    assert "was deleted" in page
    assert ActivityLog.objects.filter(operation_display="Delete connection").exists()


@pytest.mark.django_db
def test_delete_refusals_appear_at_the_top(client, owner, peering, active):
    client.force_login(owner)
    response = client.post(
        conn_url("peering_connection_delete", active), {"confirm": peering.resource_id}
    )
    page = html(response)
    assert response.status_code == 200
    assert "last connection" in page and 'data-testid="delete-errors"' in page
    assert PeeringConnection.objects.filter(pk=active.pk).exists()


# --- Tags ---------------------------------------------------------------------------------------


def tag_post(rows: list[tuple[str, str]], **extra) -> dict:
    data = {"tag_index": [str(i) for i in range(len(rows))]}
    for i, (name, value) in enumerate(rows):
        data[f"tag-{i}-name"] = name
        data[f"tag-{i}-value"] = value
    data.update(extra)
    return data


@pytest.mark.django_db
def test_tags_save(client, owner, peering):
    client.force_login(owner)
    response = client.post(url("peering_tags", peering), tag_post([("env", "prod"), ("", "")]))
    assert response.status_code == 302
    peering.refresh_from_db()
    assert peering.tags == {"env": "prod"}
    page = html(client.get(url("peering_tags", peering)))
    assert "Tags saved." in page and 'value="prod"' in page
    assert "env: prod" in html(client.get(url("peering_detail", peering)))


@pytest.mark.django_db
def test_tags_add_and_remove_rows_without_javascript(client, owner, peering):
    client.force_login(owner)
    page = html(client.post(url("peering_tags", peering), tag_post([("a", "1")], add_tag="1")))
    assert page.count('data-testid="tag-row"') == 2  # a, and a new blank row
    assert 'value="a"' in page
    page = html(
        client.post(
            url("peering_tags", peering), tag_post([("a", "1"), ("b", "2")], remove_tag="0")
        )
    )
    assert 'value="a"' not in page and 'value="b"' in page
    peering.refresh_from_db()
    assert peering.tags == {}


@pytest.mark.django_db
def test_tags_htmx_row_change_returns_the_grid(client, owner, peering):
    client.force_login(owner)
    response = client.post(
        url("peering_tags", peering),
        tag_post([("a", "1")], add_tag="1"),
        HTTP_HX_TARGET="tag-grid",
        **HTMX,
    )
    page = html(response)
    assert "<html" not in page and page.lstrip().startswith('<div id="tag-grid"')


@pytest.mark.django_db
def test_tag_errors_land_on_their_rows(client, owner, peering):
    client.force_login(owner)
    page = html(
        client.post(
            url("peering_tags", peering),
            tag_post([("ok", "1"), ("bad/name", "2"), ("ok", "3"), ("", "orphan")]),
        )
    )
    assert "The tags were not saved." in page
    assert "used twice" in page
    assert "Enter a name for this tag." in page
    assert 'value="bad/name"' in page and 'value="orphan"' in page
    page = html(client.post(url("peering_tags", peering), tag_post([("bad/name", "2")])))
    assert 'id="tag-0-name-error"' in page and "none of &lt; &gt;" in page
    peering.refresh_from_db()
    assert peering.tags == {}


# --- Activity log -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_activity_log_shows_this_peerings_entries(client, reader, peering, subscription):
    factories.ActivityLogFactory(
        subscription=subscription, resource_id=peering.resource_id, operation_display="Mine"
    )
    factories.ActivityLogFactory(
        subscription=subscription,
        resource_id=f"{peering.resource_id}/connections/1",
        operation_display="Child",
    )
    factories.ActivityLogFactory(
        subscription=subscription,
        resource_id=f"{peering.resource_id}-other",
        operation_display="Sibling",
    )
    factories.ActivityLogFactory(resource_id=peering.resource_id, operation_display="Foreign")
    client.force_login(reader)
    page = html(client.get(url("peering_activity", peering)))
    assert "Mine" in page and "Child" in page
    assert "Sibling" not in page and "Foreign" not in page
    assert page.index("Child") < page.index("Mine")  # newest first
    response = client.get(
        url("peering_activity", peering), {"page": "2"}, HTTP_HX_TARGET="activity-results", **HTMX
    )
    assert "<html" not in html(response)


# --- Deprovision --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deprovision_request(client, owner, peering, active):
    client.force_login(owner)
    page = html(client.get(url("peering_deprovision", peering)))
    assert "How deprovisioning works" in page and "PendingRemove" in page
    response = client.post(url("peering_deprovision", peering), {"reason": ""})
    assert response.status_code == 200
    assert "Give the reason" in html(response)
    response = client.post(url("peering_deprovision", peering), {"reason": "Leaving Seattle"})
    assert response.status_code == 302
    request = DeprovisionRequest.objects.get(peering=peering)
    assert request.state == DeprovisionRequest.State.REQUESTED
    page = html(client.get(response.url))
    assert "Deprovisioning requested" in page
    assert "Leaving Seattle" in page and 'data-testid="open-deprovision-request"' in page
    assert 'data-testid="deprovision-form"' not in page


@pytest.mark.django_db
def test_deprovision_blocked_while_provisioning(client, owner, peering, active, facility):
    blocker = factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=facility,
        connection_state=ConnectionState.PROVISIONING_STARTED,
    )
    client.force_login(owner)
    page = html(client.get(url("peering_deprovision", peering)))
    assert 'data-testid="deprovision-blocked"' in page
    assert conn_url("peering_connection", blocker) in page
    response = client.post(url("peering_deprovision", peering), {"reason": "Leaving"})
    assert "Deprovisioning is refused while a connection is ProvisioningStarted" in html(response)
    assert not DeprovisionRequest.objects.exists()


@pytest.mark.django_db
def test_deprovision_names_customers_and_needs_the_confirmation(
    client, owner, peering, active, monkeypatch
):
    customers = ["Fabrikam (AS65200)"]
    monkeypatch.setattr("peering.views.peerings.customers_using", lambda p: customers)
    monkeypatch.setattr("peering.services.deprovision.customers_using", lambda p: customers)
    client.force_login(owner)
    page = html(client.get(url("peering_deprovision", peering)))
    assert "Fabrikam (AS65200)" in page
    assert "I understand these customers lose Peering Service" in page
    response = client.post(url("peering_deprovision", peering), {"reason": "Leaving"})
    page = html(response)
    assert 'data-testid="error-confirm_customers"' in page and "Leaving" in page
    assert not DeprovisionRequest.objects.exists()
    response = client.post(
        url("peering_deprovision", peering), {"reason": "Leaving", "confirm_customers": "on"}
    )
    assert response.status_code == 302
    assert DeprovisionRequest.objects.get().customers_confirmed == "Fabrikam (AS65200)"


@pytest.mark.django_db
def test_deprovision_history_shows_decline_reason(client, reader, peering, operator):
    DeprovisionRequest.objects.create(
        peering=peering,
        subscription=peering.subscription,
        peering_name=peering.name,
        resource_id=peering.resource_id,
        reason="Consolidating",
        state=DeprovisionRequest.State.DECLINED,
        decline_reason="Customers still depend on it",
        decided_by=operator,
    )
    client.force_login(reader)
    page = html(client.get(url("peering_deprovision", peering)))
    assert "Consolidating" in page and "Customers still depend on it" in page
    assert "state-declined" in page


# --- Peerings list ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_filters_by_connection_state_and_type(client, owner, subscription, peering, active):
    other = factories.PeeringFactory(
        subscription=subscription,
        name="edge-one",
        direct_peering_type=DirectPeeringType.EDGE,
        sku_name=SkuName.BASIC_DIRECT_FREE,
        peer_asn=peering.peer_asn,
    )
    factories.PeeringConnectionFactory(peering=other)
    factories.PeeringConnectionFactory(peering=other)
    client.force_login(owner)
    page = html(client.get(LIST_URL, {"connection_state": "Active"}))
    assert ">seattle-rs<" in page and ">edge-one<" not in page
    page = html(client.get(LIST_URL, {"connection_state": "PendingApproval"}))
    assert ">edge-one<" in page and ">seattle-rs<" not in page
    assert page.count(">edge-one<") == 1  # EXISTS: two matching connections, one row
    page = html(client.get(LIST_URL, {"direct_peering_type": "Edge"}))
    assert ">edge-one<" in page and ">seattle-rs<" not in page
    # One bad filter is ignored; the others still apply.
    page = html(client.get(LIST_URL, {"kind": "Nope", "direct_peering_type": "IxRs"}))
    assert ">seattle-rs<" in page and ">edge-one<" not in page


@pytest.mark.django_db
def test_list_sorts_and_honours_the_switcher(
    client, owner, subscription, other_subscription, peering
):
    factories.PeeringFactory(subscription=subscription, name="aaa-first", peer_asn=peering.peer_asn)
    factories.RoleAssignmentFactory(user=owner, subscription=other_subscription)
    factories.PeeringFactory(subscription=other_subscription, name="zzz-elsewhere")
    client.force_login(owner)
    page = html(client.get(LIST_URL, {"sort": "name"}))
    assert page.index("aaa-first") < page.index("seattle-rs") < page.index("zzz-elsewhere")
    assert 'aria-sort="ascending"' in page
    page = html(client.get(LIST_URL, {"sort": "-name"}))
    assert page.index("zzz-elsewhere") < page.index("seattle-rs") < page.index("aaa-first")
    assert client.get(LIST_URL, {"sort": "bogus"}).status_code == 200
    session = client.session
    session[SESSION_SUBSCRIPTION_KEY] = str(subscription.pk)
    session.save()
    page = html(client.get(LIST_URL))
    assert "zzz-elsewhere" not in page and "seattle-rs" in page


@pytest.mark.django_db
def test_list_htmx_returns_the_results_only(client, owner, peering):
    client.force_login(owner)
    response = client.get(LIST_URL, {"sort": "-created"}, **HTMX)
    page = html(response)
    assert "<html" not in page and page.lstrip().startswith('<div id="peering-results"')


# --- query budgets ------------------------------------------------------------------------------


def count_queries(client, target, **headers) -> int:
    with CaptureQueriesContext(db_connection) as queries:
        response = client.get(target, **headers)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_peering_list_queries_are_constant(client, owner, subscription, peer_asn):
    client.force_login(owner)

    def make(n):
        for _ in range(n):
            item = factories.PeeringFactory(subscription=subscription, peer_asn=peer_asn)
            factories.PeeringConnectionFactory(peering=item)
            factories.PeeringConnectionFactory(
                peering=item, connection_state=ConnectionState.ACTIVE
            )

    target = f"{LIST_URL}?connection_state=Active&sort=metro"
    make(3)
    few = count_queries(client, target)
    make(27)
    assert count_queries(client, target) == few
    assert count_queries(client, LIST_URL, **HTMX) <= few


@pytest.mark.django_db
def test_connections_blade_queries_are_constant(client, owner, operator, peering, facility):
    client.force_login(owner)

    def make(n):
        for _ in range(n):
            conn = factories.PeeringConnectionFactory(peering=peering)
            connection_transition(connection=conn, to_state=ConnectionState.APPROVED, user=operator)

    make(3)
    first = peering.connections.first()
    grid_few = count_queries(client, url("peering_connections", peering))
    detail_few = count_queries(client, conn_url("peering_connection", first))
    make(27)
    assert count_queries(client, url("peering_connections", peering)) == grid_few
    assert count_queries(client, conn_url("peering_connection", first)) == detail_few
    assert detail_few <= grid_few + 1  # the timeline is one query

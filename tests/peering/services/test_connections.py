"""Changing a peering after Create (peering.services.connections): add and delete connections,
edit an Active connection, request Use for Peering Service, edit tags.

Every refusal is a ValidationError (or PermissionDenied for a Reader or another tenant) and
writes nothing: the row counts and the connection's values are compared before and after.
"""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict

from peering.enums import (
    ConnectionState,
    Kind,
    ProvisioningState,
    SessionAddressProvider,
    SessionState,
    SkuName,
)
from peering.models import Actor, ConnectionTransition, Peering, PeeringConnection
from peering.services.connections import (
    MAX_TAGS,
    configuration_of,
    connection_add,
    connection_delete,
    connection_request_peering_service,
    connection_update,
    peering_tags_update,
)
from peering.services.lifecycle import REMOVAL_BLOCKED, connection_transition
from peering.services.peerings import MAX_CONNECTIONS
from portal.models import ActivityLog, Notification
from tests import factories

S = ConnectionState
OTHER_STATES = [s for s in S.values if s != S.ACTIVE]


@pytest.fixture
def world(subscription, owner, reader, outsider, operator, region):
    metro = factories.PeeringLocationFactory(name="Seattle")
    factories.route_server_lans(metro)
    chicago = factories.PeeringLocationFactory(name="Chicago")
    all_types = ["Edge", "IxRs", "Voice"]
    fac = factories.DirectFacilityFactory(
        location=metro, name="Equinix SE2", direct_peering_types=all_types
    )
    fac2 = factories.DirectFacilityFactory(
        location=metro, name="Westin Building", direct_peering_types=all_types
    )
    edge_only = factories.DirectFacilityFactory(
        location=metro, name="Edge Only", direct_peering_types=["Edge"]
    )
    fac_chicago = factories.DirectFacilityFactory(
        location=chicago, name="Equinix CH1", direct_peering_types=all_types
    )
    ix = factories.ExchangeFactory(
        location=metro,
        name="Equinix Seattle",
        ipv4_prefix="198.32.134.0/24",
        ipv6_prefix="2001:504:12::/64",
        microsoft_ipv4_address="198.32.134.152",
        microsoft_ipv6_address="2001:504:12::15",
    )
    ix_chicago = factories.ExchangeFactory(
        location=chicago,
        name="Equinix Chicago",
        ipv4_prefix="208.115.136.0/23",
        ipv6_prefix="2001:504:0:4::/64",
        microsoft_ipv4_address="208.115.136.40",
        microsoft_ipv6_address="2001:504:0:4::8075:1",
    )
    peer_asn = factories.PeerAsnFactory(
        subscription=subscription, name="contoso-asn", peer_asn=13335, validation_state="Approved"
    )
    factories.PeerContactFactory(peer_asn=peer_asn, email="noc@contoso.net")
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-peering")

    def peering(name, kind, sku, direct_type):
        return factories.PeeringFactory(
            subscription=subscription,
            resource_group=group,
            name=name,
            kind=kind,
            sku_name=sku,
            direct_peering_type=direct_type,
            peering_location=metro,
            peer_asn=peer_asn,
        )

    w = SimpleNamespace(
        subscription=subscription,
        owner=owner,
        reader=reader,
        outsider=outsider,
        operator=operator,
        metro=metro,
        fac=fac,
        fac2=fac2,
        edge_only=edge_only,
        fac_chicago=fac_chicago,
        ix=ix,
        ix_chicago=ix_chicago,
        peer_asn=peer_asn,
        group=group,
        edge=peering("contoso-edge", Kind.DIRECT, SkuName.BASIC_DIRECT_FREE, "Edge"),
        rs=peering("contoso-rs", Kind.DIRECT, SkuName.PREMIUM_DIRECT_FREE, "IxRs"),
        voice=peering("contoso-voice", Kind.DIRECT, SkuName.PREMIUM_DIRECT_FREE, "Voice"),
        exchange=peering("contoso-ix", Kind.EXCHANGE, SkuName.BASIC_EXCHANGE_FREE, ""),
    )
    w.edge_conn = factories.PeeringConnectionFactory(
        peering=w.edge,
        direct_facility=fac,
        connection_state=S.ACTIVE,
        session_address_provider=SessionAddressProvider.PEER,
        bandwidth_mbps=20000,
        provisioned_bandwidth_mbps=20000,
        session_prefix_v4="192.0.2.0/31",
        peer_session_ipv4_address="192.0.2.0",
        microsoft_session_ipv4_address="192.0.2.1",
        session_state_v4=SessionState.ESTABLISHED,
        max_prefixes_advertised_v4=1000,
    )
    w.rs_conn = factories.PeeringConnectionFactory(
        peering=w.rs,
        direct_facility=fac,
        connection_state=S.ACTIVE,
        bandwidth_mbps=10000,
        session_prefix_v4="198.51.100.0/24",
        peer_session_ipv4_address="198.51.100.10",
        microsoft_session_ipv4_address="198.51.100.1",
        session_state_v4=SessionState.ESTABLISHED,
    )
    w.ix_conn = factories.PeeringConnectionFactory(
        peering=w.exchange,
        direct_facility=None,
        exchange=ix,
        session_address_provider="",
        connection_state=S.ACTIVE,
        bandwidth_mbps=None,
        session_prefix_v4="198.32.134.0/24",
        peer_session_ipv4_address="198.32.134.10",
        microsoft_session_ipv4_address="198.32.134.152",
        session_state_v4=SessionState.ESTABLISHED,
        max_prefixes_advertised_v4=100,
    )
    return w


def sign_agreement(subscription):
    subscription.peering_service_agreement_signed = True
    subscription.save(update_fields=["peering_service_agreement_signed"])


def snapshot():
    """Everything a refusal must leave as it was."""
    return (
        [model_to_dict(c) for c in PeeringConnection.objects.order_by("pk")],
        [(p.pk, p.provisioning_state, p.tags) for p in Peering.objects.order_by("pk")],
        ActivityLog.objects.count(),
        ConnectionTransition.objects.count(),
        Notification.objects.count(),
    )


@pytest.fixture
def unchanged(world):
    """Assert inside the `with` that nothing was written."""

    class Unchanged:
        def __enter__(self):
            self.before = snapshot()
            return self

        def __exit__(self, *exc):
            assert snapshot() == self.before
            return False

    return Unchanged


def edge_row(world, **overrides):
    row = {
        "facility": str(world.fac2.pk),
        "session_address_provider": "Peer",
        "bandwidth_mbps": "10000",
        "session_prefix_v4": "192.0.2.4/31",
        "max_prefixes_advertised_v4": "1000",
    }
    row.update(overrides)
    return row


def ix_row(world, **overrides):
    row = {
        "facility": str(world.ix.pk),
        "peer_session_ipv4_address": "198.32.134.11",
        "max_prefixes_advertised_v4": "100",
    }
    row.update(overrides)
    return row


# --- configuration_of -----------------------------------------------------------------------


def test_configuration_of_maps_each_peering_to_its_wizard_variant(world):
    assert configuration_of(world.edge).variant.key == "direct"
    assert configuration_of(world.rs).variant.key == "route_server"
    assert configuration_of(world.voice).variant.key == "voice"
    assert configuration_of(world.exchange).variant.key == "exchange"
    assert configuration_of(world.edge).metro == world.metro


# --- connection_add -----------------------------------------------------------------------------


def test_add_a_direct_connection(world):
    before_logs = ActivityLog.objects.count()
    connection = connection_add(user=world.owner, peering=world.edge, row=edge_row(world))
    connection.refresh_from_db()
    assert connection.peering == world.edge
    assert connection.direct_facility == world.fac2
    assert connection.connection_state == S.PENDING_APPROVAL
    assert connection.session_address_provider == SessionAddressProvider.PEER
    assert connection.bandwidth_mbps == 10000
    assert connection.provisioned_bandwidth_mbps == 0
    assert (connection.peer_session_ipv4_address, connection.microsoft_session_ipv4_address) == (
        "192.0.2.4",
        "192.0.2.5",
    )
    assert connection.session_state_v4 == SessionState.PENDING_ADD
    assert connection.session_state_v6 == SessionState.NONE
    assert connection.max_prefixes_advertised_v4 == 1000
    assert not connection.is_legacy
    assert ActivityLog.objects.count() == before_logs + 1
    log = ActivityLog.objects.latest("id")
    assert log.operation_display == "Add connection"
    assert log.user == world.owner
    assert log.resource_id == world.edge.resource_id
    assert "Connection 2 at Westin Building" in log.message
    assert "PendingApproval" in log.message


def test_add_a_dual_stack_direct_connection(world):
    connection = connection_add(
        user=world.owner,
        peering=world.edge,
        row=edge_row(
            world,
            session_prefix_v6="2001:db8:1::/127",
            max_prefixes_advertised_v6="100",
            bandwidth_mbps="100000",
        ),
    )
    assert connection.peer_session_ipv6_address == "2001:db8:1::"
    assert connection.microsoft_session_ipv6_address == "2001:db8:1::1"
    assert connection.session_state_v6 == SessionState.PENDING_ADD
    assert connection.max_prefixes_advertised_v6 == 100
    assert connection.bandwidth_mbps == 100000


def test_add_an_exchange_connection(world):
    connection = connection_add(user=world.owner, peering=world.exchange, row=ix_row(world))
    assert connection.exchange == world.ix and connection.direct_facility is None
    assert connection.session_prefix_v4 == "198.32.134.0/24"
    assert connection.microsoft_session_ipv4_address == "198.32.134.152"
    assert connection.connection_state == S.PENDING_APPROVAL
    assert connection.bandwidth_mbps is None


def test_add_a_voice_connection_microsoft_allocates(world):
    connection = connection_add(
        user=world.owner,
        peering=world.voice,
        row={
            "facility": str(world.fac.pk),
            "bandwidth_mbps": "10000",
            "max_prefixes_advertised_v4": "50",
        },
    )
    assert connection.session_address_provider == SessionAddressProvider.MICROSOFT
    assert connection.peer_session_ipv4_address is None
    assert connection.session_state_v4 == SessionState.PENDING_ADD


def test_add_with_use_for_peering_service_needs_the_agreement(world, unchanged):
    row = edge_row(world, use_for_peering_service="on")
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.edge, row=row)
    assert "agreement" in exc.value.message_dict["use_for_peering_service"][0]
    sign_agreement(world.subscription)
    # Issue 10, defect 3: a Basic Free Direct peering never carries the flag, agreement or not.
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.edge, row=row)
    assert "Premium Free" in exc.value.message_dict["use_for_peering_service"][0]
    connection = connection_add(
        user=world.owner,
        peering=world.rs,
        row={
            "facility": str(world.fac.pk),
            "bandwidth_mbps": "10000",
            "use_for_peering_service": "on",
            "session_prefix_v4": "203.0.113.0/24",
            "peer_session_ipv4_address": "203.0.113.10",
            "microsoft_session_ipv4_address": "203.0.113.254",
            "max_prefixes_advertised_v4": "1000",
        },
    )
    assert connection.use_for_peering_service


def _bad(**overrides):
    return overrides


BAD_EDGE_ROWS = {
    "no facility": (_bad(facility=""), "facility"),
    "facility in another metro": (_bad(facility="fac_chicago"), "facility"),
    "unknown facility": (_bad(facility="999999"), "facility"),
    "no provider": (_bad(session_address_provider=""), "session_address_provider"),
    "bad provider": (_bad(session_address_provider="Both"), "session_address_provider"),
    "bandwidth missing": (_bad(bandwidth_mbps=""), "bandwidth_mbps"),
    "bandwidth 5 Gbps": (_bad(bandwidth_mbps="5000"), "bandwidth_mbps"),
    "bandwidth 15 Gbps": (_bad(bandwidth_mbps="15000"), "bandwidth_mbps"),
    "bandwidth 110 Gbps": (_bad(bandwidth_mbps="110000"), "bandwidth_mbps"),
    "bandwidth words": (_bad(bandwidth_mbps="fast"), "bandwidth_mbps"),
    "no IPv4 prefix": (_bad(session_prefix_v4=""), "session_prefix_v4"),
    "prefix /29 on Edge": (_bad(session_prefix_v4="192.0.2.8/29"), "session_prefix_v4"),
    "prefix host bits": (_bad(session_prefix_v4="192.0.2.5/31"), "session_prefix_v4"),
    "IPv6 in the IPv4 prefix": (_bad(session_prefix_v4="2001:db8::/127"), "session_prefix_v4"),
    "peer outside prefix": (
        _bad(peer_session_ipv4_address="192.0.2.9"),
        "peer_session_ipv4_address",
    ),
    "addresses swapped": (
        _bad(peer_session_ipv4_address="192.0.2.5", microsoft_session_ipv4_address="192.0.2.4"),
        "peer_session_ipv4_address",
    ),
    "IPv6 prefix /64 on Edge": (
        _bad(session_prefix_v6="2001:db8::/64", max_prefixes_advertised_v6="10"),
        "session_prefix_v6",
    ),
    "IPv6 addresses without prefix": (
        _bad(peer_session_ipv6_address="2001:db8::"),
        "session_prefix_v6",
    ),
    "max v4 zero": (_bad(max_prefixes_advertised_v4="0"), "max_prefixes_advertised_v4"),
    "max v4 20001": (_bad(max_prefixes_advertised_v4="20001"), "max_prefixes_advertised_v4"),
    "max v4 missing": (_bad(max_prefixes_advertised_v4=""), "max_prefixes_advertised_v4"),
    "max v6 2001": (
        _bad(session_prefix_v6="2001:db8:1::/127", max_prefixes_advertised_v6="2001"),
        "max_prefixes_advertised_v6",
    ),
    "v6 session without max v6": (
        _bad(session_prefix_v6="2001:db8:1::/127"),
        "max_prefixes_advertised_v6",
    ),
    "address used by another connection at the facility": (
        _bad(facility="fac", session_prefix_v4="192.0.2.0/31"),
        "peer_session_ipv4_address",
    ),
}


@pytest.mark.parametrize(("overrides", "key"), BAD_EDGE_ROWS.values(), ids=BAD_EDGE_ROWS.keys())
def test_add_refuses_what_the_wizard_refuses(world, unchanged, overrides, key):
    overrides = {
        k: str(getattr(world, v).pk) if k == "facility" and hasattr(world, v) else v
        for k, v in overrides.items()
    }
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.edge, row=edge_row(world, **overrides))
    assert key in exc.value.message_dict, exc.value.message_dict
    assert not any(k.startswith("connections.") for k in exc.value.message_dict)


def test_add_route_server_connection_at_a_facility_without_ixrs_is_refused(world, unchanged):
    row = {
        "facility": str(world.edge_only.pk),
        "session_prefix_v4": "198.51.100.0/24",
        "peer_session_ipv4_address": "198.51.100.20",
        "microsoft_session_ipv4_address": "198.51.100.1",
        "bandwidth_mbps": "10000",
        "max_prefixes_advertised_v4": "100",
    }
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.rs, row=row)
    assert "IxRs" in exc.value.message_dict["facility"][0]


def test_route_server_provider_is_fixed_to_peer(world, unchanged):
    row = {
        "facility": str(world.fac2.pk),
        "session_address_provider": "Microsoft",
        "bandwidth_mbps": "10000",
        "max_prefixes_advertised_v4": "100",
    }
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.rs, row=row)
    assert "Peer" in exc.value.message_dict["session_address_provider"][0]


def test_microsoft_provider_refuses_typed_addresses(world, unchanged):
    row = edge_row(world, session_address_provider="Microsoft")
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.edge, row=row)
    assert "Microsoft allocates them" in exc.value.message_dict["session_prefix_v4"][0]


BAD_IX_ROWS = {
    "unknown exchange": (_bad(facility="999999"), "facility"),
    "no exchange": (_bad(facility=""), "facility"),
    "exchange in another metro": (_bad(facility="ix_chicago"), "facility"),
    "no address": (_bad(peer_session_ipv4_address=""), "peer_session_ipv4_address"),
    "outside the LAN": (
        _bad(peer_session_ipv4_address="198.32.135.11"),
        "peer_session_ipv4_address",
    ),
    "Microsoft's address": (
        _bad(peer_session_ipv4_address="198.32.134.152"),
        "peer_session_ipv4_address",
    ),
    "LAN broadcast": (
        _bad(peer_session_ipv4_address="198.32.134.255"),
        "peer_session_ipv4_address",
    ),
    "address of another connection": (
        _bad(peer_session_ipv4_address="198.32.134.10"),
        "peer_session_ipv4_address",
    ),
    "IPv6 outside LAN": (
        _bad(peer_session_ipv6_address="2001:db8::1", max_prefixes_advertised_v6="10"),
        "peer_session_ipv6_address",
    ),
    "for Peering Service": (_bad(use_for_peering_service="true"), "use_for_peering_service"),
}


@pytest.mark.parametrize(("overrides", "key"), BAD_IX_ROWS.values(), ids=BAD_IX_ROWS.keys())
def test_add_exchange_row_refusals(world, unchanged, overrides, key):
    overrides = {
        k: str(getattr(world, v).pk) if k == "facility" and hasattr(world, v) else v
        for k, v in overrides.items()
    }
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.exchange, row=ix_row(world, **overrides))
    assert key in exc.value.message_dict, exc.value.message_dict


def test_add_clashing_with_an_unconverted_legacy_peering_is_refused(world, unchanged):
    factories.LegacyPeeringFactory(
        peer_asn=3356,
        peering_location=world.metro,
        exchange=world.ix,
        peer_session_ipv4_address="198.32.134.11",
    )
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.exchange, row=ix_row(world))
    assert "already used" in exc.value.message_dict["peer_session_ipv4_address"][0]


def test_address_of_a_connection_being_removed_is_free(world):
    world.ix_conn.connection_state = S.PENDING_REMOVE
    world.ix_conn.save()
    connection = connection_add(
        user=world.owner,
        peering=world.exchange,
        row=ix_row(world, peer_session_ipv4_address="198.32.134.10"),
    )
    assert connection.peer_session_ipv4_address == "198.32.134.10"


def test_same_address_at_another_facility_is_fine(world):
    connection = connection_add(
        user=world.owner,
        peering=world.edge,
        row=edge_row(world, facility=str(world.fac2.pk), session_prefix_v4="192.0.2.0/31"),
    )
    assert connection.peer_session_ipv4_address == "192.0.2.0"


def test_address_clash_with_another_tenant_is_refused(world, other_subscription, unchanged):
    other = factories.PeeringFactory(subscription=other_subscription, peering_location=world.metro)
    factories.PeeringConnectionFactory(
        peering=other,
        direct_facility=world.fac2,
        session_prefix_v4="192.0.2.4/31",
        peer_session_ipv4_address="192.0.2.4",
        microsoft_session_ipv4_address="192.0.2.5",
    )
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.edge, row=edge_row(world))
    assert (
        "192.0.2.4 is already used at Westin Building"
        in (exc.value.message_dict["peer_session_ipv4_address"][0])
    )


@pytest.mark.parametrize("row", [None, [], "facility=1", {}])
def test_add_with_a_malformed_row_is_refused(world, unchanged, row):
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_add(user=world.owner, peering=world.edge, row=row)
    assert "facility" in exc.value.message_dict


@pytest.mark.parametrize("state", [ProvisioningState.DELETING, ProvisioningState.FAILED])
def test_add_to_a_peering_being_removed_is_refused(world, unchanged, state):
    Peering.objects.filter(pk=world.edge.pk).update(provisioning_state=state)
    with unchanged(), pytest.raises(ValidationError, match="being removed"):
        connection_add(user=world.owner, peering=world.edge, row=edge_row(world))


def test_add_to_a_peering_the_portal_cannot_model_is_refused(world, unchanged):
    Peering.objects.filter(pk=world.edge.pk).update(sku_name=SkuName.PREMIUM_DIRECT_METERED)
    world.edge.refresh_from_db()
    with unchanged(), pytest.raises(ValidationError, match="cannot be changed in the portal"):
        connection_add(user=world.owner, peering=world.edge, row=edge_row(world))


def test_add_beyond_the_wizards_connection_limit_is_refused(world):
    for n in range(1, MAX_CONNECTIONS):  # the fixture's connection is the first
        factories.PeeringConnectionFactory(
            peering=world.exchange,
            direct_facility=None,
            exchange=world.ix,
            session_address_provider="",
            bandwidth_mbps=None,
            session_prefix_v4="198.32.134.0/24",
            peer_session_ipv4_address=f"198.32.134.{20 + n}",
            microsoft_session_ipv4_address="198.32.134.152",
        )
    assert world.exchange.connections.count() == MAX_CONNECTIONS
    with pytest.raises(ValidationError):
        connection_add(user=world.owner, peering=world.exchange, row=ix_row(world))


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_add_is_denied_to_readers_and_other_tenants(world, unchanged, who):
    with unchanged(), pytest.raises(PermissionDenied):
        connection_add(user=getattr(world, who), peering=world.edge, row=edge_row(world))


def test_add_is_denied_to_operators_without_a_role(world, unchanged):
    with unchanged(), pytest.raises(PermissionDenied):
        connection_add(user=world.operator, peering=world.edge, row=edge_row(world))


# --- connection_delete ----------------------------------------------------------------------


def second_rs_connection(world, state=S.ACTIVE, **kwargs):
    values = {
        "peering": world.rs,
        "direct_facility": world.fac2,
        "connection_state": state,
        "session_prefix_v4": "198.51.100.0/24",
        "peer_session_ipv4_address": "198.51.100.11",
        "microsoft_session_ipv4_address": "198.51.100.1",
    }
    values.update(kwargs)
    return factories.PeeringConnectionFactory(**values)


@pytest.mark.parametrize(
    "state", [s for s in S.values if s not in REMOVAL_BLOCKED], ids=lambda s: s
)
def test_delete_a_route_server_connection(world, state):
    connection = second_rs_connection(world, state)
    factories.ConnectionTransitionFactory(connection=connection)
    identifier = connection.connection_identifier

    connection_delete(user=world.owner, connection=connection, confirm=world.rs.resource_id)

    assert not PeeringConnection.objects.filter(pk=connection.pk).exists()
    assert list(world.rs.connections.all()) == [world.rs_conn]
    log = ActivityLog.objects.get()
    assert log.operation == "Microsoft.Peering/peerings/connections/delete"
    assert log.user == world.owner
    assert str(identifier) in log.message and "Westin Building" in log.message


def test_delete_an_exchange_connection(world):
    second = factories.PeeringConnectionFactory(
        peering=world.exchange,
        direct_facility=None,
        exchange=world.ix,
        session_address_provider="",
        bandwidth_mbps=None,
        session_prefix_v4="198.32.134.0/24",
        peer_session_ipv4_address="198.32.134.99",
        microsoft_session_ipv4_address="198.32.134.152",
    )
    connection_delete(user=world.owner, connection=second, confirm=world.exchange.resource_id)
    assert list(world.exchange.connections.all()) == [world.ix_conn]


def test_confirm_ignores_case_and_surrounding_spaces(world):
    connection = second_rs_connection(world)
    connection_delete(
        user=world.owner, connection=connection, confirm=f"  {world.rs.resource_id.upper()}\n"
    )
    assert not PeeringConnection.objects.filter(pk=connection.pk).exists()


@pytest.mark.parametrize(
    "confirm", ["", None, "yes", "contoso-rs", "edge-resource-id", "rs-id-with-suffix"]
)
def test_delete_with_the_wrong_confirmation_is_refused(world, unchanged, confirm):
    confirm = {
        "edge-resource-id": world.edge.resource_id,
        "rs-id-with-suffix": world.rs.resource_id + "/connections/1",
    }.get(confirm, confirm)
    connection = second_rs_connection(world)
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_delete(user=world.owner, connection=connection, confirm=confirm)
    assert "confirm" in exc.value.message_dict


def test_delete_a_legacy_connection_is_refused(world, unchanged):
    legacy = factories.PeeringConnectionFactory(
        peering=world.exchange,
        direct_facility=None,
        exchange=world.ix,
        session_address_provider="",
        is_legacy=True,
        connection_state=S.ACTIVE,
        session_prefix_v4="198.32.134.0/24",
        peer_session_ipv4_address="198.32.134.98",
        microsoft_session_ipv4_address="198.32.134.152",
    )
    with unchanged(), pytest.raises(ValidationError, match="legacy"):
        connection_delete(user=world.owner, connection=legacy, confirm=world.exchange.resource_id)


@pytest.mark.parametrize("state", [S.PENDING_APPROVAL, S.ACTIVE, S.PROVISIONING_FAILED])
def test_delete_a_direct_edge_connection_is_refused(world, unchanged, state):
    connection = factories.PeeringConnectionFactory(
        peering=world.edge,
        direct_facility=world.fac2,
        connection_state=state,
        session_prefix_v4="192.0.2.4/31",
        peer_session_ipv4_address="192.0.2.4",
        microsoft_session_ipv4_address="192.0.2.5",
    )
    with unchanged(), pytest.raises(ValidationError, match="request deprovisioning"):
        connection_delete(user=world.owner, connection=connection, confirm=world.edge.resource_id)


@pytest.mark.parametrize("state", sorted(REMOVAL_BLOCKED))
def test_delete_while_microsoft_provisions_is_refused(world, unchanged, state):
    connection = second_rs_connection(world, state)
    with unchanged(), pytest.raises(ValidationError, match=f"is {state}"):
        connection_delete(user=world.owner, connection=connection, confirm=world.rs.resource_id)


def test_delete_the_last_connection_is_refused(world, unchanged):
    with unchanged(), pytest.raises(ValidationError, match="last connection"):
        connection_delete(
            user=world.owner, connection=world.ix_conn, confirm=world.exchange.resource_id
        )


@pytest.mark.parametrize("who", ["reader", "outsider", "operator"])
def test_delete_is_denied_without_a_write_role(world, unchanged, who):
    connection = second_rs_connection(world)
    with unchanged(), pytest.raises(PermissionDenied):
        connection_delete(
            user=getattr(world, who), connection=connection, confirm=world.rs.resource_id
        )


# --- connection_update ----------------------------------------------------------------------


def test_add_an_ipv6_session_to_an_active_edge_connection(world):
    updated = connection_update(
        user=world.owner,
        connection=world.edge_conn,
        data={"session_prefix_v6": "2001:db8:1::/127", "max_prefixes_advertised_v6": "200"},
    )
    conn = PeeringConnection.objects.get(pk=world.edge_conn.pk)
    for obj in (updated, conn):
        assert obj.session_prefix_v6 == "2001:db8:1::/127"
        assert obj.peer_session_ipv6_address == "2001:db8:1::"
        assert obj.microsoft_session_ipv6_address == "2001:db8:1::1"
        assert obj.session_state_v6 == SessionState.PENDING_ADD
        assert obj.max_prefixes_advertised_v6 == 200
        # The existing session is untouched.
        assert obj.session_state_v4 == SessionState.ESTABLISHED
        assert obj.peer_session_ipv4_address == "192.0.2.0"
        assert obj.connection_state == S.ACTIVE
    log = ActivityLog.objects.get()
    assert log.operation_display == "Update connection"
    assert "IPv6 session added" in log.message


def test_add_an_ipv6_session_with_matching_typed_addresses(world):
    updated = connection_update(
        user=world.owner,
        connection=world.edge_conn,
        data={
            "session_prefix_v6": "2001:db8:1::/127",
            "peer_session_ipv6_address": "2001:db8:1::",
            "microsoft_session_ipv6_address": "2001:db8:1::1",
            "max_prefixes_advertised_v6": "10",
        },
    )
    assert updated.session_state_v6 == SessionState.PENDING_ADD


def test_add_an_ipv4_session_to_an_ipv6_only_exchange_connection(world):
    v6_only = factories.PeeringConnectionFactory(
        peering=world.exchange,
        direct_facility=None,
        exchange=world.ix,
        session_address_provider="",
        connection_state=S.ACTIVE,
        bandwidth_mbps=None,
        session_prefix_v4="",
        peer_session_ipv4_address=None,
        microsoft_session_ipv4_address=None,
        max_prefixes_advertised_v4=None,
        session_prefix_v6="2001:504:12::/64",
        peer_session_ipv6_address="2001:504:12::30",
        microsoft_session_ipv6_address="2001:504:12::15",
        session_state_v6=SessionState.ESTABLISHED,
        max_prefixes_advertised_v6=50,
    )
    updated = connection_update(
        user=world.owner,
        connection=v6_only,
        data={"peer_session_ipv4_address": "198.32.134.30", "max_prefixes_advertised_v4": "500"},
    )
    assert updated.session_prefix_v4 == "198.32.134.0/24"
    assert updated.peer_session_ipv4_address == "198.32.134.30"
    assert updated.microsoft_session_ipv4_address == "198.32.134.152"
    assert updated.session_state_v4 == SessionState.PENDING_ADD
    assert updated.max_prefixes_advertised_v4 == 500
    assert updated.session_state_v6 == SessionState.ESTABLISHED


BAD_UPDATES = {
    "change the IPv4 prefix": ({"session_prefix_v4": "192.0.2.8/31"}, "peer_session_ipv4_address"),
    "change the IPv4 peer address": (
        {"peer_session_ipv4_address": "192.0.2.1"},
        "peer_session_ipv4_address",
    ),
    "IPv6 /64 on Edge": (
        {"session_prefix_v6": "2001:db8:1::/64", "max_prefixes_advertised_v6": "10"},
        "session_prefix_v6",
    ),
    "IPv6 without max": ({"session_prefix_v6": "2001:db8:1::/127"}, "max_prefixes_advertised_v6"),
    "IPv6 addresses swapped": (
        {
            "session_prefix_v6": "2001:db8:1::/127",
            "peer_session_ipv6_address": "2001:db8:1::1",
            "microsoft_session_ipv6_address": "2001:db8:1::",
            "max_prefixes_advertised_v6": "10",
        },
        "peer_session_ipv6_address",
    ),
    "IPv6 address without prefix": (
        {"peer_session_ipv6_address": "2001:db8:1::", "max_prefixes_advertised_v6": "10"},
        "session_prefix_v6",
    ),
    "max v4 zero": ({"max_prefixes_advertised_v4": "0"}, "max_prefixes_advertised_v4"),
    "max v4 20001": ({"max_prefixes_advertised_v4": "20001"}, "max_prefixes_advertised_v4"),
    "max v4 negative": ({"max_prefixes_advertised_v4": "-5"}, "max_prefixes_advertised_v4"),
    "max v4 words": ({"max_prefixes_advertised_v4": "many"}, "max_prefixes_advertised_v4"),
    "max v6 2001": (
        {
            "session_prefix_v6": "2001:db8:1::/127",
            "max_prefixes_advertised_v6": "2001",
        },
        "max_prefixes_advertised_v6",
    ),
    "bandwidth downgrade": ({"bandwidth_mbps": "10000"}, "bandwidth_mbps"),
    "bandwidth 25 Gbps": ({"bandwidth_mbps": "25000"}, "bandwidth_mbps"),
    "bandwidth 110 Gbps": ({"bandwidth_mbps": "110000"}, "bandwidth_mbps"),
    "bandwidth words": ({"bandwidth_mbps": "lots"}, "bandwidth_mbps"),
    "bandwidth negative": ({"bandwidth_mbps": "-30000"}, "bandwidth_mbps"),
    "good max, bad bandwidth": (
        {"max_prefixes_advertised_v4": "2000", "bandwidth_mbps": "15000"},
        "bandwidth_mbps",
    ),
}


@pytest.mark.parametrize(("data", "key"), BAD_UPDATES.values(), ids=BAD_UPDATES.keys())
def test_update_refusals(world, unchanged, data, key):
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_update(user=world.owner, connection=world.edge_conn, data=data)
    assert key in exc.value.message_dict, exc.value.message_dict


@pytest.mark.parametrize(
    "data",
    [
        {},
        None,
        "max=5",
        {"max_prefixes_advertised_v4": "1000"},  # the current value
        {"bandwidth_mbps": "20000"},  # the current bandwidth
        {"session_prefix_v4": "192.0.2.0/31", "peer_session_ipv4_address": "192.0.2.0"},
    ],
)
def test_update_with_nothing_new_is_refused(world, unchanged, data):
    with unchanged(), pytest.raises(ValidationError, match="Nothing changed"):
        connection_update(user=world.owner, connection=world.edge_conn, data=data)


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("20000", 20000), (" 5000 ", 5000)])
def test_update_max_ipv4_prefixes(world, value, expected):
    updated = connection_update(
        user=world.owner,
        connection=world.edge_conn,
        data={"max_prefixes_advertised_v4": value},
    )
    assert updated.max_prefixes_advertised_v4 == expected
    assert f"max IPv4 prefixes 1000 → {expected}" in ActivityLog.objects.get().message


def test_update_max_ipv6_prefixes_bounds(world, unchanged):
    conn = world.edge_conn
    connection_update(
        user=world.owner,
        connection=conn,
        data={"session_prefix_v6": "2001:db8:1::/127", "max_prefixes_advertised_v6": "2000"},
    )
    conn.refresh_from_db()
    assert conn.max_prefixes_advertised_v6 == 2000
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_update(
            user=world.owner, connection=conn, data={"max_prefixes_advertised_v6": "2001"}
        )
    assert "max_prefixes_advertised_v6" in exc.value.message_dict
    updated = connection_update(
        user=world.owner, connection=conn, data={"max_prefixes_advertised_v6": "1"}
    )
    assert updated.max_prefixes_advertised_v6 == 1


@pytest.mark.parametrize("value", ["30000", "100000", " 50000 "])
def test_bandwidth_upgrade(world, value):
    updated = connection_update(
        user=world.owner, connection=world.edge_conn, data={"bandwidth_mbps": value}
    )
    assert updated.bandwidth_mbps == int(value)
    # Microsoft still has to provision it: provisioned bandwidth is unchanged.
    assert updated.provisioned_bandwidth_mbps == 20000
    assert updated.connection_state == S.ACTIVE
    assert "bandwidth 20 → " in ActivityLog.objects.get().message


def test_bandwidth_and_max_prefixes_together(world):
    updated = connection_update(
        user=world.owner,
        connection=world.edge_conn,
        data={"bandwidth_mbps": "40000", "max_prefixes_advertised_v4": "3000"},
    )
    assert (updated.bandwidth_mbps, updated.max_prefixes_advertised_v4) == (40000, 3000)
    assert ActivityLog.objects.count() == 1


def test_exchange_connection_has_no_bandwidth(world, unchanged):
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_update(
            user=world.owner, connection=world.ix_conn, data={"bandwidth_mbps": "10000"}
        )
    assert "no bandwidth" in exc.value.message_dict["bandwidth_mbps"][0]


def test_exchange_connection_max_prefixes(world):
    updated = connection_update(
        user=world.owner, connection=world.ix_conn, data={"max_prefixes_advertised_v4": "150"}
    )
    assert updated.max_prefixes_advertised_v4 == 150
    assert updated.peer_session_ipv4_address == "198.32.134.10"


def test_new_session_clashing_with_another_connection_is_refused(world, unchanged):
    factories.PeeringConnectionFactory(
        peering=world.rs,
        direct_facility=world.fac,
        session_prefix_v4="198.51.100.0/24",
        peer_session_ipv4_address="198.51.100.12",
        microsoft_session_ipv4_address="198.51.100.1",
        session_prefix_v6="2001:db8:1::/64",
        peer_session_ipv6_address="2001:db8:1::1",
        microsoft_session_ipv6_address="2001:db8:1::99",
    )
    with unchanged(), pytest.raises(ValidationError) as exc:
        connection_update(
            user=world.owner,
            connection=world.edge_conn,
            data={"session_prefix_v6": "2001:db8:1::/127", "max_prefixes_advertised_v6": "10"},
        )
    assert "2001:db8:1::1 is already used" in " ".join(
        exc.value.message_dict["microsoft_session_ipv6_address"]
    )


def test_own_addresses_do_not_clash(world):
    """Re-checking the connection's own session must not find it 'used by another'."""
    updated = connection_update(
        user=world.owner, connection=world.rs_conn, data={"max_prefixes_advertised_v4": "77"}
    )
    assert updated.max_prefixes_advertised_v4 == 77


@pytest.mark.parametrize("kind", ["microsoft_provided", "exchange"])
def test_echoing_the_current_session_is_not_a_change(world, kind):
    if kind == "exchange":
        conn = world.ix_conn
        echo = {
            "session_prefix_v4": "198.32.134.0/24",
            "peer_session_ipv4_address": "198.32.134.10",
        }
    else:
        conn = factories.PeeringConnectionFactory(
            peering=world.voice,
            direct_facility=world.fac2,
            session_address_provider=SessionAddressProvider.MICROSOFT,
            connection_state=S.ACTIVE,
            session_prefix_v4="203.0.113.0/31",
            peer_session_ipv4_address="203.0.113.0",
            microsoft_session_ipv4_address="203.0.113.1",
            max_prefixes_advertised_v4=10,
        )
        echo = {
            "session_prefix_v4": "203.0.113.0/31",
            "peer_session_ipv4_address": "203.0.113.0",
            "microsoft_session_ipv4_address": "203.0.113.1",
        }
    updated = connection_update(
        user=world.owner, connection=conn, data={**echo, "max_prefixes_advertised_v4": "20"}
    )
    assert updated.max_prefixes_advertised_v4 == 20


def test_microsoft_provided_connection_max_prefixes(world):
    conn = factories.PeeringConnectionFactory(
        peering=world.voice,
        direct_facility=world.fac2,
        session_address_provider=SessionAddressProvider.MICROSOFT,
        connection_state=S.ACTIVE,
        session_prefix_v4="203.0.113.0/31",
        peer_session_ipv4_address="203.0.113.0",
        microsoft_session_ipv4_address="203.0.113.1",
        max_prefixes_advertised_v4=10,
    )
    updated = connection_update(
        user=world.owner, connection=conn, data={"max_prefixes_advertised_v4": "20"}
    )
    assert updated.max_prefixes_advertised_v4 == 20
    assert updated.peer_session_ipv4_address == "203.0.113.0"


@pytest.mark.parametrize("state", OTHER_STATES)
def test_only_active_connections_can_be_edited(world, unchanged, state):
    PeeringConnection.objects.filter(pk=world.edge_conn.pk).update(connection_state=state)
    with unchanged(), pytest.raises(ValidationError, match=f"this one is {state}"):
        connection_update(
            user=world.owner,
            connection=world.edge_conn,
            data={"max_prefixes_advertised_v4": "5"},
        )


def test_legacy_connection_cannot_be_edited(world, unchanged):
    PeeringConnection.objects.filter(pk=world.ix_conn.pk).update(is_legacy=True)
    with unchanged(), pytest.raises(ValidationError, match="legacy"):
        connection_update(
            user=world.owner, connection=world.ix_conn, data={"max_prefixes_advertised_v4": "5"}
        )


@pytest.mark.parametrize("who", ["reader", "outsider", "operator"])
def test_update_is_denied_without_a_write_role(world, unchanged, who):
    with unchanged(), pytest.raises(PermissionDenied):
        connection_update(
            user=getattr(world, who),
            connection=world.edge_conn,
            data={"max_prefixes_advertised_v4": "5"},
        )


# --- Use for Peering Service --------------------------------------------------------------------


def test_request_peering_service_approved(world, mailoutbox, django_capture_on_commit_callbacks):
    sign_agreement(world.subscription)
    requested = connection_request_peering_service(user=world.owner, connection=world.edge_conn)
    assert requested.connection_state == S.TYPE_CHANGE_REQUESTED
    assert not requested.use_for_peering_service
    step = ConnectionTransition.objects.get()
    assert (step.from_state, step.to_state, step.actor, step.user) == (
        S.ACTIVE,
        S.TYPE_CHANGE_REQUESTED,
        Actor.PEER,
        world.owner,
    )
    assert "Peering Service" in step.note

    # The peer cannot approve its own request.
    with pytest.raises(PermissionDenied):
        connection_transition(
            connection=requested,
            to_state=S.TYPE_CHANGE_IN_PROGRESS,
            user=world.owner,
            actor=Actor.PEER,
        )

    with django_capture_on_commit_callbacks(execute=True):
        in_progress = connection_transition(
            connection=requested, to_state=S.TYPE_CHANGE_IN_PROGRESS, user=world.operator
        )
    assert in_progress.use_for_peering_service
    assert len(mailoutbox) == 1
    active = connection_transition(connection=in_progress, to_state=S.ACTIVE, user=world.operator)
    assert active.connection_state == S.ACTIVE
    assert active.use_for_peering_service
    assert list(world.edge_conn.transitions.values_list("to_state", flat=True)) == [
        S.TYPE_CHANGE_REQUESTED,
        S.TYPE_CHANGE_IN_PROGRESS,
        S.ACTIVE,
    ]

    # Once used for Peering Service, asking again is refused.
    with pytest.raises(ValidationError, match="already used"):
        connection_request_peering_service(user=world.owner, connection=active)


def test_request_peering_service_rejected_needs_a_reason(world):
    sign_agreement(world.subscription)
    requested = connection_request_peering_service(user=world.owner, connection=world.edge_conn)
    with pytest.raises(ValidationError) as exc:
        connection_transition(connection=requested, to_state=S.ACTIVE, user=world.operator)
    assert "note" in exc.value.message_dict
    rejected = connection_transition(
        connection=requested,
        to_state=S.ACTIVE,
        user=world.operator,
        note="Prefixes are not registered yet.",
    )
    assert rejected.connection_state == S.ACTIVE
    assert not rejected.use_for_peering_service
    assert rejected.error_message == ""
    assert world.edge_conn.transitions.last().note == "Prefixes are not registered yet."
    # The peer may ask again.
    again = connection_request_peering_service(user=world.owner, connection=rejected)
    assert again.connection_state == S.TYPE_CHANGE_REQUESTED


def test_request_peering_service_needs_the_agreement(world, unchanged):
    with unchanged(), pytest.raises(ValidationError, match="agreement"):
        connection_request_peering_service(user=world.owner, connection=world.edge_conn)


def test_request_peering_service_direct_only(world, unchanged):
    sign_agreement(world.subscription)
    with unchanged(), pytest.raises(ValidationError, match="Exchange connections cannot be used"):
        connection_request_peering_service(user=world.owner, connection=world.ix_conn)


@pytest.mark.parametrize("state", OTHER_STATES)
def test_request_peering_service_active_only(world, unchanged, state):
    sign_agreement(world.subscription)
    PeeringConnection.objects.filter(pk=world.edge_conn.pk).update(connection_state=state)
    world.edge_conn.refresh_from_db()
    expected = (
        "Requested: Microsoft reviews the request"
        if state == "TypeChangeRequested"
        else f"once the connection is Active \\(it is {state}\\)"
    )
    with unchanged(), pytest.raises(ValidationError, match=expected):
        connection_request_peering_service(user=world.owner, connection=world.edge_conn)


def test_request_peering_service_on_a_legacy_connection_is_refused(world, unchanged):
    sign_agreement(world.subscription)
    PeeringConnection.objects.filter(pk=world.edge_conn.pk).update(is_legacy=True)
    world.edge_conn.refresh_from_db()
    with unchanged(), pytest.raises(ValidationError, match="legacy"):
        connection_request_peering_service(user=world.owner, connection=world.edge_conn)


def test_request_peering_service_when_already_used_is_refused(world, unchanged):
    sign_agreement(world.subscription)
    PeeringConnection.objects.filter(pk=world.edge_conn.pk).update(use_for_peering_service=True)
    world.edge_conn.refresh_from_db()
    with unchanged(), pytest.raises(ValidationError, match="already used"):
        connection_request_peering_service(user=world.owner, connection=world.edge_conn)


@pytest.mark.parametrize("who", ["reader", "outsider", "operator"])
def test_request_peering_service_is_denied_without_a_write_role(world, unchanged, who):
    sign_agreement(world.subscription)
    with unchanged(), pytest.raises(PermissionDenied):
        connection_request_peering_service(user=getattr(world, who), connection=world.edge_conn)


# --- tags -------------------------------------------------------------------------------------


def test_tags_are_replaced(world):
    Peering.objects.filter(pk=world.edge.pk).update(tags={"old": "1"})
    world.edge.refresh_from_db()
    updated = peering_tags_update(
        user=world.owner,
        peering=world.edge,
        tags={" env ": " prod ", "team": "noc", "empty": None, "n": 5},
    )
    world.edge.refresh_from_db()
    expected = {"env": "prod", "team": "noc", "empty": "", "n": "5"}
    assert updated.tags == expected
    assert world.edge.tags == expected
    log = ActivityLog.objects.get()
    assert log.operation_display == "Update tags"
    assert "1 → 4" in log.message


def test_tags_can_be_cleared(world):
    Peering.objects.filter(pk=world.edge.pk).update(tags={"old": "1"})
    updated = peering_tags_update(user=world.owner, peering=world.edge, tags={})
    assert updated.tags == {}


def test_tag_limits_are_inclusive(world):
    tags = {f"tag{i}": "v" for i in range(MAX_TAGS - 1)}
    tags["k" * 512] = "v" * 256
    updated = peering_tags_update(user=world.owner, peering=world.edge, tags=tags)
    assert len(updated.tags) == MAX_TAGS


BAD_TAGS = {
    "not a dict": ([("a", "b")], "tags"),
    "a string": ("env=prod", "tags"),
    "too many": ({f"tag{i}": "v" for i in range(MAX_TAGS + 1)}, "tags"),
    "empty name": ({"": "v"}, "tags.0.name"),
    "blank name": ({"   ": "v"}, "tags.0.name"),
    "name too long": ({"k" * 513: "v"}, "tags.0.name"),
    "value too long": ({"k": "v" * 257}, "tags.0.value"),
    "value with a newline": ({"k": "a\nb"}, "tags.0.value"),
    "duplicate names ignoring case": ({"Env": "a", "env": "b"}, "tags.1.name"),
    "duplicate names after trimming": ({"env": "a", " env": "b"}, "tags.1.name"),
    **{
        f"name with {char!r}": ({"ok": "1", f"a{char}b": "v"}, "tags.1.name")
        for char in ["<", ">", "%", "&", "\\", "?", "/", "\x00", "\t", "\x7f"]
    },
}


@pytest.mark.parametrize(("tags", "key"), BAD_TAGS.values(), ids=BAD_TAGS.keys())
def test_bad_tags_are_refused(world, unchanged, tags, key):
    with unchanged(), pytest.raises(ValidationError) as exc:
        peering_tags_update(user=world.owner, peering=world.edge, tags=tags)
    assert key in exc.value.message_dict, exc.value.message_dict


@pytest.mark.parametrize("who", ["reader", "outsider", "operator"])
def test_tags_are_denied_without_a_write_role(world, unchanged, who):
    with unchanged(), pytest.raises(PermissionDenied):
        peering_tags_update(user=getattr(world, who), peering=world.edge, tags={"a": "b"})

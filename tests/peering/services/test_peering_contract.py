"""Peerings through the typed contract (the API's words): create, validate, create-or-update."""

import pytest
from django.core.exceptions import ValidationError

from peering.contracts import BgpSessionInput, ConnectionInput, PeeringInput
from peering.enums import ConnectionState, ContactRole, ValidationState
from peering.models import Peering, PeeringConnection
from peering.services.peerings import peering_create_or_update, peering_validate
from portal.models import ActivityLog, ResourceGroup
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(subscription, owner, region):
    seattle = factories.PeeringLocationFactory(name="Seattle")
    fac = factories.DirectFacilityFactory(
        location=seattle, name="Equinix SE2", peeringdb_facility_id=1234
    )
    fac2 = factories.DirectFacilityFactory(location=seattle, name="Westin", peeringdb_facility_id=9)
    factories.ResourceGroupFactory(subscription=subscription, name="rg-peering", region=region)
    peer_asn = factories.PeerAsnFactory(
        subscription=subscription,
        name="contoso-asn",
        peer_asn=13335,
        validation_state=ValidationState.APPROVED,
    )
    factories.PeerContactFactory(peer_asn=peer_asn, role=ContactRole.NOC, email="noc@contoso.net")
    return {"subscription": subscription, "owner": owner, "fac": fac, "fac2": fac2}


def edge(world, **changes) -> PeeringInput:
    sub = world["subscription"]
    values = {
        "name": "contoso-sea",
        "resource_group": "rg-peering",
        "kind": "Direct",
        "sku_name": "Basic_Direct_Free",
        "direct_peering_type": "Edge",
        "peering_location": "Seattle",
        "peer_asn": f"/subscriptions/{sub.pk}/providers/Microsoft.Peering/peerAsns/contoso-asn",
        "connections": [
            ConnectionInput(
                peering_db_facility_id=1234,
                session_address_provider="Peer",
                bandwidth_in_mbps=10000,
                bgp_session=BgpSessionInput(
                    session_prefix_v4="192.0.2.0/31", max_prefixes_advertised_v4=1000
                ),
            )
        ],
        "tags": {"env": "prod"},
    }
    values.update(changes)
    return PeeringInput(**values)


def put(world, data):
    return peering_create_or_update(
        user=world["owner"], subscription=world["subscription"], data=data
    )


def test_create_with_api_values(world):
    peering, created = put(world, edge(world))
    assert created
    assert (peering.kind, peering.sku_name, peering.direct_peering_type) == (
        "Direct",
        "Basic_Direct_Free",
        "Edge",
    )
    assert peering.tags == {"env": "prod"}
    (conn,) = peering.connections.all()
    assert conn.direct_facility == world["fac"]
    assert (conn.peer_session_ipv4_address, conn.microsoft_session_ipv4_address) == (
        "192.0.2.0",
        "192.0.2.1",
    )


def test_validate_writes_nothing_and_keys_errors_by_field(world):
    data = edge(world, sku_name="Gold", connections=[ConnectionInput(peering_db_facility_id=5)])
    result, errors = peering_validate(
        user=world["owner"], subscription=world["subscription"], data=data
    )
    assert result is None
    assert errors["configuration.sku"] == ["Select a SKU: Basic Free or Premium Free."]
    assert not Peering.objects.exists()


def test_premium_edge_needs_the_agreement(world):
    result, errors = peering_validate(
        user=world["owner"],
        subscription=world["subscription"],
        data=edge(world, sku_name="Premium_Direct_Free"),
    )
    assert result is None
    assert "signed Peering Service agreement" in errors["configuration.sku"][0]


def test_unknown_facility_refused_next_to_it(world):
    data = edge(world, connections=[ConnectionInput(peering_db_facility_id=777)])
    with pytest.raises(ValidationError) as info:
        put(world, data)
    assert "connections.0.facility" in info.value.message_dict


def test_bad_tags_refused_at_validate(world):
    result, errors = peering_validate(
        user=world["owner"], subscription=world["subscription"], data=edge(world, tags={"a/b": ""})
    )
    assert result is None and "tags.0.name" in errors


def test_new_resource_group_is_created_and_logged(world):
    peering, created = put(
        world, edge(world, resource_group="rg-new", create_resource_group=True, location="eastus")
    )
    assert created and peering.resource_group.name == "rg-new"
    assert ResourceGroup.objects.filter(name="rg-new").exists()
    assert ActivityLog.objects.filter(
        operation="Microsoft.Resources/subscriptions/resourceGroups/write",
        resource_id__endswith="/resourceGroups/rg-new",
    ).exists()


def test_put_again_updates_tags_and_answers_not_created(world):
    peering, _ = put(world, edge(world))
    again, created = put(world, edge(world, tags={"env": "test"}))
    assert not created and again.pk == peering.pk
    assert again.tags == {"env": "test"}
    assert Peering.objects.count() == 1


def _current(peering, **session):
    conn = peering.connections.get()
    return ConnectionInput(
        connection_identifier=conn.connection_identifier,
        peering_db_facility_id=1234,
        session_address_provider="Peer",
        bandwidth_in_mbps=conn.bandwidth_mbps,
        bgp_session=BgpSessionInput(
            **{
                "session_prefix_v4": conn.session_prefix_v4,
                "peer_session_ipv4_address": conn.peer_session_ipv4_address,
                "microsoft_session_ipv4_address": conn.microsoft_session_ipv4_address,
                "max_prefixes_advertised_v4": conn.max_prefixes_advertised_v4,
                **session,
            }
        ),
    )


def test_update_adds_a_connection_and_keeps_the_unchanged_one(world):
    peering, _ = put(world, edge(world))
    new = ConnectionInput(
        peering_db_facility_id=9,
        session_address_provider="Peer",
        bandwidth_in_mbps=10000,
        bgp_session=BgpSessionInput(session_prefix_v4="192.0.2.8/31", max_prefixes_advertised_v4=5),
    )
    # The first connection is PendingApproval: sent back unchanged, it is not an edit.
    put(world, edge(world, connections=[_current(peering), new]))
    states = sorted(peering.connections.values_list("direct_facility__name", "connection_state"))
    assert states == [
        ("Equinix SE2", ConnectionState.PENDING_APPROVAL),
        ("Westin", ConnectionState.PENDING_APPROVAL),
    ]


def test_update_of_an_active_connection_follows_the_modify_rules(world):
    peering, _ = put(world, edge(world))
    peering.connections.update(connection_state=ConnectionState.ACTIVE)
    put(world, edge(world, connections=[_current(peering, max_prefixes_advertised_v4=2000)]))
    assert peering.connections.get().max_prefixes_advertised_v4 == 2000
    downgrade = _current(peering).model_copy(update={"bandwidth_in_mbps": 0})
    with pytest.raises(ValidationError) as info:
        put(world, edge(world, connections=[downgrade]))
    assert "connections.0.bandwidth_mbps" in info.value.message_dict


def test_update_refuses_editing_a_pending_connection(world):
    peering, _ = put(world, edge(world))
    with pytest.raises(ValidationError) as info:
        put(world, edge(world, connections=[_current(peering, max_prefixes_advertised_v4=2000)]))
    assert "Only Active connections can be edited" in str(info.value.message_dict)


def test_update_deletes_a_left_out_connection_by_the_modify_rules(world):
    # Edge connections cannot be removed by the peer: the whole PUT is refused, nothing changes.
    peering, _ = put(world, edge(world))
    other = ConnectionInput(
        peering_db_facility_id=9,
        session_address_provider="Peer",
        bandwidth_in_mbps=10000,
        bgp_session=BgpSessionInput(session_prefix_v4="192.0.2.8/31", max_prefixes_advertised_v4=5),
    )
    with pytest.raises(ValidationError) as info:
        put(world, edge(world, connections=[other], tags={"changed": "yes"}))
    assert "cannot be removed by the peer" in " ".join(info.value.message_dict["connections"])
    peering.refresh_from_db()
    assert peering.connections.count() == 1 and peering.tags == {"env": "prod"}


def test_update_refuses_changing_what_the_peering_is(world):
    put(world, edge(world))
    with pytest.raises(ValidationError) as info:
        put(world, edge(world, sku_name="Premium_Direct_Free", peering_location="Chicago"))
    assert {"configuration.sku", "configuration.metro"} <= set(info.value.message_dict)


def test_update_refuses_an_unknown_connection_identifier(world):
    import uuid

    put(world, edge(world))
    stray = ConnectionInput(connection_identifier=uuid.uuid4(), peering_db_facility_id=1234)
    with pytest.raises(ValidationError) as info:
        put(world, edge(world, connections=[stray]))
    assert "connections.0.connection_identifier" in info.value.message_dict
    assert PeeringConnection.objects.count() == 1

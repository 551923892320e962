"""The domain contract parses the API's JSON as it is and gives it back in the same words."""

import uuid

import pytest
from pydantic import ValidationError

from peering.contracts import (
    ConnectionInput,
    PeerAsnInput,
    PeeringInput,
    PeeringServiceInput,
    PrefixInput,
)


def test_peering_input_reads_the_api_body():
    identifier = uuid.uuid4()
    data = PeeringInput.model_validate(
        {
            "name": "edge",
            "location": "westus",
            "kind": "Direct",
            "skuName": "Basic_Direct_Free",
            "directPeeringType": "Edge",
            "peeringLocation": "Seattle",
            "peerAsn": "/subscriptions/x/providers/Microsoft.Peering/peerAsns/contoso",
            "connections": [
                {
                    "peeringDBFacilityId": 99,
                    "bandwidthInMbps": 10000,
                    "sessionAddressProvider": "Peer",
                    "connectionIdentifier": str(identifier),
                    "connectionState": "Active",  # read-only: ignored
                    "bgpSession": {
                        "sessionPrefixV4": " 192.0.2.0/31 ",
                        "peerSessionIPv4Address": "192.0.2.0",
                        "maxPrefixesAdvertisedV4": 1000,
                    },
                }
            ],
            "tags": {"env": "prod"},
        }
    )
    (conn,) = data.connections
    assert conn.peering_db_facility_id == 99
    assert conn.connection_identifier == identifier
    assert conn.bgp_session.session_prefix_v4 == "192.0.2.0/31"
    assert conn.bgp_session.peer_session_ipv4_address == "192.0.2.0"
    assert conn.bgp_session.max_prefixes_advertised_v4 == 1000
    dumped = data.model_dump(by_alias=True)
    assert dumped["connections"][0]["bgpSession"]["peerSessionIPv4Address"] == "192.0.2.0"
    assert dumped["connections"][0]["peeringDBFacilityId"] == 99
    assert "connectionState" not in dumped["connections"][0]


def test_inputs_are_immutable_and_accept_snake_case():
    conn = ConnectionInput(facility_id=3, bandwidth_in_mbps=10000)
    with pytest.raises(ValidationError):
        conn.bandwidth_in_mbps = 20000
    assert PrefixInput(peering_service_prefix_key="k").peering_service_prefix_key == "k"


def test_shapes_are_checked_rules_are_not():
    with pytest.raises(ValidationError):
        ConnectionInput.model_validate({"bandwidthInMbps": "lots"})
    # An unknown SKU is a rule the service judges with a message, not a type error.
    assert PeeringInput(sku_name="Gold").sku_name == "Gold"
    asn = PeerAsnInput.model_validate(
        {"name": "c", "peerAsn": 65000, "peerContactDetail": [{"role": "Noc", "email": "a@b"}]}
    )
    assert asn.peer_contact_detail[0].role == "Noc"
    service = PeeringServiceInput.model_validate(
        {"providerPrimaryPeeringLocation": "Seattle", "peeringServiceProvider": "Kordia"}
    )
    assert service.provider_primary_peering_location == "Seattle"

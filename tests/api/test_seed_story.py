"""The seed's whole story with the SDK alone (Microsoft's operators act in between, as they do
in admin): associate a Peer ASN, create the route-server peering, register a customer ASN and
read its key; then, as the customer, create the Peering Service with a prefix and see its
validation with events."""

import pytest
import requests
from azure.mgmt.peering import models as m
from django.utils import timezone

from peering.enums import ConnectionState
from peering.models import PeerAsn, PeeringConnection
from peering.services.lifecycle import connection_transition
from peering.services.peer_asns import peer_asn_approve
from peering.services.routes import parse_route, received_routes_import
from peering.services.rpki import vrps_import
from portal.models import ActivityLog
from tests import factories
from tests.api.conftest import make_client, token_for

pytestmark = pytest.mark.django_db(transaction=True)

PROVIDER_ASN = 59999
CUSTOMER_ASN = 150001
CUSTOMER_PREFIX = "45.60.10.0/24"
WALK = [
    ConnectionState.APPROVED,
    ConnectionState.PROVISIONING_STARTED,
    ConnectionState.PROVISIONING_COMPLETED,
    ConnectionState.VALIDATING,
    ConnectionState.ACTIVE,
]


def put_group(base_url, token, subscription, name):
    response = requests.put(
        f"{base_url}/arm/subscriptions/{subscription.pk}/resourcegroups/{name}",
        params={"api-version": "2021-04-01"},
        json={"location": "eastus"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def test_seed_story(
    live_server, owner, subscription, outsider, other_subscription, operator, region
):
    seattle = factories.PeeringLocationFactory(name="Seattle")
    for pdb in (99999, 99998):
        factories.DirectFacilityFactory(
            location=seattle, peeringdb_facility_id=pdb, direct_peering_types=["IxRs"]
        )
    # The exchange LANs the route-server sessions below are on (issue 10: a route-server
    # session prefix is an exchange's peering LAN).
    for third in (80, 81):
        factories.ExchangeFactory(
            location=seattle,
            name=f"Seattle IX {third}",
            ipv4_prefix=f"206.81.{third}.0/24",
            microsoft_ipv4_address=f"206.81.{third}.110",
            ipv6_prefix=f"2001:db8:{third}::/64",
            microsoft_ipv6_address=f"2001:db8:{third}::110",
        )
    provider = factories.PeeringServiceProviderFactory(name="Contoso IX", asn=PROVIDER_ASN)
    factories.PeeringServiceProviderLocationFactory(provider=provider, name="Seattle")
    factories.PeeringServiceLocationFactory(country="United States", state="Washington")
    subscription.peering_service_agreement_signed = True
    subscription.save()

    # The exchange provider's automation.
    provider_token = token_for(owner, name="ix-automation")
    ix = make_client(live_server.url, provider_token, subscription.pk)
    associated = ix.peer_asns.create_or_update(
        "contoso-ix",
        m.PeerAsn(
            properties=m.PeerAsnProperties(
                peer_asn=PROVIDER_ASN,
                peer_name="Contoso IX",
                peer_contact_detail=[
                    m.ContactDetail(
                        role="Noc", email="noc@contoso.example", phone="+1 206 555 0100"
                    )
                ],
            )
        ),
    )
    assert associated.properties.validation_state == "Pending"
    peer_asn_approve(peer_asn=PeerAsn.objects.get(name="contoso-ix"), operator=operator)
    assert ix.peer_asns.get("contoso-ix").properties.validation_state == "Approved"

    put_group(live_server.url, provider_token, subscription, "rg-ix")
    connections = [
        m.DirectConnection(
            peering_db_facility_id=pdb,
            session_address_provider="Peer",
            bandwidth_in_mbps=10000,
            use_for_peering_service=True,
            bgp_session=m.BgpSession(
                session_prefix_v4=f"206.81.{third}.0/24",
                peer_session_i_pv4_address=f"206.81.{third}.10",
                microsoft_session_i_pv4_address=f"206.81.{third}.110",
                max_prefixes_advertised_v4=1000,
            ),
        )
        for pdb, third in ((99999, 80), (99998, 81))
    ]
    peering = ix.peerings.create_or_update(
        "rg-ix",
        "contoso-ix-seattle",
        m.Peering(
            kind="Direct",
            location="eastus",
            sku=m.PeeringSku(name="Premium_Direct_Free"),
            properties=m.PeeringProperties(
                peering_location="Seattle",
                direct=m.PeeringPropertiesDirect(
                    direct_peering_type="IxRs",
                    peer_asn=m.SubResource(id=associated.id),
                    connections=connections,
                ),
            ),
        ),
    )
    assert [c.connection_state for c in peering.properties.direct.connections] == [
        "PendingApproval",
        "PendingApproval",
    ]

    # Microsoft provisions the connections.
    for connection in PeeringConnection.objects.all():
        for state in WALK:
            connection = connection_transition(connection=connection, to_state=state, user=operator)
    assert {
        c.connection_state
        for c in ix.peerings.get("rg-ix", "contoso-ix-seattle").properties.direct.connections
    } == {"Active"}

    registered = ix.registered_asns.create_or_update(
        "rg-ix",
        "contoso-ix-seattle",
        "fabrikam",
        m.PeeringRegisteredAsn(properties=m.PeeringRegisteredAsnProperties(asn=CUSTOMER_ASN)),
    )
    key = ix.registered_asns.get("rg-ix", "contoso-ix-seattle", "fabrikam").properties
    key = key.peering_service_prefix_key
    assert key == registered.properties.peering_service_prefix_key and len(key) == 36

    # The customer, in its own subscription, with its own token.
    customer_token = token_for(outsider, name="fabrikam-automation")
    customer = make_client(live_server.url, customer_token, other_subscription.pk)
    put_group(live_server.url, customer_token, other_subscription, "rg-fabrikam")
    assert (
        customer.check_service_provider_availability(
            {"peeringServiceLocation": "Washington", "peeringServiceProvider": "Contoso IX"}
        )
        == "Available"
    )
    service = customer.peering_services.create_or_update(
        "rg-fabrikam",
        "fabrikam-ps",
        m.PeeringService(
            location="eastus",
            properties=m.PeeringServiceProperties(
                peering_service_location="Washington",
                peering_service_provider="Contoso IX",
                provider_primary_peering_location="Seattle",
            ),
        ),
    )
    assert service.properties.provisioning_state == "Succeeded"
    prefix = customer.prefixes.create_or_update(
        "rg-fabrikam",
        "fabrikam-ps",
        "office",
        m.PeeringServicePrefix(
            properties=m.PeeringServicePrefixProperties(
                prefix=CUSTOMER_PREFIX,
                peering_service_prefix_key=key,
            )
        ),
    )
    assert prefix.properties.prefix == CUSTOMER_PREFIX

    # The customer's ROA, as the RPKI publishes it (operators load the VRPs, issue 9).
    vrps_import(
        data={
            "metadata": {"buildtime": timezone.now().isoformat()},
            "roas": [
                {"asn": CUSTOMER_ASN, "prefix": CUSTOMER_PREFIX, "maxLength": 24, "ta": "arin"}
            ],
        },
        operator=operator,
    )
    # Microsoft's routers see the customer's prefix on both provider sessions.
    for connection in PeeringConnection.objects.all():
        route = parse_route(
            {
                "prefix": CUSTOMER_PREFIX,
                "next_hop": connection.peer_session_ipv4_address,
                "as_path": f"{PROVIDER_ASN} {CUSTOMER_ASN}",
                "communities": ["8075:8007"],
            },
            line=1,
            now=connection.created_at,
        )
        received_routes_import(connection=connection, routes=[route], operator=operator)

    seen = customer.prefixes.get("rg-fabrikam", "fabrikam-ps", "office", expand="events")
    assert seen.properties.prefix_validation_state == "Verified", seen.properties.error_message
    assert seen.properties.learned_type == "ViaServiceProvider"
    assert seen.properties.events, "an announcement event is expected"
    assert seen.properties.events[0].event_type

    # The customer never sees the provider's subscription; every write names its token.
    assert list(customer.peer_asns.list_by_subscription()) == []
    callers = set(
        ActivityLog.objects.filter(user__in=[owner, outsider]).values_list("caller", flat=True)
    )
    assert callers <= {
        "owner (API token 'ix-automation')",
        "outsider (API token 'fabrikam-automation')",
    }, callers

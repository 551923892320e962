"""Every read operation group through the real SDK against the live server: shapes, ids,
types, paging with nextLink, filters, and the tenancy matrix."""

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)

from peering.enums import ValidationState
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(subscription, region):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-ix", region=region)
    metro = factories.PeeringLocationFactory(name="Seattle", country="US")
    facility = factories.DirectFacilityFactory(location=metro, peeringdb_facility_id=71)
    factories.ExchangeFactory(location=metro, name="SIX Seattle", peeringdb_ix_id=13)
    peer_asn = factories.PeerAsnFactory(
        subscription=subscription,
        name="contoso",
        peer_asn=64999 + 1,
        validation_state=ValidationState.APPROVED,
    )
    factories.PeerContactFactory(peer_asn=peer_asn, email="noc@contoso.example")
    peering = factories.PeeringFactory(
        subscription=subscription,
        resource_group=group,
        name="rs-seattle",
        peering_location=metro,
        peer_asn=peer_asn,
        region=region,
        tags={"env": "prod"},
    )
    connection = factories.PeeringConnectionFactory(peering=peering, direct_facility=facility)
    return {
        "group": group,
        "peering": peering,
        "connection": connection,
        "peer_asn": peer_asn,
        "metro": metro,
    }


def test_peer_asns_get_and_list(sdk, world, subscription):
    item = sdk.peer_asns.get("CONTOSO")  # names compare case-insensitively
    assert (
        item.id == f"/subscriptions/{subscription.pk}/providers/Microsoft.Peering/peerAsns/contoso"
    )
    assert item.name == "contoso"
    assert item.type == "Microsoft.Peering/peerAsns"
    assert item.properties.peer_asn == 65000
    assert item.properties.validation_state == "Approved"
    assert item.properties.peer_contact_detail[0].email == "noc@contoso.example"
    assert [p.name for p in sdk.peer_asns.list_by_subscription()] == ["contoso"]


def test_peering_get_shape(sdk, world, subscription):
    item = sdk.peerings.get("rg-ix", "rs-seattle")
    assert item.id == (
        f"/subscriptions/{subscription.pk}/resourceGroups/rg-ix"
        "/providers/Microsoft.Peering/peerings/rs-seattle"
    )
    assert item.type == "Microsoft.Peering/peerings"
    assert item.kind == "Direct"
    assert item.sku.name == "Premium_Direct_Free"
    assert item.sku.tier == "Premium" and item.sku.family == "Direct" and item.sku.size == "Free"
    assert item.location == "eastus"
    assert item.tags == {"env": "prod"}
    direct = item.properties.direct
    assert direct.direct_peering_type == "IxRs"
    assert direct.peer_asn.id.endswith("/peerAsns/contoso")
    connection = direct.connections[0]
    assert connection.peering_db_facility_id == 71
    assert connection.connection_state == "PendingApproval"
    assert connection.connection_identifier == str(world["connection"].connection_identifier)
    assert connection.bgp_session.session_prefix_v4 == "192.0.2.0/24"
    assert connection.bgp_session.max_prefixes_advertised_v4 == 1000
    assert item.properties.peering_location == "Seattle"


def test_peerings_page_across_several_pages(sdk, world, subscription, settings):
    settings.ARM_PAGE_SIZE = 2
    for n in range(4):
        factories.PeeringFactory(
            subscription=subscription,
            resource_group=world["group"],
            name=f"p{n}",
            peering_location=world["metro"],
            peer_asn=world["peer_asn"],
        )
    by_group = [p.name for p in sdk.peerings.list_by_resource_group("rg-ix")]
    assert by_group == ["p0", "p1", "p2", "p3", "rs-seattle"]
    assert [p.name for p in sdk.peerings.list_by_subscription()] == by_group


def test_next_link_is_absolute_and_carries_filters(arm, world, subscription, settings):
    settings.ARM_PAGE_SIZE = 1
    factories.DirectFacilityFactory(location=factories.PeeringLocationFactory(name="Ashburn"))
    response = arm(
        "GET",
        f"/subscriptions/{subscription.pk}/providers/Microsoft.Peering/peeringLocations",
        query="api-version=2025-05-01&kind=Direct&directPeeringType=IxRs",
    )
    body = response.json()
    assert len(body["value"]) == 1
    link = body["nextLink"]
    assert link.startswith("http://testserver/arm/subscriptions/")
    assert "kind=Direct" in link and "directPeeringType=IxRs" in link
    assert "api-version=2025-05-01" in link and "%24skipToken=1" in link


def test_peering_locations_by_kind(sdk, world):
    direct = list(sdk.peering_locations.list(kind="Direct"))
    assert [loc.name for loc in direct] == ["Seattle"]
    facility = direct[0].properties.direct.peering_facilities
    assert {f.direct_peering_type for f in facility} == {"Edge", "IxRs", "Voice"}
    assert facility[0].peering_db_facility_link == "https://www.peeringdb.com/fac/71"
    offers = direct[0].properties.direct.bandwidth_offers
    assert [o.value_in_mbps for o in offers] == [10000, 100000]
    only_voice = list(sdk.peering_locations.list(kind="Direct", direct_peering_type="Voice"))
    assert {f.direct_peering_type for f in only_voice[0].properties.direct.peering_facilities} == {
        "Voice"
    }
    exchange = list(sdk.peering_locations.list(kind="Exchange"))
    lan = exchange[0].properties.exchange.peering_facilities[0]
    assert lan.exchange_name == "SIX Seattle"
    assert lan.facility_i_pv4_prefix == "198.32.134.0/24"
    assert exchange[0].type == "Microsoft.Peering/peeringLocations"


def test_peering_locations_bad_kind_is_400(sdk, world):
    with pytest.raises(HttpResponseError) as caught:
        list(sdk.peering_locations.list(kind="Sideways"))
    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidParameter"


def test_legacy_peerings_of_the_subscriptions_asns_only(sdk, world):
    factories.LegacyPeeringFactory(
        peer_asn=65000,
        peering_location=world["metro"],
        kind="Exchange",
        exchange=world["metro"].exchanges.first(),
        direct_facility=None,
        peer_session_ipv4_address="198.32.134.7",
    )
    factories.LegacyPeeringFactory(
        peer_asn=65123,
        peering_location=world["metro"],
        kind="Exchange",
        exchange=world["metro"].exchanges.first(),
        direct_facility=None,
    )
    rows = list(sdk.legacy_peerings.list(peering_location="seattle", kind="Exchange"))
    assert len(rows) == 1
    assert rows[0].properties.exchange.connections[0].bgp_session.peer_session_i_pv4_address == (
        "198.32.134.7"
    )


def test_registered_asns_and_prefixes(sdk, world):
    registered = factories.RegisteredAsnFactory(peering=world["peering"], name="fabrikam")
    prefix = factories.RegisteredPrefixFactory(peering=world["peering"], name="block")
    item = sdk.registered_asns.get("rg-ix", "rs-seattle", "fabrikam")
    assert item.type == "Microsoft.Peering/peerings/registeredAsns"
    assert item.id.endswith("/peerings/rs-seattle/registeredAsns/fabrikam")
    assert item.properties.peering_service_prefix_key == str(registered.prefix_key)
    assert [r.name for r in sdk.registered_asns.list_by_peering("rg-ix", "rs-seattle")] == [
        "fabrikam"
    ]
    got = sdk.registered_prefixes.get("rg-ix", "rs-seattle", "block")
    assert got.type == "Microsoft.Peering/peerings/registeredPrefixes"
    assert got.properties.prefix == prefix.prefix
    assert got.properties.prefix_validation_state == "Pending"
    assert len(list(sdk.registered_prefixes.list_by_peering("rg-ix", "rs-seattle"))) == 1


def test_received_routes_filters_and_skip_token(sdk, world, settings):
    settings.ARM_PAGE_SIZE = 2
    connection = world["connection"]
    for n in range(3):
        factories.ReceivedRouteFactory(
            connection=connection, prefix=f"45.60.{n}.0/24", as_path="65000 150001"
        )
    factories.ReceivedRouteFactory(
        connection=connection,
        prefix="45.61.0.0/24",
        as_path="65000 150002",
        rpki_validation_state="Invalid",
    )
    everything = list(sdk.received_routes.list_by_peering("rg-ix", "rs-seattle"))
    assert [r.prefix for r in everything] == [
        "45.60.0.0/24",
        "45.60.1.0/24",
        "45.60.2.0/24",
        "45.61.0.0/24",
    ]
    assert everything[0].as_path == "65000 150001"
    assert everything[0].next_hop == "192.0.2.10"
    assert [
        r.prefix
        for r in sdk.received_routes.list_by_peering("rg-ix", "rs-seattle", prefix="45.60.1.0/24")
    ] == ["45.60.1.0/24"]
    assert [
        r.prefix
        for r in sdk.received_routes.list_by_peering("rg-ix", "rs-seattle", as_path="150002")
    ] == ["45.61.0.0/24"]
    assert [
        r.prefix
        for r in sdk.received_routes.list_by_peering(
            "rg-ix", "rs-seattle", rpki_validation_state="Invalid"
        )
    ] == ["45.61.0.0/24"]
    second_page = list(sdk.received_routes.list_by_peering("rg-ix", "rs-seattle", skip_token="2"))
    assert [r.prefix for r in second_page] == ["45.60.2.0/24", "45.61.0.0/24"]


def test_peering_services_and_prefixes_with_events(sdk, subscription, region):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-cust", region=region)
    location = factories.PeeringServiceLocationFactory(country="United States", state="Washington")
    service = factories.PeeringServiceFactory(
        subscription=subscription,
        resource_group=group,
        name="ps1",
        location=location,
        region=region,
    )
    prefix = factories.PeeringServicePrefixFactory(peering_service=service, name="office")
    factories.PrefixEventFactory(prefix=prefix, event_type="PrefixAnnouncementEvent")
    item = sdk.peering_services.get("rg-cust", "ps1")
    assert item.type == "Microsoft.Peering/peeringServices"
    assert item.properties.peering_service_location == "Washington"
    assert item.properties.provider_primary_peering_location == "Seattle"
    assert [s.name for s in sdk.peering_services.list_by_resource_group("rg-cust")] == ["ps1"]
    assert [s.name for s in sdk.peering_services.list_by_subscription()] == ["ps1"]
    got = sdk.prefixes.get("rg-cust", "ps1", "office")
    assert got.type == "Microsoft.Peering/peeringServices/prefixes"
    assert got.properties.events is None
    expanded = sdk.prefixes.get("rg-cust", "ps1", "office", expand="events")
    assert expanded.properties.events[0].event_type == "PrefixAnnouncementEvent"
    listed = list(sdk.prefixes.list_by_peering_service("rg-cust", "ps1", expand="events"))
    assert listed[0].properties.events[0].event_level == "Information"
    assert listed[0].properties.prefix_validation_state == "Pending"


def test_peering_service_reference_lists(sdk, world):
    provider = factories.PeeringServiceProviderFactory(name="Contoso IX")
    factories.PeeringServiceProviderLocationFactory(provider=provider, name="Seattle")
    factories.PeeringServiceLocationFactory(country="United States", state="Washington")
    factories.PeeringServiceLocationFactory(country="Canada", state="Ontario")
    assert [c.name for c in sdk.peering_service_countries.list()] == ["Canada", "United States"]
    states = list(sdk.peering_service_locations.list(country="Canada"))
    assert [(s.name, s.properties.country) for s in states] == [("Ontario", "Canada")]
    providers = list(sdk.peering_service_providers.list())
    assert providers[0].properties.service_provider_name == "Contoso IX"
    assert providers[0].properties.peering_locations == ["Seattle"]
    answer = sdk.check_service_provider_availability(
        {"peeringServiceLocation": "Washington", "peeringServiceProvider": "Contoso IX"}
    )
    assert answer == "Available"
    answer = sdk.check_service_provider_availability(
        {"peeringServiceLocation": "Washington", "peeringServiceProvider": "Nobody"}
    )
    assert answer == "Unavailable"


def test_operations_list(sdk):
    names = [op.name for op in sdk.operations.list()]
    assert "Microsoft.Peering/peerings/write" in names


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.peer_asns.get("contoso"),
        lambda c: list(c.peer_asns.list_by_subscription()),
        lambda c: c.peerings.get("rg-ix", "rs-seattle"),
        lambda c: list(c.peerings.list_by_resource_group("rg-ix")),
        lambda c: list(c.registered_asns.list_by_peering("rg-ix", "rs-seattle")),
        lambda c: list(c.received_routes.list_by_peering("rg-ix", "rs-seattle")),
        lambda c: list(c.peering_locations.list(kind="Direct")),
        lambda c: list(c.cdn_peering_prefixes.list(peering_location="Seattle")),
    ],
)
def test_outsider_gets_404_like_a_missing_resource(outsider_sdk, world, call):
    with pytest.raises(ResourceNotFoundError):
        call(outsider_sdk)


def test_missing_resources_are_404_resource_not_found(sdk, world):
    with pytest.raises(ResourceNotFoundError) as caught:
        sdk.peerings.get("rg-ix", "nope")
    assert caught.value.error.code == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError):
        list(sdk.peerings.list_by_resource_group("no-such-group"))


def test_reader_reads(reader_sdk, world):
    assert reader_sdk.peerings.get("rg-ix", "rs-seattle").name == "rs-seattle"


def test_unsupported_operations_answer_a_clear_error(sdk, world):
    for call in (
        lambda: sdk.looking_glass.invoke(
            command="Ping",
            source_type="AzureRegion",
            source_location="eastus",
            destination_ip="192.0.2.1",
        ),
        lambda: list(sdk.cdn_peering_prefixes.list(peering_location="Seattle")),
        lambda: sdk.peering_services.initialize_connection_monitor(),
        lambda: list(sdk.connection_monitor_tests.list_by_peering_service("rg-ix", "ps")),
        lambda: list(sdk.rp_unbilled_prefixes.list("rg-ix", "rs-seattle")),
    ):
        with pytest.raises(HttpResponseError) as caught:
            call()
        assert caught.value.status_code == 400
        assert caught.value.error.code == "OperationNotSupported"


def test_wrong_token_is_401(live_server, world, subscription):
    from tests.api.conftest import make_client

    client = make_client(live_server.url, "pp_not-a-token", subscription.pk)
    with pytest.raises(ClientAuthenticationError) as caught:
        client.peerings.get("rg-ix", "rs-seattle")
    assert caught.value.error.code == "InvalidAuthenticationToken"

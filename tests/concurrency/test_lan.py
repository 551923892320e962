"""Issue 10: two users adding the same address on one exchange LAN at the same moment — an
Exchange connection at the exchange and a route-server connection at a facility, different
places, one LAN. Both lock the exchange's row (lock_places), so exactly one wins and the other
gets the message; PostgreSQL, where rows are really locked."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from peering.enums import Kind, SkuName
from peering.models import PeeringConnection
from peering.services.connections import connection_add
from tests import factories
from tests.concurrency.test_connections import _pause_after, _peer
from tests.concurrency.test_peer_asns import run_together, split

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent checks need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

ADDRESS = "206.81.80.50"


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "both-pass-the-check"])
def test_exchange_and_route_server_take_one_lan_address_at_once(
    subscription, other_subscription, monkeypatch, forced
):
    metro = factories.PeeringLocationFactory(name="Seattle")
    facility = factories.DirectFacilityFactory(location=metro, name="Westin Building Exchange")
    six = factories.ExchangeFactory(
        location=metro,
        name="SIX Seattle",
        ipv4_prefix="206.81.80.0/22",
        ipv6_prefix="2001:504:16::/64",
        microsoft_ipv4_address="206.81.80.113",
        microsoft_ipv6_address="2001:504:16::1f8b",
    )
    exchange_peering = factories.PeeringFactory(
        subscription=subscription,
        name="contoso-ix",
        kind=Kind.EXCHANGE,
        sku_name=SkuName.BASIC_EXCHANGE_FREE,
        direct_peering_type="",
        peering_location=metro,
    )
    route_server = factories.PeeringFactory(
        subscription=other_subscription, name="northwind-rs", peering_location=metro
    )
    if forced:
        # Each thread waits after its check until the other has checked too: without the
        # shared exchange lock both would pass and both would write.
        _pause_after(
            "peering.services.connections.connections_check_addresses",
            monkeypatch,
            threading.Barrier(2),
        )
    alice = _peer(subscription, "alice")
    bob = _peer(other_subscription, "bob")

    results = run_together(
        lambda: connection_add(
            user=alice,
            peering=exchange_peering,
            row={
                "facility": str(six.pk),
                "peer_session_ipv4_address": ADDRESS,
                "max_prefixes_advertised_v4": "1000",
            },
        ),
        lambda: connection_add(
            user=bob,
            peering=route_server,
            row={
                "facility": str(facility.pk),
                "bandwidth_mbps": "10000",
                "session_prefix_v4": "206.81.80.0/22",
                "peer_session_ipv4_address": ADDRESS,
                "microsoft_session_ipv4_address": "206.81.80.113",
                "max_prefixes_advertised_v4": "1000",
            },
        ),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, PeeringConnection)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert "already used" in losses[0].message_dict["peer_session_ipv4_address"][0]
    assert PeeringConnection.objects.filter(peer_session_ipv4_address=ADDRESS).count() == 1

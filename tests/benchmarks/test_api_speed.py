"""API speed: list peerings (a page of 50) and get a peering, as ratios against the trivial
view, with few rows and with many; the API list is at least as fast as the HTML list.

Run by `make bench` with BENCH_ROWS peerings (two connections each). The printed table is the
measurement; the assertions catch a page that grows with the rows or an N+1.
"""

import os
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peering.enums import ConnectionState
from portal import services
from tests import factories
from tests.benchmarks.test_page_speed import production_rendering  # noqa: F401

pytestmark = pytest.mark.benchmark

ROWS = int(os.environ.get("BENCH_ROWS", "400"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
MAX_GROWTH = 3.0
V = "api-version=2025-05-01"


def _median(call) -> float:
    call()
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = call()
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(samples)


def _grow(subscription, group, metro, facility, peer_asn, count: int, start: int) -> None:
    for n in range(start, start + count):
        peering = factories.PeeringFactory(
            subscription=subscription,
            resource_group=group,
            peering_location=metro,
            peer_asn=peer_asn,
            name=f"peering-{n:05d}",
        )
        for state in (ConnectionState.ACTIVE, ConnectionState.PENDING_APPROVAL):
            factories.PeeringConnectionFactory(
                peering=peering, direct_facility=facility, connection_state=state
            )


def test_api_list_and_get_stay_flat(client, owner, subscription, production_rendering, capsys):  # noqa: F811
    raw = services.api_token_create(user=owner, name="bench", expires_in_days=1)[1]
    auth = {"Authorization": f"Bearer {raw}"}
    client.force_login(owner)
    group = factories.ResourceGroupFactory(subscription=subscription, name="bench")
    metro = factories.PeeringLocationFactory(name="Bench metro")
    facility = factories.DirectFacilityFactory(location=metro)
    peer_asn = factories.PeerAsnFactory(subscription=subscription, validation_state="Approved")
    base = f"/arm/subscriptions/{subscription.pk}/resourceGroups/bench/providers/Microsoft.Peering"
    calls = {
        "API list (50)": lambda: client.get(f"{base}/peerings?{V}", headers=auth),
        "API get": lambda: client.get(f"{base}/peerings/peering-00001?{V}", headers=auth),
        "HTML list": lambda: client.get("/peerings/"),
    }

    def measure():
        trivial = _median(lambda: client.get("/healthz"))
        rows = {}
        for label, call in calls.items():
            seconds = _median(call)
            with CaptureQueriesContext(connection) as queries:
                call()
            rows[label] = (seconds, len(queries), seconds / trivial)
        return trivial, rows

    small_rows = max(ROWS // 8, 60)
    _grow(subscription, group, metro, facility, peer_asn, small_rows, 0)
    _, small = measure()
    _grow(subscription, group, metro, facility, peer_asn, ROWS - small_rows, small_rows)
    trivial, large = measure()
    with capsys.disabled():
        print(f"\nAPI speed ({connection.vendor}); trivial view {trivial * 1000:.2f} ms")
        print(
            f"  {'call':<16}{small_rows:>6} rows ms ×trivial queries"
            f" {ROWS:>6} rows ms ×trivial queries"
        )
        for label in calls:
            s, big = small[label], large[label]
            print(
                f"  {label:<16}{s[0] * 1000:>14.1f}{s[2]:>9.0f}{s[1]:>8}"
                f"{big[0] * 1000:>15.1f}{big[2]:>9.0f}{big[1]:>8}"
            )
    for label in ("API list (50)", "API get"):
        assert large[label][1] == small[label][1], f"{label}: queries grew with the rows"
        assert large[label][0] < small[label][0] * MAX_GROWTH, f"{label} grew with the rows"
    assert large["API list (50)"][0] <= large["HTML list"][0] * 1.1, "API list slower than HTML"

"""Page speed as rows grow, measured against a trivial view in the same run.

Each page is timed (median of several requests) and divided by the time of /healthz (no database,
no template) measured the same way, so the ratio means the same on a fast or a slow machine. It
is measured with few rows and again with many: a list page must cost about the same either way
(pagination, constant queries). `make bench` runs it with more rows; the printed table is the
measurement, the assertions are ceilings that catch an N+1 or a page that grows with the data.
"""

import os
import statistics
import time

import pytest
from django.db import connection
from django.template.base import PartialTemplate, Template
from django.test import utils as test_utils
from django.test.utils import CaptureQueriesContext

from peering.enums import ConnectionState
from tests import factories

pytestmark = pytest.mark.benchmark

ROWS = int(os.environ.get("BENCH_ROWS", "400"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
PAGES = ["/", "/peer-asns/", "/peerings/", "/resource-groups/", "/activity-log/"]
# With ~7× the rows a page may cost at most this much more: a page that grows with the rows
# grows ~7×; the margin absorbs timing noise on a shared 2-core machine.
MAX_GROWTH = 3.0
# And never more than this many times the trivial view.
MAX_RATIO = 2000


@pytest.fixture
def production_rendering(monkeypatch):
    """The test environment wraps template rendering to record contexts, which costs more than
    the rendering itself; time pages as production renders them."""
    saved = test_utils._TestState.saved_data
    monkeypatch.setattr(Template, "_render", saved.template_render)
    monkeypatch.setattr(PartialTemplate, "_render", saved.partial_template_render)


def _median_seconds(client, url: str) -> float:
    client.get(url)  # warm caches, templates, the connection
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, url
    return statistics.median(samples)


def _grow(subscription, count: int, start: int) -> None:
    """Add `count` peerings (two connections each), Peer ASNs and activity rows."""
    group = factories.ResourceGroupFactory(subscription=subscription, name=f"bench-{start}")
    metro = factories.PeeringLocationFactory(name="Bench metro")
    facility = factories.DirectFacilityFactory(location=metro)
    peer_asn = factories.PeerAsnFactory(subscription=subscription, validation_state="Approved")
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
        factories.PeerAsnFactory(subscription=subscription)
        factories.ActivityLogFactory(subscription=subscription)


def _measure(client) -> dict[str, tuple[float, int]]:
    results = {}
    for url in PAGES:
        seconds = _median_seconds(client, url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        results[url] = (seconds, len(queries))
    return results


def test_pages_stay_flat_as_rows_grow(client, owner, subscription, production_rendering, capsys):
    client.force_login(owner)
    small_rows = max(ROWS // 8, 60)  # more than a page of 50, so pagination is in play
    _grow(subscription, small_rows, 0)
    baseline_small = _median_seconds(client, "/healthz")
    small = _measure(client)
    _grow(subscription, ROWS - small_rows, small_rows)
    baseline = _median_seconds(client, "/healthz")
    large = _measure(client)
    with capsys.disabled():
        print(
            f"\nPage speed ({connection.vendor}); trivial view {baseline * 1000:.2f} ms "
            f"(was {baseline_small * 1000:.2f} ms)"
        )
        print(
            f"  {'page':<18}{small_rows:>7} rows ms{'×trivial':>10}{'queries':>9}"
            f"{ROWS:>8} rows ms{'×trivial':>10}{'queries':>9}"
        )
        for url in PAGES:
            (s_sec, s_q), (l_sec, l_q) = small[url], large[url]
            print(
                f"  {url:<18}{s_sec * 1000:>15.1f}{s_sec / baseline_small:>10.0f}{s_q:>9}"
                f"{l_sec * 1000:>16.1f}{l_sec / baseline:>10.0f}{l_q:>9}"
            )
    for url in PAGES:
        (s_sec, s_q), (l_sec, l_q) = small[url], large[url]
        assert l_q == s_q, f"{url}: {s_q} queries with {small_rows} rows, {l_q} with {ROWS}"
        assert l_sec < s_sec * MAX_GROWTH, f"{url} grew from {s_sec:.3f}s to {l_sec:.3f}s"
        assert l_sec / baseline < MAX_RATIO, f"{url} costs {l_sec / baseline:.0f}× /healthz"

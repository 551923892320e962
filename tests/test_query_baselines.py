"""Absolute query counts per page, compared against tests/query_baselines.json.

Each page is requested with few rows and again with many: both must cost exactly the baseline's
number of queries. A page that grows with its rows (an N+1) fails the second request; a change
that adds a query to a page fails the first, and the message names the new count. When a change
is meant to cost a query more (or saves one), update the page's number in the JSON file in the
same commit, so the review sees it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peering.enums import ConnectionState
from tests import factories

BASELINES = json.loads((Path(__file__).parent / "query_baselines.json").read_text())
FEW, MANY = 1, 12


def _peering_args(t):
    p = t["peering"]
    return [p.subscription_id, p.resource_group.name, p.name]


def _service_args(t):
    s = t["peering_service"]
    return [s.subscription_id, s.resource_group.name, s.name]


# page → its URL from the tenant's objects.
PAGES = {
    "portal:home": lambda t: reverse("portal:home"),
    "portal:notifications": lambda t: reverse("portal:notifications"),
    "portal:resource_group_list": lambda t: reverse("portal:resource_group_list"),
    "portal:resource_group_detail": lambda t: reverse(
        "portal:resource_group_detail",
        args=[t["resource_group"].subscription_id, t["resource_group"].name],
    ),
    "portal:activity_log": lambda t: reverse("portal:activity_log"),
    "peering:peer_asn_list": lambda t: reverse("peering:peer_asn_list"),
    "peering:peer_asn_detail": lambda t: reverse(
        "peering:peer_asn_detail", args=[t["peer_asn"].subscription_id, t["peer_asn"].name]
    ),
    "peering:peering_list": lambda t: reverse("peering:peering_list"),
    "peering:peering_detail": lambda t: reverse("peering:peering_detail", args=_peering_args(t)),
    "peering:peering_connections": lambda t: reverse(
        "peering:peering_connections", args=_peering_args(t)
    ),
    "peering:peering_connection": lambda t: reverse(
        "peering:peering_connection",
        args=[*_peering_args(t), t["connection"].connection_identifier],
    ),
    "peering:peering_activity": lambda t: reverse(
        "peering:peering_activity", args=_peering_args(t)
    ),
    "registered:asn_list": lambda t: reverse("registered:asn_list", args=_peering_args(t)),
    "registered:prefix_list": lambda t: reverse("registered:prefix_list", args=_peering_args(t)),
    "registered:routes": lambda t: reverse("registered:routes", args=_peering_args(t)),
    "peering_services:list": lambda t: reverse("peering_services:list"),
    "peering_services:detail": lambda t: reverse("peering_services:detail", args=_service_args(t)),
    "peering_services:prefixes": lambda t: reverse(
        "peering_services:prefixes", args=_service_args(t)
    ),
}


def _grow(tenant: dict, owner, count: int) -> None:
    """`count` more rows of everything the pages list."""
    subscription = tenant["peering"].subscription
    group = tenant["resource_group"]
    peering = tenant["peering"]
    service = tenant["peering_service"]
    for _ in range(count):
        other = factories.PeeringFactory(
            subscription=subscription, resource_group=group, peer_asn=tenant["peer_asn"]
        )
        factories.PeeringConnectionFactory(peering=other, connection_state=ConnectionState.ACTIVE)
        factories.PeeringConnectionFactory(peering=peering)
        factories.PeerContactFactory(peer_asn=factories.PeerAsnFactory(subscription=subscription))
        factories.ResourceGroupFactory(subscription=subscription)
        factories.ActivityLogFactory(subscription=subscription)
        factories.NotificationFactory(user=owner)
        factories.RegisteredAsnFactory(peering=peering)
        factories.RegisteredPrefixFactory(peering=peering)
        factories.ReceivedRouteFactory(connection=tenant["connection"])
        factories.PeeringServiceFactory(subscription=subscription, resource_group=group)
        factories.PeeringServicePrefixFactory(peering_service=service)


def queries_of(client, url: str) -> int:
    client.get(url)  # warm: the first request of a session may fill caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def assert_baseline(page: str, measured: int, rows: int) -> None:
    assert page in BASELINES, f"{page} has no baseline: add it to tests/query_baselines.json"
    expected = BASELINES[page]
    assert measured == expected, (
        f"{page} made {measured} queries with {rows} rows; tests/query_baselines.json says "
        f"{expected}. If the change is meant to, update the file."
    )


def test_every_baseline_names_a_page():
    assert set(BASELINES) == set(PAGES)


# (Not `page`: pytest-playwright owns that fixture name.)
@pytest.mark.parametrize("page_name", sorted(PAGES))
def test_page_costs_its_baseline_with_few_and_many_rows(client, owner, tenant, page_name):
    client.force_login(owner)
    url = PAGES[page_name](tenant)
    _grow(tenant, owner, FEW)
    assert_baseline(page_name, queries_of(client, url), FEW)
    _grow(tenant, owner, MANY - FEW)
    assert_baseline(page_name, queries_of(client, url), MANY)

"""The pictures on the pages: received routes on a peering's Overview, a prefix's event
history; each an SVG drawn on the server with the same data as a table."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from peering.services.routes import parse_route, received_routes_import
from tests import factories

pytestmark = pytest.mark.django_db


def _routes(count):
    return [
        {
            "prefix": f"45.60.{i}.0/24",
            "next_hop": "192.0.2.10",
            "as_path": "59999 150000",
            "origin_as": 150000,
            "communities": [],
            "received_at": timezone.now(),
        }
        for i in range(count)
    ]


def test_overview_draws_received_routes_per_import(client, owner, operator, subscription):
    peering = factories.PeeringFactory(subscription=subscription)
    facility = factories.DirectFacilityFactory(location=peering.peering_location, name="SE2")
    connection = factories.PeeringConnectionFactory(peering=peering, direct_facility=facility)
    for count in (4, 9):
        received_routes_import(connection=connection, routes=_parsed(count), operator=operator)
    client.force_login(owner)
    url = reverse(
        "peering:peering_detail",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )
    html = client.get(url).content.decode()
    (svg,) = re.findall(r'<svg class="chart-svg".*?</svg>', html, flags=re.S)
    assert 'role="img"' in svg and "<desc" in svg
    assert len(re.findall(r'<path class="chart-mark"', svg)) == 2
    (table,) = re.findall(r'<table[^>]*data-testid="route-chart-table".*?</table>', html, re.S)
    assert [int(n) for n in re.findall(r"<td>(\d+)</td>", table)] == [4, 9]
    # The chart rides in the pane: an htmx menu click gets it too.
    pane = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="route-chart-svg"' in pane


def test_overview_without_routes_says_so(client, owner, subscription):
    peering = factories.PeeringFactory(subscription=subscription)
    factories.PeeringConnectionFactory(peering=peering)
    client.force_login(owner)
    url = reverse(
        "peering:peering_detail",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )
    html = client.get(url).content.decode()
    assert 'data-testid="route-chart"' in html
    assert "chart-svg" not in html
    assert "No received routes yet." in html


def test_prefix_page_draws_its_events_on_a_time_axis(client, owner, subscription):
    service = factories.PeeringServiceFactory(subscription=subscription)
    prefix = factories.PeeringServicePrefixFactory(peering_service=service)
    factories.PrefixEventFactory(prefix=prefix, event_level="Information")
    factories.PrefixEventFactory(
        prefix=prefix, event_level="Warning", event_type="PrefixWithdrawalEvent"
    )
    client.force_login(owner)
    url = reverse(
        "peering_services:prefix_detail",
        args=[service.subscription_id, service.resource_group.name, service.name, prefix.name],
    )
    html = client.get(url).content.decode()
    (svg,) = re.findall(r'<svg class="chart-svg".*?</svg>', html, flags=re.S)
    assert 'class="chart-mark chart-level-warning"' in svg
    assert 'class="chart-mark chart-level-information"' in svg
    assert 'data-testid="event-chart-table"' in html


def _parsed(*args) -> list[dict]:
    """The routes as the importer reads them from a file."""
    now = timezone.now()
    return [parse_route(raw, line=n, now=now) for n, raw in enumerate(_routes(*args), start=1)]

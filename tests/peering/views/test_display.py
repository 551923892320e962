"""One way to show things on a peering's blades: PeeringDB ids beside facility names, times in
UTC with seconds."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from peering.models import DeprovisionRequest
from tests import factories

pytestmark = pytest.mark.django_db


def _args(peering):
    return [peering.subscription_id, peering.resource_group.name, peering.name]


def test_connection_delete_names_the_facility_with_its_peeringdb_id(client, owner, subscription):
    peering = factories.PeeringFactory(subscription=subscription)
    facility = factories.DirectFacilityFactory(
        location=peering.peering_location, name="Equinix SE2", peeringdb_facility_id=1
    )
    connection = factories.PeeringConnectionFactory(peering=peering, direct_facility=facility)
    client.force_login(owner)
    url = reverse(
        "peering:peering_connection_delete",
        args=[*_args(peering), connection.connection_identifier],
    )
    html = client.get(url).content.decode()
    assert "<strong>Equinix SE2 (PeeringDB facility 1)</strong>" in html


def test_deprovision_history_shows_seconds(client, owner, subscription):
    peering = factories.PeeringFactory(subscription=subscription)
    request = factories.DeprovisionRequestFactory(peering=peering, reason="Leaving the metro.")
    DeprovisionRequest.objects.filter(pk=request.pk).update(
        requested_at=dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    )
    client.force_login(owner)
    html = client.get(reverse("peering:peering_deprovision", args=_args(peering))).content.decode()
    assert "2026-02-03 04:05:06 UTC" in html


def test_overview_and_connections_show_gbps_places_and_the_first_actor(client, owner, subscription):
    """Bandwidth in Gbps ("—" before it is provisioned), the PeeringDB id beside the facility,
    timeline times with seconds beside the relative time, and who requested the connection."""
    peering = factories.PeeringFactory(subscription=subscription, created_by=owner)
    facility = factories.DirectFacilityFactory(
        location=peering.peering_location, name="Equinix SE2", peeringdb_facility_id=42
    )
    connection = factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=facility,
        bandwidth_mbps=20000,
        provisioned_bandwidth_mbps=0,
    )
    client.force_login(owner)
    overview = client.get(reverse("peering:peering_detail", args=_args(peering))).content.decode()
    assert "20 Gbps" in overview and "Mbps" not in overview
    assert "Equinix SE2 (PeeringDB facility 42)" in overview
    grid = client.get(reverse("peering:peering_connections", args=_args(peering))).content.decode()
    assert "20 Gbps / —" in grid and "Mbps" not in grid
    detail = client.get(
        reverse(
            "peering:peering_connection", args=[*_args(peering), connection.connection_identifier]
        )
    ).content.decode()
    assert "Mbps" not in detail
    first = detail.split('data-testid="timeline"')[1].split("</li>")[0]
    assert 'data-testid="timeline-first-actor">by owner<' in first
    assert re.search(
        r'<time datetime="[^"]+">.+<span class="time-abs">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC', first
    )

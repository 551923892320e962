"""One way to show things on a peering's blades: PeeringDB ids beside facility names, times in
UTC with seconds."""

import datetime as dt

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

"""The timeline's first entry names who requested the connection."""

import datetime as dt

import pytest

from peering.models import PeeringConnection
from peering.selectors.connections import connection_requested_by
from portal.models import ActivityLog
from tests import factories

pytestmark = pytest.mark.django_db


def test_connection_created_with_the_peering_names_the_peerings_creator(
    subscription, django_assert_num_queries
):
    creator = factories.UserFactory(username="jdoe", first_name="Jane", last_name="Doe")
    peering = factories.PeeringFactory(subscription=subscription, created_by=creator)
    connection = factories.PeeringConnectionFactory(peering=peering)
    connection.peering = peering
    with django_assert_num_queries(0):
        assert connection_requested_by(connection=connection) == "Jane Doe"


def test_connection_added_later_names_who_added_it(subscription):
    creator = factories.UserFactory(username="creator")
    adder = factories.UserFactory(username="adder", first_name="", last_name="")
    peering = factories.PeeringFactory(subscription=subscription, created_by=creator)
    later = peering.created_at + dt.timedelta(days=2)
    connection = factories.PeeringConnectionFactory(peering=peering)
    PeeringConnection.objects.filter(pk=connection.pk).update(created_at=later)
    connection.refresh_from_db()
    before = factories.ActivityLogFactory(
        subscription=subscription, resource_id=peering.resource_id, user=creator, caller="creator"
    )
    added = factories.ActivityLogFactory(
        subscription=subscription, resource_id=peering.resource_id, user=adder, caller="adder"
    )
    other = factories.ActivityLogFactory(
        subscription=subscription, resource_id=peering.resource_id, user=creator, caller="creator"
    )
    ActivityLog.objects.filter(pk=before.pk).update(timestamp=later - dt.timedelta(hours=1))
    ActivityLog.objects.filter(pk=added.pk).update(timestamp=later + dt.timedelta(seconds=1))
    ActivityLog.objects.filter(pk=other.pk).update(timestamp=later + dt.timedelta(hours=1))
    connection.peering = peering
    assert connection_requested_by(connection=connection) == "adder"


def test_without_a_creator_the_actor_is_the_peer(subscription):
    peering = factories.PeeringFactory(subscription=subscription, created_by=None)
    connection = factories.PeeringConnectionFactory(peering=peering)
    assert connection_requested_by(connection=connection) == "Peer"

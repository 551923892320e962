"""The pictures' data: received-route counts per connection over the imports, and a prefix's
events on a time axis."""

import datetime as dt

import pytest
from django.utils import timezone

from peering.selectors.peerings import peering_for_user
from peering.selectors.telemetry import (
    IMPORT_OPERATION,
    prefix_event_history,
    received_route_counts,
)
from peering.services.routes import parse_route, received_routes_import
from portal.models import ActivityLog
from tests import factories

pytestmark = pytest.mark.django_db


def _routes(count: int, second_octet: int = 60) -> list[dict]:
    now = timezone.now()
    return [
        {
            "prefix": f"45.{second_octet}.{i}.0/24",
            "next_hop": "192.0.2.10",
            "as_path": "59999 150000",
            "origin_as": 150000,
            "communities": ["8075:8007"],
            "received_at": now,
        }
        for i in range(count)
    ]


def _read(owner, peering):
    return peering_for_user(
        user=owner,
        subscription_id=peering.subscription_id,
        resource_group=peering.resource_group.name,
        name=peering.name,
    )


@pytest.fixture
def peering(subscription):
    peering = factories.PeeringFactory(subscription=subscription, name="contoso-sea")
    seattle = factories.DirectFacilityFactory(location=peering.peering_location, name="SE2")
    dallas = factories.DirectFacilityFactory(location=peering.peering_location, name="DA3")
    factories.PeeringConnectionFactory(peering=peering, direct_facility=seattle)
    factories.PeeringConnectionFactory(peering=peering, direct_facility=dallas)
    return peering


def test_counts_follow_each_import_per_connection(owner, operator, peering):
    first, second = peering.connections.order_by("id")
    for count in (3, 5, 2):
        received_routes_import(connection=first, routes=_parsed(count), operator=operator)
    received_routes_import(connection=second, routes=_parsed(4, 61), operator=operator)

    series = received_route_counts(peering=_read(owner, peering))

    assert [(s.label, [p.value for p in s.points]) for s in series] == [
        ("SE2", [3, 5, 2]),
        ("DA3", [4]),
    ]
    times = [p.when for p in series[0].points]
    assert times == sorted(times)


def test_an_empty_import_is_a_point_at_zero(owner, operator, peering):
    first = peering.connections.order_by("id").first()
    received_routes_import(connection=first, routes=_parsed(2), operator=operator)
    received_routes_import(connection=first, routes=[], operator=operator)
    (series,) = received_route_counts(peering=_read(owner, peering))
    assert [p.value for p in series.points] == [2, 0]


def test_routes_loaded_without_an_import_entry_show_their_current_count(owner, peering):
    first = peering.connections.order_by("id").first()
    when = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)
    for i in range(3):
        factories.ReceivedRouteFactory(connection=first, prefix=f"45.70.{i}.0/24", received_at=when)
    (series,) = received_route_counts(peering=_read(owner, peering))
    assert series.label == "SE2"
    assert [(p.when, p.value) for p in series.points] == [(when, 3)]


def test_other_peerings_imports_are_not_counted(owner, operator, subscription, peering):
    other = factories.PeeringFactory(subscription=subscription, name="contoso-dfw")
    facility = factories.DirectFacilityFactory(location=other.peering_location, name="SE2")
    connection = factories.PeeringConnectionFactory(peering=other, direct_facility=facility)
    received_routes_import(connection=connection, routes=_parsed(7), operator=operator)
    # A hand-written entry with another message shape is ignored, not misread.
    ActivityLog.objects.create(
        subscription=subscription,
        caller="x",
        operation=IMPORT_OPERATION,
        operation_display="Import received routes",
        resource_id=peering.resource_id,
        message="routes were imported",
    )
    assert received_route_counts(peering=_read(owner, peering)) == []


def test_counts_take_two_queries_however_many_imports(
    owner, operator, peering, django_assert_num_queries
):
    first = peering.connections.order_by("id").first()
    for count in range(1, 8):
        received_routes_import(connection=first, routes=_parsed(count), operator=operator)
    read = _read(owner, peering)
    with django_assert_num_queries(2):
        (series,) = received_route_counts(peering=read)
    assert len(series.points) == 7


def test_a_peering_without_connections_has_no_series(
    owner, subscription, django_assert_num_queries
):
    bare = factories.PeeringFactory(subscription=subscription)
    read = _read(owner, bare)
    with django_assert_num_queries(0):
        assert received_route_counts(peering=read) == []


def test_prefix_event_history_is_oldest_first():
    prefix = factories.PeeringServicePrefixFactory()
    now = timezone.now()
    factories.PrefixEventFactory(prefix=prefix, timestamp=now, event_level="Warning")
    factories.PrefixEventFactory(prefix=prefix, timestamp=now - dt.timedelta(days=1))
    factories.PrefixEventFactory(timestamp=now)  # another prefix's event
    history = prefix_event_history(prefix=prefix)
    assert [e.level for e in history] == ["Information", "Warning"]
    assert history[0].when < history[1].when


def test_connections_at_the_same_place_keep_their_own_lines(owner, operator, subscription):
    peering = factories.PeeringFactory(subscription=subscription)
    westin = factories.DirectFacilityFactory(location=peering.peering_location, name="Westin")
    first = factories.PeeringConnectionFactory(peering=peering, direct_facility=westin)
    second = factories.PeeringConnectionFactory(peering=peering, direct_facility=westin)
    for count in (3, 6):
        received_routes_import(connection=first, routes=_parsed(count), operator=operator)
        received_routes_import(connection=second, routes=_parsed(count + 1, 61), operator=operator)
    series = received_route_counts(peering=_read(owner, peering))
    assert [(s.label, [p.value for p in s.points]) for s in series] == [
        ("Westin · connection 1 of 2", [3, 6]),
        ("Westin · connection 2 of 2", [4, 7]),
    ]


def test_an_entry_naming_only_the_place_counts_when_one_connection_is_there(owner, peering):
    ActivityLog.objects.create(
        subscription=peering.subscription,
        caller="operator",
        operation=IMPORT_OPERATION,
        operation_display="Import received routes",
        resource_id=peering.resource_id,
        message="12 route(s) at SE2: 12 announced, 0 withdrawn, 0 origin change(s); 0 prefix "
        "event(s).",
    )
    (series,) = received_route_counts(peering=_read(owner, peering))
    assert (series.label, [p.value for p in series.points]) == ("SE2", [12])


def _parsed(*args) -> list[dict]:
    """The routes as the importer reads them from a file."""
    now = timezone.now()
    return [parse_route(raw, line=n, now=now) for n, raw in enumerate(_routes(*args), start=1)]

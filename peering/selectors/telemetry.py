"""Reads behind the portal's pictures: received-route counts per connection over the imports
(a peering's Overview) and a Peering Service prefix's events on a time axis.

Both take objects already read through the tenancy-checked selectors (`peering_for_user`,
the prefix of a service the user holds a role on), so they never widen what a user sees.

The received-route import replaces a connection's routes and keeps no table of counts; what it
does keep is one Activity log entry per connection and import ("120 route(s) at Equinix SE2
(connection <GUID>): …", `peering.services.routes`). The history is read back from those
entries; a connection whose routes were loaded without such an entry (seeded data) shows one
point: its current route count at its newest `received_at`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from peering.enums import ConnectionState, PrefixValidationState, SessionState
from peering.models import (
    Peering,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PrefixEvent,
    ReceivedRoute,
)
from portal import sql
from portal.models import ActivityLog

IMPORT_OPERATION = "Microsoft.Peering/peerings/receivedRoutes/write"
# "<n> route(s) at <place> (connection <GUID>): <a> announced, …" as `received_routes_import`
# writes it (entries written before the GUID was added name only the place).
IMPORT_MESSAGE = re.compile(
    r"^(?P<count>\d+) route\(s\) at (?P<place>.+?)"
    r"(?: \(connection (?P<guid>[0-9a-f-]{36})\))?: \d+ announced"
)
# How many imports of each connection the chart shows (the newest ones).
MAX_IMPORTS = 30
MAX_EVENTS = 200


@dataclass(frozen=True)
class Point:
    """One measurement: when, and the value then."""

    when: datetime
    value: int


@dataclass
class Series:
    """One line of a chart: its label and its points, oldest first."""

    label: str
    points: list[Point] = field(default_factory=list)

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None


def _labels(connections: list) -> dict[int, str]:
    """Each connection's place; "<place> · connection 2 of 3" where several share one."""
    at: dict[str, list] = defaultdict(list)
    for connection in connections:
        at[connection.facility_name].append(connection)
    labels = {}
    for place, here in at.items():
        for number, connection in enumerate(here, start=1):
            labels[connection.pk] = (
                place if len(here) == 1 else f"{place} · connection {number} of {len(here)}"
            )
    return labels


def received_route_counts(*, peering: Peering) -> list[Series]:
    """Received-route counts per connection over the imports, oldest first (two queries:
    the import entries of the Activity log, and the current counts). Connections with
    nothing received are left out. An entry names its connection's GUID; an older entry that
    names only the place counts when one connection is there."""
    connections = [c for c in peering.connections.all() if c.facility_name]  # prefetched
    if not connections:
        return []
    by_guid = {str(c.connection_identifier): c.pk for c in connections}
    places: dict[str, list[int]] = defaultdict(list)
    for connection in connections:
        places[connection.facility_name].append(connection.pk)
    # Two SQL statements (`portal.sql`): as querysets their building and compiling cost more
    # than the rest of the Overview's reads.
    entries = sql.fetch(
        _IMPORT_ENTRIES_SQL,
        [
            sql.db_value(ActivityLog._meta.get_field("subscription"), peering.subscription_id),
            peering.resource_id,
            IMPORT_OPERATION,
            MAX_IMPORTS * len(connections),
        ],
        [ActivityLog._meta.get_field("timestamp"), None],
    )
    history: dict[int, list[Point]] = defaultdict(list)
    for when, message in reversed(entries):
        match = IMPORT_MESSAGE.match(message or "")
        if match is None:
            continue
        if match["guid"]:
            pk = by_guid.get(match["guid"])
        else:
            here = places.get(match["place"], [])
            pk = here[0] if len(here) == 1 else None
        if pk is not None:
            history[pk].append(Point(when=when, value=int(match["count"])))
    current = {
        connection_id: {"routes": routes, "newest": newest}
        for connection_id, routes, newest in sql.fetch(
            _ROUTE_COUNTS_SQL.format(ids=", ".join(["%s"] * len(connections))),
            [c.pk for c in connections],
            [None, None, ReceivedRoute._meta.get_field("received_at")],
        )
    }
    labels = _labels(connections)
    series = []
    for connection in connections:
        points = history.get(connection.pk, [])[-MAX_IMPORTS:]
        row = current.get(connection.pk)
        if not points and row is not None:
            points = [Point(when=row["newest"], value=row["routes"])]
        if points:
            series.append(Series(label=labels[connection.pk], points=points))
    return series


_IMPORT_ENTRIES_SQL = """
    SELECT timestamp, message FROM portal_activitylog
     WHERE subscription_id = %s AND resource_id = %s AND operation = %s
     ORDER BY timestamp DESC, id DESC LIMIT %s
"""
_ROUTE_COUNTS_SQL = """
    SELECT connection_id, COUNT(id), MAX(received_at) FROM peering_receivedroute
     WHERE connection_id IN ({ids}) GROUP BY connection_id
"""


@dataclass(frozen=True)
class EventMark:
    """One prefix event placed on the time axis."""

    when: datetime
    level: str
    event_type: str
    summary: str


def prefix_event_history(*, prefix: PeeringServicePrefix) -> list[EventMark]:
    """The prefix's newest events, oldest first, for its time axis (one query)."""
    events = (
        PrefixEvent.objects.filter(prefix=prefix)
        .order_by("-timestamp", "-id")
        .values_list("timestamp", "event_level", "event_type", "summary")[:MAX_EVENTS]
    )
    return [
        EventMark(when=when, level=level, event_type=event_type, summary=summary)
        for when, level, event_type, summary in reversed(list(events))
    ]


# --- live state -------------------------------------------------------------------------------

# A page showing connections polls (htmx, every POLL_SECONDS) while any of them is still on its
# way; once every one is in a state only a person moves it out of, polling stops.
POLL_SECONDS = 5
FINAL_CONNECTION_STATES = frozenset(
    {ConnectionState.ACTIVE, ConnectionState.PROVISIONING_FAILED, ConnectionState.NONE}
)
CHANGING_SESSION_STATES = frozenset(
    {SessionState.PENDING_ADD, SessionState.PENDING_UPDATE, SessionState.PENDING_REMOVE}
)
CHANGING_PREFIX_STATES = frozenset({PrefixValidationState.PENDING})


def connections_changing(connections) -> bool:
    """Whether any connection (or one of its sessions) is in a non-final state."""
    return any(
        c.connection_state not in FINAL_CONNECTION_STATES
        or c.session_state_v4 in CHANGING_SESSION_STATES
        or c.session_state_v6 in CHANGING_SESSION_STATES
        for c in connections
    )


def prefixes_changing(prefixes) -> bool:
    """Whether any Peering Service prefix is still waiting for its validation."""
    return any(p.validation_state in CHANGING_PREFIX_STATES for p in prefixes)


def live_context(*, changing: bool, url: str) -> dict:
    """What a live region needs: whether it polls, where, how often, and when it was read."""
    return {
        "live": changing,
        "live_url": url,
        "poll_seconds": POLL_SECONDS,
        "updated_at": timezone.now(),
    }


# --- where prefix keys work -------------------------------------------------------------------


def key_providers(*, peering: Peering) -> list[PeeringServiceProvider]:
    """The Peering Service providers the peering's prefix keys are valid under: those whose ASN
    is the peering's Peer ASN (a key is matched only against its provider's peerings). None
    means every customer who enters one of its keys is refused. One query."""
    return list(PeeringServiceProvider.objects.filter(asn=peering.peer_asn.peer_asn))

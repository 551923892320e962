"""Reads behind the portal's pictures: received-route counts per connection over the imports
(a peering's Overview) and a Peering Service prefix's events on a time axis.

Both take objects already read through the tenancy-checked selectors (`peering_for_user`,
the prefix of a service the user holds a role on), so they never widen what a user sees.

The received-route import replaces a connection's routes and keeps no table of counts; what it
does keep is one Activity log entry per connection and import ("120 route(s) at Equinix SE2:
…", `peering.services.routes`). The history is read back from those entries; a connection
whose routes were loaded without such an entry (seeded data) shows one point: its current
route count at its newest `received_at`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max

from peering.models import Peering, PeeringServicePrefix, PrefixEvent, ReceivedRoute
from portal.models import ActivityLog

IMPORT_OPERATION = "Microsoft.Peering/peerings/receivedRoutes/write"
# "<n> route(s) at <place>: <a> announced, …" as `received_routes_import` writes it.
IMPORT_MESSAGE = re.compile(r"^(?P<count>\d+) route\(s\) at (?P<place>.+?): \d+ announced")
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


def received_route_counts(*, peering: Peering) -> list[Series]:
    """Received-route counts per connection over the imports, oldest first (two queries:
    the import entries of the Activity log, and the current counts). Connections with
    nothing received are left out; connections at the same place share one line, as the
    import entries name only the place."""
    connections = list(peering.connections.all())  # prefetched by `peering_for_user`
    places = list(dict.fromkeys(c.facility_name for c in connections if c.facility_name))
    if not places:
        return []
    entries = (
        ActivityLog.objects.filter(
            subscription_id=peering.subscription_id,
            resource_id=peering.resource_id,
            operation=IMPORT_OPERATION,
        )
        .order_by("-timestamp", "-id")
        .values_list("timestamp", "message")[: MAX_IMPORTS * len(places)]
    )
    history: dict[str, list[Point]] = defaultdict(list)
    for when, message in reversed(list(entries)):
        match = IMPORT_MESSAGE.match(message or "")
        if match and match["place"] in places:
            history[match["place"]].append(Point(when=when, value=int(match["count"])))
    current: dict[str, tuple[int, datetime | None]] = {}
    place_of = {c.pk: c.facility_name for c in connections}
    rows = (
        ReceivedRoute.objects.filter(connection__in=[c.pk for c in connections])
        .values("connection_id")
        .annotate(routes=Count("id"), newest=Max("received_at"))
    )
    for row in rows:
        place = place_of[row["connection_id"]]
        count, newest = current.get(place, (0, None))
        newest = max(filter(None, (newest, row["newest"])), default=None)
        current[place] = (count + row["routes"], newest)
    series = []
    for place in places:
        points = history.get(place, [])[-MAX_IMPORTS:]
        if not points and place in current and current[place][1] is not None:
            count, newest = current[place]
            points = [Point(when=newest, value=count)]
        if points:
            series.append(Series(label=place, points=points))
    return series


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

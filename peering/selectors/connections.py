"""Reads of a peering's connections and their timelines."""

from dataclasses import dataclass
from datetime import timedelta

from django.http import Http404

from peering.models import (
    Actor,
    ConnectionTransition,
    Peering,
    PeeringConnection,
)
from portal.models import ActivityLog


def connection_of(*, peering: Peering, connection_identifier: object) -> PeeringConnection:
    """One connection of a peering held through `peering_for_user`, by its connection
    identifier (read from the prefetched connections: no query). 404 when it is not there."""
    wanted = str(connection_identifier).lower()
    for connection in peering.connections.all():
        if str(connection.connection_identifier) == wanted:
            connection.peering = peering  # the tenancy-checked object, with user_role
            return connection
    raise Http404("No such connection.")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a connection's timeline: when, from → to, who, and the note."""

    when: object
    from_state: str
    to_state: str
    who: str
    actor: str
    note: str


def _who(transition: ConnectionTransition) -> str:
    if transition.actor == Actor.OPERATOR:
        return "Microsoft"
    if transition.actor == Actor.PEER:
        user = transition.user
        if user is None:
            return "Peer"
        return user.get_full_name() or user.get_username()
    return Actor(transition.actor).label if transition.actor in Actor.values else "Automation"


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


# A connection created this soon after its peering came with it (the wizard's Create).
WITH_THE_PEERING = timedelta(minutes=1)


def connection_requested_by(*, connection: PeeringConnection) -> str:
    """Who requested the connection: the timeline's first entry names its actor. A connection
    created with its peering was requested by the peering's creator (no query: the peering is
    read with `created_by`); one added later by whoever made the first Activity log entry on
    the peering from that moment (Add connection; one query)."""
    peering = connection.peering
    creator = peering.created_by if peering.created_by_id else None
    if connection.created_at - peering.created_at <= WITH_THE_PEERING:
        return _person(creator) if creator is not None else Actor.PEER.label
    entry = (
        ActivityLog.objects.filter(
            subscription_id=peering.subscription_id,
            resource_id=peering.resource_id,
            timestamp__gte=connection.created_at,
        )
        .select_related("user")
        .order_by("timestamp", "id")
        .first()
    )
    if entry is not None:
        return _person(entry.user) if entry.user else entry.caller
    return _person(creator) if creator is not None else Actor.PEER.label


def connection_timeline(*, connection: PeeringConnection) -> list[TimelineEntry]:
    """The connection's state changes, oldest first, with who made each (one query)."""
    transitions = ConnectionTransition.objects.filter(connection=connection).select_related("user")
    return [
        TimelineEntry(
            when=t.created_at,
            from_state=t.from_state,
            to_state=t.to_state,
            who=_who(t),
            actor=t.actor,
            note=t.note,
        )
        for t in transitions.order_by("created_at", "id")
    ]

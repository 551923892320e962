"""Reads of the Create a Peering wizard, scoped to what the user may create in.

The wizard's views hold only subscriptions from `writable_subscriptions_for_user`; every read
below is within one of those (or is reference data every signed-in user sees).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from peering.enums import Kind, ValidationState
from peering.models import DirectFacility, Exchange, PeerAsn, PeeringLocation
from portal import sql
from portal.models import ResourceGroup, Subscription


def approved_peer_asn(*, subscription: Subscription, name: str) -> PeerAsn | None:
    """The subscription's Approved Peer ASN of that name (ignoring case), if any."""
    name = str(name or "").strip()[:64]
    if not name:
        return None
    peer_asn = peer_asn_named(subscription=subscription, name=name)
    return peer_asn if peer_asn and peer_asn.validation_state == ValidationState.APPROVED else None


@dataclass(slots=True)
class PeerAsnChoice:
    """What Basics shows of a Peer ASN: an option of its select (and why it cannot be
    chosen). Plain values: the subscription's hundreds of model instances cost more than the
    rest of the page (and a frozen dataclass's checked __init__ five times a plain one's)."""

    name: str
    peer_asn: int
    validation_state: str
    error_message: str

    @property
    def is_approved(self) -> bool:
        return self.validation_state == ValidationState.APPROVED


@dataclass(slots=True)
class RegionName:
    display_name: str


@dataclass(slots=True)
class GroupChoice:
    """A resource group as Basics offers it: its name, and its region's display name (shown
    when the group is chosen)."""

    name: str
    region: RegionName


def peer_asns_of(*, subscription: Subscription) -> list[PeerAsnChoice]:
    """Every Peer ASN of the subscription, Approved or not (the Basics list explains why one
    cannot be chosen), by name."""
    rows = sql.fetch(
        "SELECT name, peer_asn, validation_state, error_message FROM peering_peerasn"
        " WHERE subscription_id = %s ORDER BY name",
        [sql.db_value(PeerAsn._meta.get_field("subscription"), subscription.pk)],
        [None, None, None, None],
    )
    return [PeerAsnChoice(*row) for row in rows]


def resource_groups_of(*, subscription: Subscription) -> list[GroupChoice]:
    """The subscription's resource groups by name, each with its region's display name."""
    rows = sql.fetch(
        "SELECT g.name, r.display_name FROM portal_resourcegroup g"
        " JOIN portal_azureregion r ON r.id = g.region_id"
        " WHERE g.subscription_id = %s ORDER BY g.name",
        [sql.db_value(ResourceGroup._meta.get_field("subscription"), subscription.pk)],
        [None, None],
    )
    return [GroupChoice(name, RegionName(region)) for name, region in rows]


def peering_locations() -> list[PeeringLocation]:
    """The metros (reference data) by name: one SQL statement (`portal.sql`), as the queryset
    cost more to build than to run on every Configuration tab."""
    return [_LOCATION.read(row) for row in _LOCATION.rows("ORDER BY l.name", [])]


_LOCATION = sql.Joined(PeeringLocation, "l")


def places_by_id(*, kind: str, ids: Iterable[int]) -> dict[str, DirectFacility | Exchange]:
    """Facilities (or exchanges, for Exchange) by id as text, to name the grid's rows while the
    configuration is incomplete."""
    ids = set(ids)
    if not ids:
        return {}
    model = Exchange if kind == Kind.EXCHANGE else DirectFacility
    return {str(p.pk): p for p in model.objects.filter(pk__in=ids)}


def peer_asn_named(*, subscription: Subscription, name: str) -> PeerAsn | None:
    """The subscription's Peer ASN of that name (ignoring case), whatever its state. Every
    wizard tab past Basics asks, and Review + create: one SQL statement (`portal.sql`), the
    name matched as LOWER(name) = LOWER(typed), on the unique constraint's Lower(name) index."""
    rows = _PEER_ASN.rows(
        "WHERE a.subscription_id = %s AND LOWER(a.name) = LOWER(%s) ORDER BY a.name, a.id LIMIT 1",
        [sql.db_value(PeerAsn._meta.get_field("subscription"), subscription.pk), name],
    )
    return _PEER_ASN.read(rows[0]) if rows else None


_PEER_ASN = sql.Joined(PeerAsn, "a")

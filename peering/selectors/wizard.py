"""Reads of the Create a Peering wizard, scoped to what the user may create in.

The wizard's views hold only subscriptions from `writable_subscriptions_for_user`; every read
below is within one of those (or is reference data every signed-in user sees).
"""

from __future__ import annotations

from collections.abc import Iterable

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


def peer_asns_of(*, subscription: Subscription) -> list[PeerAsn]:
    """Every Peer ASN of the subscription, Approved or not (the Basics list explains why one
    cannot be chosen)."""
    return list(PeerAsn.objects.filter(subscription=subscription).order_by("name"))


def resource_groups_of(*, subscription: Subscription) -> list[ResourceGroup]:
    return list(
        ResourceGroup.objects.filter(subscription=subscription)
        .select_related("region")
        .order_by("name")
    )


def peering_locations() -> list[PeeringLocation]:
    """The metros (reference data)."""
    return list(PeeringLocation.objects.order_by("name"))


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

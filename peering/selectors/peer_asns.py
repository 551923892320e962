"""Reads of Peer ASNs, scoped to the user's subscriptions."""

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet

from peering.models import (
    PeerAsn,
    PeerContact,
    Peering,
)
from portal.models import Subscription
from portal.selectors import (
    count_of,
    in_subscriptions_of,
    resource_for_user,
)


def peer_asns_for_user(
    *,
    user,
    subscription: Subscription | None = None,
    search: str = "",
    validation_state: str = "",
) -> QuerySet[PeerAsn]:
    """Peer ASNs in the user's subscriptions (optionally one), with contact and peering counts.

    `search` matches the name or peer name (substring) or the ASN (exact, "AS" prefix allowed);
    `validation_state` keeps one state."""
    qs = in_subscriptions_of(PeerAsn, user=user, subscription=subscription)
    search = (search or "").strip()
    if search:
        match = Q(name__icontains=search) | Q(peer_name__icontains=search)
        digits = search[2:] if search[:2].upper() == "AS" else search
        if digits.isascii() and digits.isdigit() and len(digits) <= 10:
            match |= Q(peer_asn=int(digits))
        qs = qs.filter(match)
    if validation_state:
        qs = qs.filter(validation_state=validation_state)
    return (
        qs.select_related("subscription")
        .annotate(
            contact_count=count_of(PeerContact.objects.filter(peer_asn=OuterRef("pk")), "peer_asn"),
            peering_count=count_of(Peering.objects.filter(peer_asn=OuterRef("pk")), "peer_asn"),
        )
        .order_by("subscription__display_name", "name")
    )


def peer_asn_for_user(*, user, subscription_id: object, name: str, write: bool = False) -> PeerAsn:
    """One Peer ASN by subscription and name (404 outside the user's subscriptions)."""
    return resource_for_user(
        PeerAsn.objects.select_related("created_by")
        .prefetch_related(Prefetch("contacts", queryset=PeerContact.objects.order_by("id")))
        .annotate(peering_count=Count("peerings", distinct=True)),
        user=user,
        subscription_id=subscription_id,
        write=write,
        not_found="No such Peer ASN.",
        name__iexact=name,
    )


def peerings_using_peer_asn(*, peer_asn: PeerAsn) -> QuerySet[Peering]:
    """The peerings that use a Peer ASN (the caller already holds it through a selector)."""
    return (
        Peering.objects.filter(peer_asn=peer_asn)
        .select_related("resource_group", "peering_location")
        .order_by("resource_group__name", "name")
    )

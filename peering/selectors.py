"""Reads of the peering domain, scoped to the caller's subscriptions."""

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from peering.models import PeerAsn, PeerContact
from portal.models import Subscription
from portal.selectors import subscription_for_user, subscriptions_for_user


def peer_asns_for_user(*, user, subscription: Subscription | None = None) -> QuerySet[PeerAsn]:
    """Peer ASNs in the user's subscriptions (optionally one), with contact and peering counts."""
    qs = PeerAsn.objects.filter(subscription__in=subscriptions_for_user(user=user))
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    return (
        qs.select_related("subscription")
        .annotate(
            contact_count=Count("contacts", distinct=True),
            peering_count=Count("peerings", distinct=True),
        )
        .order_by("subscription__display_name", "name")
    )


def peer_asn_for_user(*, user, subscription_id: object, name: str, write: bool = False) -> PeerAsn:
    """One Peer ASN by subscription and name (404 outside the user's subscriptions)."""
    subscription = subscription_for_user(user=user, subscription_id=subscription_id, write=write)
    peer_asn = (
        PeerAsn.objects.filter(subscription=subscription, name__iexact=name)
        .select_related("subscription", "created_by")
        .prefetch_related(Prefetch("contacts", queryset=PeerContact.objects.order_by("id")))
        .annotate(peering_count=Count("peerings", distinct=True))
        .first()
    )
    if peer_asn is None:
        raise Http404("No such Peer ASN.")
    peer_asn.subscription = subscription  # carries user_role for the template
    return peer_asn

"""Reads of Peer ASNs, scoped to the user's subscriptions."""

from django.db.models import Count, OuterRef, Prefetch, QuerySet

from peering.models import (
    PeerAsn,
    PeerContact,
    Peering,
)
from portal import sql
from portal.models import Subscription
from portal.selectors import (
    count_of,
    in_subscriptions_of,
    resource_for_user,
    subscriptions_condition,
)
from portal.tables import order_by_sql


def peer_asns_for_user(*, user, subscription: Subscription | None = None) -> QuerySet[PeerAsn]:
    """Peer ASNs in the user's subscriptions (optionally one), with contact and peering counts
    (the API's list; the portal's, with its search, is `peer_asn_list_rows`)."""
    return (
        in_subscriptions_of(PeerAsn, user=user, subscription=subscription)
        .select_related("subscription")
        .annotate(
            contact_count=count_of(PeerContact.objects.filter(peer_asn=OuterRef("pk")), "peer_asn"),
            peering_count=count_of(Peering.objects.filter(peer_asn=OuterRef("pk")), "peer_asn"),
        )
        .order_by("subscription__display_name", "name")
    )


# The Peer ASN list's orderings (`PeerAsnListFilterForm.ordering`'s fields) in its SQL.
_LIST_ORDER = {
    "name": "a.name",
    "peer_asn": "a.peer_asn",
    "peer_name": "a.peer_name",
    "validation_state": "a.validation_state",
    "subscription__display_name": "a_subscription.display_name",
    "contact_count": "contact_count",
    "peering_count": "peering_count",
    "pk": "a.id",
}


def peer_asn_list_rows(
    *,
    user,
    subscription: Subscription | None = None,
    search: str = "",
    validation_state: str = "",
    ordering: list[str],
) -> sql.Rows:
    """The Peer ASNs list for `paginate`: the user's Peer ASNs (one subscription's if given)
    with their contact and peering counts; `search` matches the name or peer name (substring)
    or the ASN (exact, "AS" prefix allowed), `validation_state` keeps one state; ordered by
    `ordering` (the form's field names, "-" for descending). One SQL statement for the count
    and one for the page (`portal.sql`): the queryset's build and compile were most of the
    page."""
    tenancy, params = subscriptions_condition("a", PeerAsn, user=user, subscription=subscription)
    conditions = [tenancy]
    search = (search or "").strip()
    if search:
        matches = []
        for column in ("a.name", "a.peer_name"):
            condition, pattern = sql.icontains(column, search)
            matches.append(condition)
            params.append(pattern)
        digits = search[2:] if search[:2].upper() == "AS" else search
        if digits.isascii() and digits.isdigit() and len(digits) <= 10:
            matches.append("a.peer_asn = %s")
            params.append(int(digits))
        conditions.append(f"({' OR '.join(matches)})")
    if validation_state:
        conditions.append("a.validation_state = %s")
        params.append(validation_state)
    order_by = order_by_sql(ordering, _LIST_ORDER)

    def read(row):
        peer_asn = _PEER_ASN_ROW.read(row)
        peer_asn.contact_count, peer_asn.peering_count = row[_PEER_ASN_ROW.size :]
        return peer_asn

    return sql.Rows(_PEER_ASN_ROW, "WHERE " + " AND ".join(conditions), params, order_by, read)


_PEER_ASN_ROW = sql.Joined(
    PeerAsn,
    "a",
    ["subscription"],
    extra=[
        "(SELECT COUNT(*) FROM peering_peercontact c WHERE c.peer_asn_id = a.id) AS contact_count",
        "(SELECT COUNT(*) FROM peering_peering p WHERE p.peer_asn_id = a.id) AS peering_count",
    ],
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

"""`peer_asns`: a subscription's Peer ASNs."""

from django.http import HttpRequest
from ninja import Router

from peering.api import representations as rep
from peering.api.paging import arm_page
from peering.api.routing import SUB, arm, arm_json
from peering.selectors.peer_asns import peer_asn_for_user, peer_asns_for_user
from portal.selectors import subscription_for_user

router = Router(tags=["Peer ASNs"])

PATH = f"{SUB}/peerAsns/{{name}}"


@arm(
    router,
    "GET",
    f"{SUB}/peerAsns",
    operation_id="PeerAsns_ListBySubscription",
    summary="List the subscription's Peer ASNs",
)
def peer_asns_list(request: HttpRequest, subscription_id: str):
    """Peer ASNs with their contacts and validation state."""
    subscription = subscription_for_user(user=request.user, subscription_id=subscription_id)
    rows = (
        peer_asns_for_user(user=request.user, subscription=subscription)
        .select_related("created_by")
        .prefetch_related("contacts")
        .order_by("name", "pk")
    )
    return arm_json(arm_page(request, rows, rep.peer_asn))


@arm(router, "GET", PATH, operation_id="PeerAsns_Get", summary="Get a Peer ASN")
def peer_asn_get(request: HttpRequest, subscription_id: str, name: str):
    """One Peer ASN by name (case-insensitive)."""
    item = peer_asn_for_user(user=request.user, subscription_id=subscription_id, name=name)
    return arm_json(rep.peer_asn(item))

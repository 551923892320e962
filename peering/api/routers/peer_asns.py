"""`peer_asns`: a subscription's Peer ASNs."""

from django.http import HttpRequest
from ninja import Router

from peering.api import representations as rep
from peering.api.audit import api_write
from peering.api.body import parse_body
from peering.api.lookups import arm_delete, arm_saved
from peering.api.paging import arm_page
from peering.api.routing import SUB, arm, arm_json
from peering.api.schemas import PEER_ASN_PATHS, PeerAsnBody
from peering.selectors.peer_asns import peer_asn_for_user, peer_asns_for_user
from peering.services import peer_asns as services
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


@arm(router, "DELETE", PATH, operation_id="PeerAsns_Delete", summary="Delete a Peer ASN")
def peer_asn_delete(request: HttpRequest, subscription_id: str, name: str):
    """200 when removed, 204 when absent; 409 while a peering uses it."""
    subscription = subscription_for_user(
        user=request.user, subscription_id=subscription_id, write=True
    )
    return arm_delete(
        request,
        lambda: peer_asn_for_user(user=request.user, subscription_id=subscription.pk, name=name),
        lambda item: services.peer_asn_delete(user=request.user, peer_asn=item),
        paths=PEER_ASN_PATHS,
    )


@arm(
    router,
    "PUT",
    PATH,
    body=PeerAsnBody,
    operation_id="PeerAsns_CreateOrUpdate",
    summary="Associate a Peer ASN",
)
def peer_asn_put(request: HttpRequest, subscription_id: str, name: str):
    """201 when associated (validation state Pending until Microsoft decides); 200 when an
    existing one was updated (its contacts replaced; its ASN and company name cannot change)."""
    subscription = subscription_for_user(
        user=request.user, subscription_id=subscription_id, write=True
    )
    body = parse_body(request, PeerAsnBody)
    with api_write(request, paths=PEER_ASN_PATHS):
        item, created = services.peer_asn_create_or_update(
            user=request.user, subscription=subscription, data=body.contract(name=name)
        )
    item = peer_asn_for_user(user=request.user, subscription_id=subscription.pk, name=item.name)
    return arm_saved(rep.peer_asn(item), created=created)

"""`peer_asns`: a subscription's Peer ASNs."""

from ninja import Router

from peering.api import representations as rep
from peering.api.resource_type import ResourceType
from peering.api.routing import SUB
from peering.api.schemas import PEER_ASN_PATHS, PeerAsnBody
from peering.selectors.peer_asns import peer_asn_for_user, peer_asns_for_user
from peering.services import peer_asns as services

router = Router(tags=["Peer ASNs"])

PEER_ASNS = ResourceType(
    router,
    f"{SUB}/peerAsns/{{name}}",
    "PeerAsns",
    rep.peer_asn,
    peer_asn_for_user,
    paths=PEER_ASN_PATHS,
)

PEER_ASNS.list(
    f"{SUB}/peerAsns",
    "PeerAsns_ListBySubscription",
    "List the subscription's Peer ASNs",
    "Peer ASNs with their contacts and validation state.",
    rows=lambda call, subscription: (
        peer_asns_for_user(user=call.user, subscription=subscription)
        .select_related("created_by")
        .prefetch_related("contacts")
        .order_by("name", "pk")
    ),
)
PEER_ASNS.get("Get a Peer ASN", "One Peer ASN by name (case-insensitive).")
PEER_ASNS.delete(
    "Delete a Peer ASN",
    "200 when removed, 204 when absent; 409 while a peering uses it.",
    delete=lambda user, item: services.peer_asn_delete(user=user, peer_asn=item),
)
PEER_ASNS.put(
    PeerAsnBody,
    "Associate a Peer ASN",
    "201 when associated (validation state Pending until Microsoft decides); 200 when an existing "
    "one was updated (its contacts replaced; its ASN and company name cannot change).",
    save=services.peer_asn_create_or_update,
)

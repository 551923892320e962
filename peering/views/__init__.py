"""Views of the peering blades: Peer ASNs and peerings. Thin: forms parse, services decide."""

from peering.views.peer_asns import (
    peer_asn_contact_row,
    peer_asn_create,
    peer_asn_delete,
    peer_asn_detail,
    peer_asn_list,
)
from peering.views.peerings import peering_detail, peering_list

__all__ = [
    "peer_asn_contact_row",
    "peer_asn_create",
    "peer_asn_delete",
    "peer_asn_detail",
    "peer_asn_list",
    "peering_detail",
    "peering_list",
]

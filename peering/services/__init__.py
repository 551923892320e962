"""Writes of the peering domain. Every rule lives here; views, admin and the API call these."""

from peering.services.peer_asn import (
    peer_asn_approve,
    peer_asn_create,
    peer_asn_delete,
    peer_asn_reject,
)

__all__ = ["peer_asn_approve", "peer_asn_create", "peer_asn_delete", "peer_asn_reject"]

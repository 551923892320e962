"""Models of the Microsoft.Peering domain, split by role."""

from peering.models.peer_asn import PeerAsn, PeerContact
from peering.models.peering import Peering, PeeringConnection
from peering.models.reference import (
    DirectFacility,
    Exchange,
    PeeringLocation,
    PeeringServiceLocation,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
)

__all__ = [
    "DirectFacility",
    "Exchange",
    "PeerAsn",
    "PeerContact",
    "Peering",
    "PeeringConnection",
    "PeeringLocation",
    "PeeringServiceLocation",
    "PeeringServiceProvider",
    "PeeringServiceProviderLocation",
]

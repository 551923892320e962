"""Models of the Microsoft.Peering domain, split by role."""

from peering.enums import LearnedType, PrefixValidationState
from peering.models.draft import PeeringDraft, PeeringServiceDraft
from peering.models.lifecycle import (
    Actor,
    ConnectionTransition,
    DeprovisionRequest,
    FacilityAddressPool,
)
from peering.models.peer_asn import PeerAsn, PeerContact
from peering.models.peering import Peering, PeeringConnection
from peering.models.peering_service import (
    PeeringService,
    PeeringServicePrefix,
    PrefixEvent,
    PrefixKeyAttempt,
    ReceivedRoute,
    RegisteredAsn,
    RegisteredPrefix,
)
from peering.models.reference import (
    DirectFacility,
    Exchange,
    LegacyPeering,
    PeeringLocation,
    PeeringServiceLocation,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
)

__all__ = [
    "LearnedType",
    "PeeringService",
    "PeeringServicePrefix",
    "PrefixEvent",
    "PrefixKeyAttempt",
    "PrefixValidationState",
    "ReceivedRoute",
    "RegisteredAsn",
    "RegisteredPrefix",
    "Actor",
    "ConnectionTransition",
    "DeprovisionRequest",
    "FacilityAddressPool",
    "DirectFacility",
    "Exchange",
    "LegacyPeering",
    "PeerAsn",
    "PeerContact",
    "Peering",
    "PeeringConnection",
    "PeeringDraft",
    "PeeringServiceDraft",
    "PeeringLocation",
    "PeeringServiceLocation",
    "PeeringServiceProvider",
    "PeeringServiceProviderLocation",
]

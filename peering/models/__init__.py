"""Models of the Microsoft.Peering domain, split by role."""

from peering.models.draft import PeeringDraft
from peering.models.lifecycle import (
    Actor,
    ConnectionTransition,
    DeprovisionRequest,
    FacilityAddressPool,
)
from peering.models.peer_asn import PeerAsn, PeerContact
from peering.models.peering import Peering, PeeringConnection
from peering.models.peering_service import (
    LearnedType,
    PeeringService,
    PeeringServicePrefix,
    PrefixEvent,
    PrefixKeyAttempt,
    PrefixSpan,
    PrefixValidationState,
    ReceivedRoute,
    RegisteredAsn,
    RegisteredPrefix,
    ValidationRun,
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
from peering.models.rpki import Aspa, Vrp, VrpSet

__all__ = [
    "Aspa",
    "PrefixSpan",
    "ValidationRun",
    "Vrp",
    "VrpSet",
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
    "PeeringLocation",
    "PeeringServiceLocation",
    "PeeringServiceProvider",
    "PeeringServiceProviderLocation",
]

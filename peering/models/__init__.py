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
    PrefixSpan,
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
    "PeeringServiceDraft",
    "PeeringLocation",
    "PeeringServiceLocation",
    "PeeringServiceProvider",
    "PeeringServiceProviderLocation",
]

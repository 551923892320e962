"""Subscription-scoped reference lists: peering locations, legacy peerings, Peering Service
countries, locations and providers, and checkServiceProviderAvailability."""

from functools import partial

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, ConfigDict, Field

from peering.api import representations as rep
from peering.api.body import parse_body
from peering.api.errors import ArmError
from peering.api.paging import arm_page
from peering.api.routing import SUB, arm, arm_json
from peering.enums import DirectPeeringType, Kind
from peering.selectors import reference
from portal.selectors import subscription_for_user

router = Router(tags=["Reference data"])


def _choice(value: str | None, choices: list[str], parameter: str) -> str:
    """The choice `value` names, ignoring case; 400 InvalidParameter otherwise."""
    for choice in choices:
        if choice.lower() == (value or "").lower():
            return choice
    raise ArmError(
        400,
        "InvalidParameter",
        f"{parameter} must be one of {', '.join(choices)}.",
        target=parameter,
    )


def _kind(value: str) -> str:
    return _choice(value, Kind.values, "kind")


def _direct_type(value: str | None) -> str:
    return _choice(value, DirectPeeringType.values, "directPeeringType") if value else ""


def _reference_page(request: HttpRequest, subscription_id: str, rows, represent):
    """A page of subscription-scoped reference rows (`rows()`, read once the caller's role on
    the subscription is checked), each represented with the subscription in its id."""
    subscription = subscription_for_user(user=request.user, subscription_id=subscription_id)
    return arm_json(arm_page(request, rows(), partial(represent, subscription=subscription)))


@arm(
    router,
    "GET",
    f"{SUB}/peeringLocations",
    operation_id="PeeringLocations_List",
    summary="List peering locations of a kind",
)
def peering_locations_list(
    request: HttpRequest,
    subscription_id: str,
    kind: str = Query(..., description="Direct or Exchange"),
    direct_peering_type: str | None = Query(None, alias="directPeeringType"),
):
    """Metros with their facilities (Direct: PeeringDB facility, types, bandwidth offers;
    Exchange: the exchange's LAN prefixes and Microsoft's addresses on it)."""
    subscription = subscription_for_user(user=request.user, subscription_id=subscription_id)
    kind = _kind(kind)
    direct_type = _direct_type(direct_peering_type) if kind == Kind.DIRECT else ""
    rows = reference.peering_locations(kind=kind, direct_peering_type=direct_type)
    return arm_json(
        arm_page(
            request,
            rows,
            lambda row: rep.peering_location(
                row, subscription=subscription, kind=kind, direct_peering_type=direct_type
            ),
        )
    )


@arm(
    router,
    "GET",
    f"{SUB}/legacyPeerings",
    operation_id="LegacyPeerings_List",
    summary="List legacy peerings of the subscription's ASNs at a location",
)
def legacy_peerings_list(
    request: HttpRequest,
    subscription_id: str,
    peering_location: str = Query(..., alias="peeringLocation"),
    kind: str = Query(...),
    asn: int | None = Query(None, ge=1, le=4294967295),
    direct_peering_type: str | None = Query(None, alias="directPeeringType"),
):
    """Connections made before the portal, not yet converted, of ASNs associated here."""
    subscription = subscription_for_user(user=request.user, subscription_id=subscription_id)
    kind = _kind(kind)
    _direct_type(direct_peering_type)
    rows = reference.legacy_peerings_of(
        subscription=subscription, peering_location=peering_location, kind=kind, asn=asn
    )
    return arm_json(
        arm_page(request, rows, lambda row: rep.legacy_peering(row, subscription=subscription))
    )


@arm(
    router,
    "GET",
    f"{SUB}/peeringServiceCountries",
    operation_id="PeeringServiceCountries_List",
    summary="List Peering Service countries",
)
def peering_service_countries_list(request: HttpRequest, subscription_id: str):
    """Countries with Peering Service customer locations."""
    return _reference_page(
        request, subscription_id, reference.service_countries, rep.service_country
    )


@arm(
    router,
    "GET",
    f"{SUB}/peeringServiceLocations",
    operation_id="PeeringServiceLocations_List",
    summary="List Peering Service customer locations",
)
def peering_service_locations_list(
    request: HttpRequest, subscription_id: str, country: str | None = Query(None)
):
    """States/provinces where a Peering Service can be placed, optionally of one country."""
    return _reference_page(
        request,
        subscription_id,
        lambda: reference.service_locations(country=country or ""),
        rep.service_location,
    )


@arm(
    router,
    "GET",
    f"{SUB}/peeringServiceProviders",
    operation_id="PeeringServiceProviders_List",
    summary="List Peering Service providers",
)
def peering_service_providers_list(request: HttpRequest, subscription_id: str):
    """Providers with the peering locations where they meet Microsoft."""
    return _reference_page(
        request, subscription_id, reference.service_providers, rep.service_provider
    )


class AvailabilityInput(BaseModel):
    """CheckServiceProviderAvailabilityInput."""

    model_config = ConfigDict(extra="forbid")
    peering_service_location: str | None = Field(None, alias="peeringServiceLocation")
    peering_service_provider: str | None = Field(None, alias="peeringServiceProvider")


@arm(
    router,
    "POST",
    f"{SUB}/checkServiceProviderAvailability",
    body=AvailabilityInput,
    operation_id="CheckServiceProviderAvailability",
    summary="Check whether a provider serves a customer location",
)
def check_service_provider_availability(request: HttpRequest, subscription_id: str):
    """Answers the bare JSON string "Available" or "Unavailable"."""
    subscription_for_user(user=request.user, subscription_id=subscription_id)
    data = parse_body(request, AvailabilityInput)
    available = reference.service_provider_available(
        location=data.peering_service_location or "",
        provider=data.peering_service_provider or "",
    )
    return arm_json("Available" if available else "Unavailable")

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
from peering.api.resource_type import Call, in_subscription, operation
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


def _country(country: str | None = Query(None)) -> str:
    return country or ""


# Subscription-scoped reference lists read once the caller's role on the subscription is
# checked, each row with the subscription in its id: (collection, operation id, summary,
# description, rows of the call, JSON of a row, query parameters).
REFERENCE_LISTS = [
    (
        "peeringServiceCountries",
        "PeeringServiceCountries_List",
        "List Peering Service countries",
        "Countries with Peering Service customer locations.",
        lambda call: reference.service_countries(),
        rep.service_country,
        None,
    ),
    (
        "peeringServiceLocations",
        "PeeringServiceLocations_List",
        "List Peering Service customer locations",
        "States/provinces where a Peering Service can be placed, optionally of one country.",
        lambda call: reference.service_locations(country=call.options),
        rep.service_location,
        _country,
    ),
    (
        "peeringServiceProviders",
        "PeeringServiceProviders_List",
        "List Peering Service providers",
        "Providers with the peering locations where they meet Microsoft.",
        lambda call: reference.service_providers(),
        rep.service_provider,
        None,
    ),
]


def _reference_list(rows, represent):
    def run(call: Call):
        subscription = in_subscription(call, False)
        serialize = partial(represent, subscription=subscription)
        return arm_json(arm_page(call.request, rows(call), serialize))

    return run


for _collection, _operation_id, _summary, _doc, _rows, _represent, _options in REFERENCE_LISTS:
    operation(
        router,
        "GET",
        f"{SUB}/{_collection}",
        operation_id=_operation_id,
        summary=_summary,
        doc=_doc,
        run=_reference_list(_rows, _represent),
        options=_options,
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

"""Reads of reference data in the API's terms: peering locations by kind, legacy peerings of a
subscription's ASNs, Peering Service locations and providers."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from peering.models import (
    DirectFacility,
    Exchange,
    LegacyPeering,
    PeerAsn,
    PeeringLocation,
    PeeringServiceLocation,
    PeeringServiceProvider,
)
from portal.models import AzureRegion, Subscription


def peering_locations(*, kind: str, direct_peering_type: str = "") -> list[PeeringLocation]:
    """Metros offering `kind` (Direct: a facility, of `direct_peering_type` when given;
    Exchange: an exchange), with their facilities or exchanges prefetched (three queries)."""
    qs = PeeringLocation.objects.select_related("azure_region").order_by("name")
    if kind == "Direct":
        qs = qs.filter(direct_facilities__isnull=False).prefetch_related(
            Prefetch("direct_facilities", queryset=DirectFacility.objects.order_by("name"))
        )
    else:
        qs = qs.filter(exchanges__isnull=False).prefetch_related(
            Prefetch("exchanges", queryset=Exchange.objects.order_by("name"))
        )
    locations = list(qs.distinct())
    if kind == "Direct" and direct_peering_type:
        # Facility types are a JSON list, not queryable alike on every database.
        locations = [
            loc
            for loc in locations
            if any(f.supports(direct_peering_type) for f in loc.direct_facilities.all())
        ]
    return locations


def metro_choices() -> list[tuple[int, str]]:
    """(pk, name) of every peering location, by name: the choices of a metro filter."""
    return list(PeeringLocation.objects.order_by("name").values_list("pk", "name"))


def legacy_peerings_of(
    *, subscription: Subscription, peering_location: str, kind: str, asn: int | None = None
) -> QuerySet[LegacyPeering]:
    """Unconverted legacy peerings at a metro of the ASNs the subscription has associated."""
    asns = PeerAsn.objects.filter(subscription=subscription).values("peer_asn")
    qs = LegacyPeering.objects.filter(
        peer_asn__in=asns,
        peering_location__name__iexact=peering_location,
        kind=kind,
        converted_to__isnull=True,
    )
    if asn is not None:
        qs = qs.filter(peer_asn=asn)
    return qs.select_related(
        "peering_location__azure_region", "exchange", "direct_facility"
    ).order_by("peer_asn", "id")


def service_locations(*, country: str = "") -> QuerySet[PeeringServiceLocation]:
    qs = PeeringServiceLocation.objects.select_related("azure_region").order_by("country", "state")
    if country:
        qs = qs.filter(country__iexact=country)
    return qs


def service_countries() -> list[str]:
    return list(
        PeeringServiceLocation.objects.order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )


def service_providers() -> QuerySet[PeeringServiceProvider]:
    return PeeringServiceProvider.objects.prefetch_related("peering_locations").order_by("name")


def service_provider_available(*, location: str, provider: str) -> bool:
    """Whether a provider serves a customer location: both exist and the provider meets
    Microsoft somewhere (the portal keeps no distances, so this stands for "within reach")."""
    return (
        PeeringServiceLocation.objects.filter(state__iexact=location).exists()
        and PeeringServiceProvider.objects.filter(
            name__iexact=provider, peering_locations__isnull=False
        ).exists()
    )


def azure_region_named(name: str) -> AzureRegion | None:
    """An Azure region by its programmatic name (`eastus`, `West US` → `westus`)."""
    name = (name or "").replace(" ", "").lower()
    return AzureRegion.objects.filter(name__iexact=name).first() if name else None

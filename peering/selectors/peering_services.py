"""Reads of the customer's Peering Service, scoped to the caller's subscriptions.

A Peering Service in a subscription where the user holds no role does not exist for them
(Http404); asking to write with a Reader role is refused (PermissionDenied → 403). The lists
aggregate in the database so a page costs the same number of queries for 3 rows or 300.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from peering.enums import ConnectionState, SessionState
from peering.models import (
    PeeringConnection,
    PeeringService,
    PeeringServiceLocation,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PrefixEvent,
    PrefixValidationState,
)
from peering.services.prefix_validation import provider_peerings
from portal.models import AzureRegion, ResourceGroup, Subscription
from portal.selectors import (
    child_of,
    resource_for_user,
    subscription_ids_for_user,
)
from portal.tables import KeyedRows

# The order states are listed in (what needs attention first).
STATE_ORDER = (
    PrefixValidationState.FAILED,
    PrefixValidationState.INVALID,
    PrefixValidationState.WARNING,
    PrefixValidationState.PENDING,
    PrefixValidationState.VERIFIED,
    PrefixValidationState.UNKNOWN,
    PrefixValidationState.NONE,
)


def _state_alias(state: str) -> str:
    return f"prefixes_{state.lower()}"


def peering_service_keys_for_user(
    *, user, subscription: Subscription | None = None
) -> QuerySet[PeeringService]:
    """Peering Services of the user's subscriptions (optionally one), in the list's order: the
    table alone, to filter, sort, count and page (`peering_service_page` reads a page's rows)."""
    qs = PeeringService.objects.filter(subscription__in=subscription_ids_for_user(user=user))
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    return qs.order_by("subscription__display_name", "resource_group__name", "name", "pk")


def _with_prefix_counts(qs: QuerySet[PeeringService]) -> QuerySet[PeeringService]:
    """`qs` with what a list row shows joined, and the prefix count and the count per
    validation state (`state_counts` reads them) counted across the join. Only for a page's
    rows (`peering_service_page`: `pk IN` the page's keys), so the database groups the
    prefixes of 50 services; as correlated subqueries the nine counts cost ~3x more to build
    and compile in Django than the rest of the page's queries together."""
    per_state = {
        _state_alias(state): Count("prefixes", filter=Q(prefixes__validation_state=state))
        for state in STATE_ORDER
    }
    # The list shows no region: not joined (50 instances and a join fewer a page).
    return qs.select_related("subscription", "resource_group", "location", "provider").annotate(
        prefix_count=Count("prefixes"), **per_state
    )


def peering_services_for_user(
    *, user, subscription: Subscription | None = None
) -> QuerySet[PeeringService]:
    """`peering_service_keys_for_user` with what a service's representation reads joined (the
    API's lists)."""
    return peering_service_keys_for_user(user=user, subscription=subscription).select_related(
        "subscription", "resource_group", "region", "location", "provider"
    )


def peering_service_page(keys: QuerySet[PeeringService]) -> KeyedRows:
    """The list's rows for `paginate`: `keys` (`peering_service_keys_for_user`, filtered and
    sorted) counted and paged alone; a page's 50 services read with their joins and counts.
    Sorting 1,000 services with five joined rows and eight prefix counts each cost ~10 ms."""
    return KeyedRows(keys, _with_prefix_counts(PeeringService.objects.all()))


def state_counts(service: PeeringService) -> list[tuple[str, int]]:
    """(state, count) pairs of a service read with its prefix counts, zero counts left out."""
    pairs = ((state.value, getattr(service, _state_alias(state), 0)) for state in STATE_ORDER)
    return [(state, count) for state, count in pairs if count]


def peering_service_for_user(
    *, user, subscription_id: object, resource_group: str, name: str, write: bool = False
) -> PeeringService:
    """One Peering Service by subscription, resource group and name (404 outside the user's
    subscriptions; 403 for write=True with a Reader role)."""
    return resource_for_user(
        PeeringService.objects.select_related(
            "resource_group", "region", "location", "provider", "created_by"
        ),
        user=user,
        subscription_id=subscription_id,
        write=write,
        not_found="No such Peering Service.",
        resource_group__name__iexact=resource_group,
        name__iexact=name,
    )


def prefixes_of(*, service: PeeringService) -> QuerySet[PeeringServicePrefix]:
    """The service's prefixes for the Prefixes blade (one query; the key is never selected)."""
    return service.prefixes.defer("prefix_key").order_by("name", "pk")


def prefix_of(*, service: PeeringService, name: str) -> PeeringServicePrefix:
    """One prefix of a service held through `peering_service_for_user` (404 if not there)."""
    return child_of(
        PeeringServicePrefix.objects.all(),
        parent_field="peering_service",
        parent=service,
        not_found="No such prefix.",
        name__iexact=name,
    )


def prefix_events(*, prefix: PeeringServicePrefix) -> QuerySet[PrefixEvent]:
    """The prefix's events, newest first."""
    return PrefixEvent.objects.filter(prefix=prefix).order_by("-timestamp", "-id")


def service_providers() -> list[PeeringServiceProvider]:
    return list(PeeringServiceProvider.objects.order_by("name"))


def provider_location_names(provider: PeeringServiceProvider | None) -> list[str]:
    """The peering locations a provider connects to Microsoft at."""
    if provider is None:
        return []
    return list(provider.peering_locations.order_by("name").values_list("name", flat=True))


def service_countries() -> list[str]:
    return list(
        PeeringServiceLocation.objects.order_by("country")
        .values_list("country", flat=True)
        .distinct()
    )


def service_states(country: str) -> list[str]:
    if not country:
        return []
    return list(
        PeeringServiceLocation.objects.filter(country=country)
        .order_by("state")
        .values_list("state", flat=True)
    )


@dataclass(frozen=True)
class SessionAvailability:
    """What the Overview says about the provider's BGP sessions at one peering location."""

    location: str
    established: int
    total: int

    @property
    def text(self) -> str:
        if not self.location:
            return "None (failover goes over the internet)"
        if not self.total:
            return f"No provider session at {self.location}"
        noun = "session" if self.total == 1 else "sessions"
        return f"{self.established} of {self.total} {noun} Established"

    @property
    def level(self) -> str:
        """success, warning or error: for the badge next to the text."""
        if not self.location:
            return "none"
        if self.total and self.established == self.total:
            return "established"
        if self.established:
            return "warning"
        return "failed"


def session_availability(
    *, service: PeeringService
) -> tuple[SessionAvailability, SessionAvailability]:
    """Provider primary and backup peering session availability, from the IPv4 session state of
    the provider's Active connections at each location (one aggregate query)."""
    primary = service.primary_location or ""
    backup = service.backup_location or ""
    wanted = {name.lower() for name in (primary, backup) if name}
    counts: dict[str, list[int]] = {name: [0, 0] for name in wanted}
    if wanted:
        rows = (
            PeeringConnection.objects.filter(
                peering__in=provider_peerings(service.provider),
                connection_state=ConnectionState.ACTIVE,
            )
            .annotate(metro=Lower("peering__peering_location__name"))
            .filter(metro__in=wanted)
            .values("metro")
            .annotate(
                total=Count("id"),
                established=Count("id", filter=Q(session_state_v4=SessionState.ESTABLISHED)),
            )
            .order_by()
        )
        for row in rows:
            counts[row["metro"]] = [row["established"], row["total"]]

    def one(name: str) -> SessionAvailability:
        established, total = counts.get(name.lower(), [0, 0]) if name else (0, 0)
        return SessionAvailability(name, established, total)

    return one(primary), one(backup)


def azure_regions() -> list[AzureRegion]:
    return list(AzureRegion.objects.order_by("display_name"))


def azure_region(name: str) -> AzureRegion | None:
    return AzureRegion.objects.filter(name=name).first() if name else None


def resource_group_in(*, subscription: Subscription, name: str) -> ResourceGroup | None:
    """A resource group of a subscription the caller already holds through a selector."""
    if not name:
        return None
    return (
        ResourceGroup.objects.select_related("region")
        .filter(subscription=subscription, name__iexact=name)
        .first()
    )


def service_location(*, country: str, state: str) -> PeeringServiceLocation | None:
    if not (country and state):
        return None
    return PeeringServiceLocation.objects.filter(country=country, state=state).first()


def service_provider(pk: str) -> PeeringServiceProvider | None:
    pk = str(pk or "").strip()
    if not (pk.isascii() and pk.isdigit() and len(pk) <= 12):
        return None
    return PeeringServiceProvider.objects.filter(pk=int(pk)).first()


def prefix_state_summary(*, service: PeeringService) -> list[tuple[str, int]]:
    """(state, count) of the service's prefixes, in STATE_ORDER (one aggregate query)."""
    counts = dict(
        service.prefixes.order_by().values_list("validation_state").annotate(count=Count("id"))
    )
    return [(state.value, counts[state.value]) for state in STATE_ORDER if counts.get(state.value)]

"""Reads of the customer's Peering Service, scoped to the caller's subscriptions.

A Peering Service in a subscription where the user holds no role does not exist for them
(Http404); asking to write with a Reader role is refused (PermissionDenied → 403). The lists
aggregate in the database so a page costs the same number of queries for 3 rows or 300.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
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
from portal import sql
from portal.models import AzureRegion, ResourceGroup, Subscription
from portal.selectors import (
    child_of,
    in_subscriptions_of,
    resource_for_user,
)
from portal.tables import KeyedRows, keys_sql

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


def peering_service_keys_for_user(
    *, user, subscription: Subscription | None = None
) -> QuerySet[PeeringService]:
    """Peering Services of the user's subscriptions (optionally one), in the list's order: the
    table alone, to filter, sort, count and page (`peering_service_page` reads a page's rows)."""
    qs = in_subscriptions_of(PeeringService, user=user, subscription=subscription)
    return qs.order_by("subscription__display_name", "resource_group__name", "name", "pk")


def having_prefix_like(text: str) -> Exists:
    """The list's search beyond its columns: a Peering Service with a prefix containing
    `text` (as typed, e.g. "203.0.113")."""
    return Exists(
        PeeringServicePrefix.objects.filter(peering_service=OuterRef("pk"), prefix__icontains=text)
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
    sorted) counted and paged alone; a page's 50 services read with their joins and counts
    (`peering_service_rows`). Sorting 1,000 services with five joined rows and eight prefix
    counts each cost ~10 ms."""
    return KeyedRows(keys, peering_service_rows)


class PeeringServiceRow:
    """One row of the Peering Services list as plain values: the service's columns, the names
    of its subscription, resource group and provider, its location's state and country, its
    prefix count and `state_counts` ((state, count) pairs in STATE_ORDER, zero counts left
    out)."""

    __slots__ = (
        "pk",
        "name",
        "subscription_id",
        "primary_location",
        "backup_location",
        "subscription_name",
        "resource_group_name",
        "location_state",
        "location_country",
        "provider_name",
        "prefix_count",
        "state_counts",
    )


def peering_service_rows(keys: QuerySet[PeeringService]) -> list[PeeringServiceRow]:
    """The rows of one page of `peering_service_keys_for_user` (`keys`: its `values("pk")`
    slice, which keeps its order), in that order — one SQL statement (`portal.sql`) that
    counts the page's prefixes per state across the join (for 50 services). As a queryset with
    five select_related and nine counts, and as model instances, it cost more than the rest of
    the page."""
    found = keys_sql(keys, "p.id", _LIST_ORDER)
    if found is None:
        return []
    in_keys, key_params, order = found
    rows: dict[int, PeeringServiceRow] = {}
    counts: dict[int, dict[str, int]] = {}
    for values in sql.fetch(
        _LIST_ROWS_SQL.format(keys=in_keys, order=order), key_params, _LIST_ROW_FIELDS
    ):
        pk = values[0]
        if pk not in rows:
            row = rows[pk] = PeeringServiceRow()
            (
                row.pk,
                row.name,
                row.subscription_id,
                row.primary_location,
                row.backup_location,
                row.subscription_name,
                row.resource_group_name,
                row.location_state,
                row.location_country,
                row.provider_name,
            ) = values[:10]
            counts[pk] = {}
        if values[11]:
            counts[pk][values[10]] = values[11]
    for pk, row in rows.items():
        found = counts[pk]
        row.prefix_count = sum(found.values())
        row.state_counts = [
            (state.value, found[state.value]) for state in STATE_ORDER if found.get(state.value)
        ]
    return list(rows.values())


# The sort keys of `peering_service_keys_for_user` (`LIST_SORTS`) as columns of the rows query.
_LIST_ORDER = {
    "name": "p.name",
    "id": "p.id",
    "pk": "p.id",
    "subscription__display_name": "s.display_name",
    "resource_group__name": "g.name",
    "location__country": "l.country",
    "location__state": "l.state",
    "provider__name": "v.name",
}
_LIST_ROW_FIELDS = [
    *(
        PeeringService._meta.get_field(name)
        for name in ("id", "name", "subscription", "primary_location", "backup_location")
    ),
    Subscription._meta.get_field("display_name"),
    ResourceGroup._meta.get_field("name"),
    PeeringServiceLocation._meta.get_field("state"),
    PeeringServiceLocation._meta.get_field("country"),
    PeeringServiceProvider._meta.get_field("name"),
    PeeringServicePrefix._meta.get_field("validation_state"),
    None,
]
# A row per service of the page and validation state of its prefixes (one with a count of 0
# when it has none), in the keys' order.
_LIST_ROWS_SQL = """
SELECT p.id, p.name, p.subscription_id, p.primary_location, p.backup_location,
       s.display_name, g.name, l.state, l.country, v.name,
       x.validation_state, COUNT(x.id)
  FROM peering_peeringservice p
 INNER JOIN portal_subscription s ON s.id = p.subscription_id
 INNER JOIN portal_resourcegroup g ON g.id = p.resource_group_id
 INNER JOIN peering_peeringservicelocation l ON l.id = p.location_id
 INNER JOIN peering_peeringserviceprovider v ON v.id = p.provider_id
  LEFT OUTER JOIN peering_peeringserviceprefix x ON x.peering_service_id = p.id
 WHERE {keys}
 GROUP BY p.id, p.name, p.subscription_id, p.primary_location, p.backup_location,
          s.display_name, g.name, l.state, l.country, v.name, x.validation_state
 ORDER BY {order}
"""


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
    """Every Azure region by display name (reference data): one SQL statement (`portal.sql`),
    as the queryset cost more to build than to run on every Basics tab."""
    return [_REGION.read(row) for row in _REGION.rows("ORDER BY r.display_name", [])]


_REGION = sql.Joined(AzureRegion, "r")


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

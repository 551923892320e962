"""Reads of peerings, scoped to the user's subscriptions."""

import functools
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import (
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.http import Http404

from peering.enums import ConnectionState, SkuName
from peering.models import (
    DeprovisionRequest,
    PeerAsn,
    PeerContact,
    Peering,
    PeeringConnection,
    PeeringLocation,
)
from portal import sql
from portal.models import ActivityLog, ResourceGroup, Subscription
from portal.selectors import (
    in_subscriptions_of,
    subscription_for_user,
    subscription_ids_for_user,
    subscriptions_for_user,
)
from portal.tables import KeyedRows, keys_sql


def peerings_for_user(
    *,
    user,
    subscription: Subscription | None = None,
    resource_group: str = "",
    kind: str = "",
) -> QuerySet[Peering]:
    """Peerings in the user's subscriptions (optionally one subscription, one resource group by
    name, one kind), by name, with what the list needs joined. No aggregate: counting
    connections here would group every peering × connection before the page's LIMIT;
    `peering_list_rows` counts them for the rows of one page instead."""
    qs = in_subscriptions_of(Peering, user=user, subscription=subscription)
    if resource_group:
        qs = qs.filter(resource_group__name__iexact=resource_group)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related(
        "subscription", "resource_group", "peering_location", "peer_asn"
    ).order_by("name", "pk")


def peerings_as_values(*, keys: list[int], columns: Iterable[str]) -> list[tuple[dict, list[dict]]]:
    """The peerings of `keys` (a list page, already access-checked) as plain values — their
    `columns` and all their connections' columns with the place's PeeringDB id — in the keys'
    order, in two queries: no model instance (50 peerings with five joined objects each and
    their 200 connections cost more as instances than everything else of an API list)."""
    rows = {row["id"]: row for row in Peering.objects.filter(pk__in=keys).values(*columns)}
    connections: dict[int, list[dict]] = defaultdict(list)
    for row in (
        PeeringConnection.objects.filter(peering_id__in=keys)
        .values(
            *(f.attname for f in PeeringConnection._meta.concrete_fields),
            facility_peeringdb_id=F("direct_facility__peeringdb_facility_id"),
            exchange_peeringdb_id=F("exchange__peeringdb_ix_id"),
        )
        .order_by("id")
    ):
        connections[row["peering_id"]].append(row)
    return [(rows[pk], connections[pk]) for pk in keys if pk in rows]


# What a row of the peering list shows: the columns `peering_list_rows` reads, in its
# statement's order.
LIST_COLUMNS = (
    "pk",
    "name",
    "subscription_id",
    "kind",
    "direct_peering_type",
    "sku_name",
    "provisioning_state",
    "created_at",
    "resource_group_name",
    "metro",
    "peer_asn_name",
    "peer_asn_number",
)
_SKU_LABELS = dict(SkuName.choices)
_STATE_ORDER = {value: index for index, value in enumerate(ConnectionState.values)}


class PeeringRow:
    """One row of the peering list as plain values: its columns (LIST_COLUMNS) as attributes,
    the SKU's label, `state_summary` (its connections counted per state, most frequent first,
    ties in lifecycle order, as the list shows it: "2 Active, 1 PendingApproval"; "" without
    connections) and `connection_count`. The view adds its URLs. A page of model
    instances with four joined objects each cost more than the rest of the list."""

    __slots__ = (
        *LIST_COLUMNS,
        "subscription_name",
        "sku_label",
        "state_summary",
        "connection_count",
        "detail_url",
        "peer_asn_url",
    )


def peering_list_rows(keys: QuerySet, *, subscription_names: dict) -> list[PeeringRow]:
    """The rows of one page of `peering_list_for_user` (`keys`: its `values("pk")` slice,
    which keeps its order), in that order — two SQL statements (`portal.sql`): the page's
    peerings with their group, subscription, metro and Peer ASN, then their connections
    counted per state (these rows' connections only, whatever the size of the table). As
    querysets they cost more to build and compile than to run; joined and grouped in one
    statement, PostgreSQL took ~1 ms longer to plan them than the two. `subscription_names`:
    the caller's subscriptions' display names by id (each row's subscription is one of them;
    read with the caller's roles, a join less to plan)."""
    found = keys_sql(keys, "p.id", _LIST_ORDER)
    if found is None:
        return []
    in_keys, key_params, order = found
    result: list[PeeringRow] = []
    for values in sql.fetch(
        _LIST_ROWS_SQL.format(keys=in_keys, order=order), key_params, _LIST_ROW_FIELDS
    ):
        row = PeeringRow()
        for name, value in zip(LIST_COLUMNS, values, strict=True):
            setattr(row, name, value)
        row.subscription_name = subscription_names[row.subscription_id]
        row.sku_label = _SKU_LABELS.get(row.sku_name, row.sku_name)
        result.append(row)
    if not result:
        return result
    states: dict[int, list[tuple[str, int]]] = {row.pk: [] for row in result}
    for peering_id, state, count in sql.fetch(
        _STATE_SUMMARY_SQL.format(ids=", ".join(["%s"] * len(states))), list(states), [None] * 3
    ):
        states[peering_id].append((state, count))
    for row in result:
        counted = sorted(states[row.pk], key=_state_rank)
        row.connection_count = sum(count for _state, count in counted)
        row.state_summary = ", ".join(f"{count} {state}" for state, count in counted)
    return result


def _state_rank(item: tuple[str, int]) -> tuple[int, int]:
    """Most frequent first, ties in lifecycle order."""
    state, count = item
    return -count, _STATE_ORDER.get(state, len(_STATE_ORDER))


# The orderings of `peering_list_for_user` (PEERING_SORTS, then name and id) as the rows'
# columns.
_LIST_ORDER = dict(
    name="p.name",
    pk="p.id",
    resource_group__name="g.name",
    kind="p.kind",
    peering_location__name="l.name",
    created_at="p.created_at",
)
# The fields of the statement's columns, for `sql.fetch`: the peering's, then the joined names.
_LIST_ROW_FIELDS = [
    model._meta.get_field(name)
    for model, names in (
        (Peering, ("id", "name", "subscription", "kind", "direct_peering_type", "sku_name")),
        (Peering, ("provisioning_state", "created_at")),
        (ResourceGroup, ("name",)),
        (PeeringLocation, ("name",)),
        (PeerAsn, ("name", "peer_asn")),
    )
    for name in names
]
# The page's peerings (in `keys`); then their connections counted per state.
_LIST_ROWS_SQL = """
SELECT p.id, p.name, p.subscription_id, p.kind, p.direct_peering_type, p.sku_name,
       p.provisioning_state, p.created_at, g.name, l.name, a.name, a.peer_asn
  FROM peering_peering p
 INNER JOIN portal_resourcegroup g ON g.id = p.resource_group_id
 INNER JOIN peering_peeringlocation l ON l.id = p.peering_location_id
 INNER JOIN peering_peerasn a ON a.id = p.peer_asn_id
 WHERE {keys}
 ORDER BY {order}
"""
_STATE_SUMMARY_SQL = """
    SELECT peering_id, connection_state, COUNT(*) FROM peering_peeringconnection
     WHERE peering_id IN ({ids}) GROUP BY peering_id, connection_state
"""


def peering_for_user(
    *, user, subscription_id: object, resource_group: str, name: str, write: bool = False
) -> Peering:
    """One peering by subscription, resource group and name (404 outside the user's
    subscriptions, or when the resource group does not hold it)."""
    subscription = subscription_for_user(user=user, subscription_id=subscription_id, write=write)
    # Every blade of a peering reads it first; as a queryset (five select_related, a prefetch
    # with two more) it cost ~3 ms of Python to build and compile, as SQL (`portal.sql`) a
    # tenth. LOWER(name) = lower(typed), not iexact (UPPER … = UPPER …): the unique
    # constraints' indexes are on (subscription, Lower(name)) and (resource_group,
    # Lower(name)). The group is matched on the joined row, not in a subquery: PostgreSQL
    # spent 4–5 ms planning the seven-table join with a second resource group, 1 ms without.
    subscription_param = sql.db_value(Peering._meta.get_field("subscription"), subscription.pk)
    rows = _PEERING.rows(
        "WHERE p.subscription_id = %s AND p_resource_group.subscription_id = %s"
        " AND LOWER(p_resource_group.name) = %s AND LOWER(p.name) = %s",
        [subscription_param, subscription_param, str(resource_group).lower(), str(name).lower()],
    )
    if not rows:
        raise Http404("No such peering.")
    peering = _PEERING.read(rows[0])
    peering.subscription = subscription  # carries user_role for the templates
    connections = [
        _CONNECTION.read(row)
        for row in _CONNECTION.rows("WHERE c.peering_id = %s ORDER BY c.id", [peering.pk])
    ]
    for connection in connections:
        connection.peering = peering
    # As prefetch_related leaves it: `peering.connections.all()` is these rows, no query.
    prefetched = peering.connections.get_queryset()
    prefetched._result_cache = connections
    prefetched._prefetch_done = True
    peering._prefetched_objects_cache = {"connections": prefetched}
    return peering


_PEERING = sql.Joined(
    Peering, "p", ["resource_group", "region", "peering_location", "peer_asn", "created_by"]
)
_CONNECTION = sql.Joined(PeeringConnection, "c", ["direct_facility", "exchange"])


def peer_asn_with_contacts(*, peering: Peering) -> PeerAsn:
    """The peering's Peer ASN (read with it) and its contacts in the order they were entered."""
    prefetch_related_objects(
        [peering.peer_asn], Prefetch("contacts", queryset=PeerContact.objects.order_by("id"))
    )
    return peering.peer_asn


PEERING_SORTS = {
    "name": ("name",),
    "resource_group": ("resource_group__name",),
    "kind": ("kind",),
    "metro": ("peering_location__name",),
    "created": ("created_at",),
}


def peering_list_for_user(
    *,
    user,
    subscription: Subscription | None = None,
    resource_group: str = "",
    kind: str = "",
    direct_peering_type: str = "",
    connection_state: str = "",
    sort: str = "",
) -> KeyedRows:
    """The peering list: `peerings_for_user` plus the direct peering type, "any connection in
    this state" (an EXISTS, so rows are never duplicated) and a sort column (`-` for
    descending) from PEERING_SORTS. Counted and paged on the peering table alone (its
    indexes), then a page's rows are read in one statement (`peering_list_rows`)."""
    qs = peerings_for_user(
        user=user, subscription=subscription, resource_group=resource_group, kind=kind
    )
    if direct_peering_type:
        qs = qs.filter(direct_peering_type=direct_peering_type)
    if connection_state:
        qs = qs.filter(
            Exists(
                PeeringConnection.objects.filter(
                    peering_id=OuterRef("pk"), connection_state=connection_state
                )
            )
        )
    column = PEERING_SORTS.get(sort.lstrip("-"))
    if column:
        prefix = "-" if sort.startswith("-") else ""
        qs = qs.order_by(*(f"{prefix}{name}" for name in column), "name", "pk")
    names = {row.pk: row.display_name for row in subscriptions_for_user(user=user)}
    return KeyedRows(
        qs.select_related(None), functools.partial(peering_list_rows, subscription_names=names)
    )


def peering_activity(*, peering: Peering) -> QuerySet[ActivityLog]:
    """Activity log entries of the peering's subscription about the peering (its resource id,
    or a child of it), newest first."""
    resource_id = peering.resource_id
    return ActivityLog.objects.filter(
        Q(resource_id__iexact=resource_id) | Q(resource_id__istartswith=f"{resource_id}/"),
        subscription_id=peering.subscription_id,
    ).order_by("-timestamp", "-id")


def deprovision_requests_of(*, peering: Peering) -> list[DeprovisionRequest]:
    """The peering's deprovisioning requests, newest first, with who asked and who decided."""
    rows = _DEPROVISION.rows(
        "WHERE d.peering_id = %s ORDER BY d.requested_at DESC, d.id DESC", [peering.pk]
    )
    return [_DEPROVISION.read(row) for row in rows]


_DEPROVISION = sql.Joined(DeprovisionRequest, "d", ["requested_by", "decided_by"])


def open_deprovision_request(requests: Iterable[DeprovisionRequest]) -> DeprovisionRequest | None:
    """The one Requested or Accepted request among `requests`, if any."""
    open_states = {DeprovisionRequest.State.REQUESTED, DeprovisionRequest.State.ACCEPTED}
    return next((r for r in requests if r.state in open_states), None)


def recent_resources_for_user(*, user, limit: int) -> tuple[list[PeerAsn], list[Peering]]:
    """The newest Peer ASNs and peerings across the user's subscriptions (Home): two bounded
    queries with no aggregates, so Home costs the same however many resources there are."""
    subscriptions = subscription_ids_for_user(user=user)
    if not subscriptions:
        return [], []
    # As SQL (`portal.sql`): the two querysets' building and compiling were most of Home.
    field = PeerAsn._meta.get_field("subscription")
    params = [*(sql.db_value(field, pk) for pk in subscriptions), limit]
    where = (
        f"WHERE {{alias}}.subscription_id IN ({', '.join(['%s'] * len(subscriptions))})"
        " ORDER BY {alias}.created_at DESC, {alias}.id DESC LIMIT %s"
    )
    peer_asns = [
        _RECENT_PEER_ASN.read(row) for row in _RECENT_PEER_ASN.rows(where.format(alias="a"), params)
    ]
    peerings = [
        _RECENT_PEERING.read(row) for row in _RECENT_PEERING.rows(where.format(alias="p"), params)
    ]
    return peer_asns, peerings


_RECENT_PEER_ASN = sql.Joined(PeerAsn, "a", ["subscription"])
_RECENT_PEERING = sql.Joined(Peering, "p", ["subscription", "resource_group"])

"""Reads of a peering's Registered ASNs, Registered prefixes and Received routes.

Every function takes a peering already held through `peering_for_user` (404 for another
tenant), so nothing here widens what the caller may see. Customer prefixes that redeemed a key
belong to the customers' subscriptions: only their number, and the number of subscriptions they
are in, is read here — never their names.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat

from peering.models import (
    Peering,
    PeeringServicePrefix,
    ReceivedRoute,
    RegisteredAsn,
    RegisteredPrefix,
)
from portal import sql
from portal.selectors import child_of, count_of
from portal.tables import keys_sql


def _of_peering(queryset: QuerySet, peering: Peering, name: str, what: str):
    return child_of(
        queryset,
        parent_field="peering",
        parent=peering,
        not_found=f"No such {what}.",
        name__iexact=name,
    )


def registered_asns_of(*, peering: Peering) -> QuerySet[RegisteredAsn]:
    """The peering's registered ASNs by name, with who created each and how many customer
    prefixes (in how many subscriptions) redeemed its key — one query; the counts are
    subqueries, computed only for the rows a page returns."""
    redeemed = PeeringServicePrefix.objects.filter(registered_asn=OuterRef("pk"))
    return (
        RegisteredAsn.objects.filter(peering=peering)
        .select_related("created_by")
        .annotate(
            used_by_prefixes=count_of(redeemed, "registered_asn"),
            used_by_subscriptions=count_of(
                redeemed, "registered_asn", distinct="peering_service__subscription"
            ),
        )
        .order_by("name", "pk")
    )


def registered_asn_keys(*, peering: Peering, by_use: bool = False) -> QuerySet[RegisteredAsn]:
    """The peering's registered ASNs as the Registered ASNs table counts, filters, sorts and
    pages them (`portal.tables.KeyedRows`): the table alone, with `used_by_prefixes` when
    `by_use` (the sort by use; building that subquery cost more than the page's count query
    otherwise); `registered_asn_rows` reads a page of them."""
    keys = RegisteredAsn.objects.filter(peering=peering)
    if by_use:
        redeemed = PeeringServicePrefix.objects.filter(registered_asn=OuterRef("pk"))
        keys = keys.alias(used_by_prefixes=count_of(redeemed, "registered_asn"))
    return keys.order_by("name", "pk")


# How many of a key's customer prefixes a Registered ASNs row lists (the rest are counted).
KEY_PREFIXES_SHOWN = 5


class RegisteredAsnRow:
    """One row of the Registered ASNs table as plain values: the registered ASN's columns, who
    created it (`created_by_name`: the full name, else the username; "" when unknown), how many
    customer prefixes in how many subscriptions redeemed its key, `key_provider` (the first
    provider by name its keys are valid under, "" when none), `customer_prefixes` (the first
    KEY_PREFIXES_SHOWN of them by prefix, as [{"prefix", "state"}]: the customers' services
    stay theirs) and `more_prefixes`, how many are not listed. The view adds its URLs."""

    __slots__ = (
        "pk",
        "name",
        "asn",
        "prefix_key",
        "key_rotated_at",
        "created_at",
        "created_by_name",
        "used_by_prefixes",
        "used_by_subscriptions",
        "key_provider",
        "customer_prefixes",
        "more_prefixes",
        "rotate_url",
        "delete_url",
    )


def registered_asn_rows(*, peering: Peering, keys: QuerySet) -> list[RegisteredAsnRow]:
    """The rows of one page of `registered_asn_keys` (`keys`: its `values("pk")` slice, which
    keeps its order), in that order — one SQL statement (`portal.sql`): the page's registered
    ASNs with their creator, counts, key provider and first customer prefixes. As querysets
    their subqueries and annotations cost more to build and compile than everything else of
    the page; as model instances they cost more than their rendering."""
    found = keys_sql(keys, "r.id", _ASN_ORDER)
    if found is None:
        return []
    in_keys, key_params, order = found
    result: list[RegisteredAsnRow] = []
    by_id: dict[int, RegisteredAsnRow] = {}
    for values in sql.fetch(
        _ASN_ROWS_SQL.format(keys=in_keys, order=order),
        [peering.peer_asn.peer_asn, peering.pk, *key_params, KEY_PREFIXES_SHOWN],
        _ASN_ROW_FIELDS,
    ):
        pk = values[0]
        row = by_id.get(pk)
        if row is None:
            row = by_id[pk] = RegisteredAsnRow()
            (
                row.pk,
                row.name,
                row.asn,
                row.prefix_key,
                row.key_rotated_at,
                row.created_at,
                username,
                first_name,
                last_name,
                row.used_by_prefixes,
                row.used_by_subscriptions,
                row.key_provider,
            ) = values[:12]
            # As User.get_full_name, else get_username.
            full_name = f"{first_name} {last_name}".strip() if username is not None else ""
            row.created_by_name = full_name or username or ""
            row.customer_prefixes = []
            result.append(row)
        if values[12] is not None:
            row.customer_prefixes.append({"prefix": values[12], "state": values[13]})
    for row in result:
        row.customer_prefixes.sort(key=lambda item: f"{item['prefix']} {item['state']}")
        row.more_prefixes = max(0, row.used_by_prefixes - len(row.customer_prefixes))
    return result


# The sort keys of `registered_asn_keys` (`portal.tables.sort_by`) as columns of the page's rows.
_ASN_ORDER = {
    "name": "a.name",
    "asn": "a.asn",
    "created_at": "a.created_at",
    "used_by_prefixes": "a.used_by_prefixes",
    "id": "a.id",
    "pk": "a.id",
}
_ASN_ROW_FIELDS = [
    *(RegisteredAsn._meta.get_field(name) for name in ("id", "name", "asn", "prefix_key")),
    *(RegisteredAsn._meta.get_field(name) for name in ("key_rotated_at", "created_at")),
    *(
        RegisteredAsn._meta.get_field("created_by").related_model._meta.get_field(name)
        for name in ("username", "first_name", "last_name")
    ),
    None,
    None,
    None,
    PeeringServicePrefix._meta.get_field("prefix"),
    PeeringServicePrefix._meta.get_field("validation_state"),
]
# The page's registered ASNs (in `keys`, and the peering's), each with its counts, then up to
# KEY_PREFIXES_SHOWN of its customer prefixes joined (one row each, or one without).
_ASN_ROWS_SQL = """
SELECT a.*, k.prefix, k.validation_state FROM (
    SELECT r.id, r.name, r.asn, r.prefix_key, r.key_rotated_at, r.created_at,
           u.username, u.first_name, u.last_name,
           (SELECT COUNT(*) FROM peering_peeringserviceprefix c
             WHERE c.registered_asn_id = r.id) AS used_by_prefixes,
           (SELECT COUNT(DISTINCT s.subscription_id) FROM peering_peeringserviceprefix c
             INNER JOIN peering_peeringservice s ON s.id = c.peering_service_id
             WHERE c.registered_asn_id = r.id) AS used_by_subscriptions,
           COALESCE((SELECT v.name FROM peering_peeringserviceprovider v WHERE v.asn = %s
                      ORDER BY v.name, v.id LIMIT 1), '') AS key_provider
      FROM peering_registeredasn r
      LEFT OUTER JOIN auth_user u ON u.id = r.created_by_id
     WHERE r.peering_id = %s AND {keys}
) a
LEFT OUTER JOIN peering_peeringserviceprefix k ON k.registered_asn_id = a.id AND k.id IN (
    SELECT f.id FROM peering_peeringserviceprefix f WHERE f.registered_asn_id = a.id
     ORDER BY f.prefix, f.id LIMIT %s)
ORDER BY {order}, k.prefix, k.id
"""


def registered_asn_page(*, peering: Peering, name: str) -> int | None:
    """The page (of `portal.tables.PAGE_SIZE`) of `registered_asns_of` that holds the registered
    ASN `name` — where the list opens after adding it; None when there is no such row."""
    from portal.tables import PAGE_SIZE

    if not name:
        return None
    row = RegisteredAsn.objects.filter(peering=peering, name__iexact=name).first()
    if row is None:
        return None
    before = RegisteredAsn.objects.filter(peering=peering).filter(
        Q(name__lt=row.name) | Q(name=row.name, pk__lt=row.pk)
    )
    return before.count() // PAGE_SIZE + 1


def registered_asn_of(*, peering: Peering, name: str) -> RegisteredAsn:
    """One registered ASN of the peering by name (case-insensitive); 404 when absent."""
    return _of_peering(registered_asns_of(peering=peering), peering, name, "registered ASN")


def registered_prefixes_of(*, peering: Peering) -> QuerySet[RegisteredPrefix]:
    """The peering's registered prefixes with who created each and how many customer prefixes
    (in how many subscriptions) redeemed its key — one query."""
    return (
        RegisteredPrefix.objects.filter(peering=peering)
        .select_related("created_by")
        .annotate(
            used_by_prefixes=Count("customer_prefixes", distinct=True),
            used_by_subscriptions=Count(
                "customer_prefixes__peering_service__subscription", distinct=True
            ),
        )
        .order_by("name", "pk")
    )


def registered_prefix_of(*, peering: Peering, name: str) -> RegisteredPrefix:
    """One registered prefix of the peering by name (case-insensitive); 404 when absent."""
    return _of_peering(registered_prefixes_of(peering=peering), peering, name, "registered prefix")


PREFIX_CONTAINS = "contains"


PREFIX_EXACT = "exact"


_ASN_TOKEN = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)


@dataclass(frozen=True)
class RouteFilters:
    """What the Received routes blade filters by; empty values do not filter."""

    prefix: str = ""
    prefix_match: str = PREFIX_CONTAINS
    as_path: str = ""
    connection_id: int | None = None
    origin_as_validation_state: str = ""
    rpki_validation_state: str = ""

    @property
    def active(self) -> bool:
        return bool(
            self.prefix
            or self.as_path
            or self.connection_id
            or self.origin_as_validation_state
            or self.rpki_validation_state
        )


def _canonical_prefix(text: str) -> str:
    """`10.0.0.0/8` for a parseable prefix (host bits cleared), else the text unchanged."""
    try:
        return ipaddress.ip_network(text, strict=False).with_prefixlen
    except ValueError:
        return text


def _as_path_tokens(text: str) -> list[str] | None:
    """The ASNs of a typed AS path ("59999 AS150000") or None when it is not only ASNs."""
    parts = text.replace(",", " ").split()
    tokens = []
    for part in parts:
        match = _ASN_TOKEN.match(part)
        if match is None:
            return None
        tokens.append(str(int(match.group(1))))
    return tokens or None


def received_routes_of(
    *, peering: Peering, filters: RouteFilters | None = None
) -> QuerySet[ReceivedRoute]:
    """Routes Microsoft receives on the peering's connections, filtered.

    Prefix: "contains" is a substring match, "exact" compares the canonical prefix. AS path:
    a run of whole ASNs in the path ("59999 150000" matches "64500 59999 150000" but "5999"
    matches nothing), or a substring when the text is not a list of ASNs. The connection is
    read with the route (one query per page, whatever the number of rows)."""
    filters = filters or RouteFilters()
    qs = ReceivedRoute.objects.filter(connection__peering=peering)
    prefix = filters.prefix.strip()
    if prefix:
        if filters.prefix_match == PREFIX_EXACT:
            qs = qs.filter(prefix=_canonical_prefix(prefix))
        else:
            qs = qs.filter(prefix__contains=prefix)
    as_path = filters.as_path.strip()
    if as_path:
        tokens = _as_path_tokens(as_path)
        if tokens:
            qs = qs.annotate(_padded_path=Concat(Value(" "), "as_path", Value(" "))).filter(
                _padded_path__contains=f" {' '.join(tokens)} "
            )
        else:
            qs = qs.filter(as_path__icontains=as_path)
    if filters.connection_id:
        qs = qs.filter(connection_id=filters.connection_id)
    if filters.origin_as_validation_state:
        qs = qs.filter(origin_as_validation_state__iexact=filters.origin_as_validation_state)
    if filters.rpki_validation_state:
        qs = qs.filter(rpki_validation_state__iexact=filters.rpki_validation_state)
    return qs.select_related("connection__direct_facility", "connection__exchange").order_by(
        "prefix", "connection_id", "id"
    )

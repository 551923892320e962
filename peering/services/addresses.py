"""Which session addresses are taken, and the lock that guards them.

Every write that gives a connection addresses — Create, Add connection, Edit connection,
operator allocation — locks the places involved first (in id order, so two writers never
deadlock) and then checks the addresses it is about to write with `addresses_used_at`.

An address belongs to a *scope*: a Direct (Edge, Voice) session address to its facility; an
exchange connection's address, and a route-server session's address on the exchange's LAN, to
that LAN (`("lan", exchange id)`), wherever the connection is made. No address is used twice
in one scope by a live connection or an unconverted legacy peering, and no peer takes one of
Microsoft's own addresses on a LAN. Microsoft's side of a LAN session may be shared: its
router on the LAN serves every peer there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from peering.enums import ConnectionState
from peering.models import DirectFacility, Exchange, LegacyPeering, PeeringConnection
from peering.models.abstracts import SESSION_IP_ADDRESS_FIELDS
from portal import sql

Place = tuple[str, int]  # ("facility", id) or ("exchange", id)
Scope = tuple[str, int]  # ("facility", id) or ("lan", exchange id)
ADDRESS_FIELDS = SESSION_IP_ADDRESS_FIELDS


def lock_places(*, facility_ids: Iterable[int] = (), exchange_ids: Iterable[int] = ()) -> None:
    """Lock the facility and exchange rows (inside the caller's transaction). A connection on
    an exchange's LAN locks that exchange, wherever it is made."""
    # Only these rows (`of=self`: the models' default ordering joins the metro, whose row would
    # be locked too, in join order — the deadlock between the exchange and route-server paths),
    # facilities before exchanges, each in id order, so two writers never wait on each other.
    for model, ids in ((DirectFacility, facility_ids), (Exchange, exchange_ids)):
        list(
            model.objects.select_for_update(of=("self",))
            .filter(pk__in=sorted(set(ids)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _place(row: dict) -> Place:
    if row["exchange_id"]:
        return ("exchange", row["exchange_id"])
    return ("facility", row["direct_facility_id"])


def _normal(address: str) -> str:
    return str(ipaddress.ip_address(address))


def same_network(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_network(a, strict=False) == ipaddress.ip_network(b, strict=False)
    except ValueError:
        return False


def lan_exchange_of(prefix: str, exchanges: Iterable[Exchange]) -> Exchange | None:
    """The exchange whose IPv4 or IPv6 peering LAN is exactly `prefix`, if any."""
    if not prefix:
        return None
    for exchange in exchanges:
        for lan in (exchange.ipv4_prefix, exchange.ipv6_prefix):
            if lan and same_network(lan, prefix):
                return exchange
    return None


@dataclass(frozen=True)
class Use:
    """One use of an address found by `addresses_used_at(addresses=…)`."""

    scope: Scope
    place: Place  # where the connection is made
    microsoft_side: bool  # Microsoft's address (a session's Microsoft side or the exchange's)
    place_name: str


def _addresses_in_use(
    addresses: Iterable[str], exclude_pk: int | None, lans: Iterable[Exchange]
) -> dict[str, list[Use]]:
    """Every use of exactly these addresses: exact matches on the indexed address columns,
    so the cost follows the addresses typed, not the connections at a place. Microsoft's own
    exchange addresses are read from `lans`, the exchanges whose LANs the typed sessions are
    on (already loaded): an address of Microsoft's on a LAN clashes only with a session on
    that LAN."""
    wanted = {_normal(a) for a in addresses if a}
    uses: dict[str, list[Use]] = {}
    if not wanted:
        return uses
    v4 = sorted(a for a in wanted if ":" not in a)
    v6 = sorted(a for a in wanted if ":" in a)
    rows = _rows_using(v4, v6, exclude_pk)
    microsoft = {exchange.pk: exchange for exchange in lans}.values()
    # Route-server sessions at a facility sit on an exchange's LAN: find those exchanges once.
    prefixes = {
        p
        for row in rows
        if row["exchange_id"] is None
        for p in (row["prefix_v4"], row["prefix_v6"])
        if p
    }
    row_lans = _exchanges_with_lans(prefixes)
    for row in rows:
        for field_name in ADDRESS_FIELDS:
            value = row[field_name]
            if not value or _normal(value) not in wanted:
                continue
            scope: Scope
            if row["exchange_id"]:
                scope = ("lan", row["exchange_id"])
            else:
                family_prefix = row["prefix_v6"] if "ipv6" in field_name else row["prefix_v4"]
                lan = lan_exchange_of(family_prefix, row_lans)
                scope = ("lan", lan.pk) if lan else ("facility", row["direct_facility_id"])
            uses.setdefault(_normal(value), []).append(
                Use(
                    scope,
                    ("exchange", row["exchange_id"])
                    if row["exchange_id"]
                    else ("facility", row["direct_facility_id"]),
                    field_name.startswith("microsoft"),
                    row["place_name"] or "",
                )
            )
    for exchange in microsoft:
        for value in (exchange.microsoft_ipv4_address, exchange.microsoft_ipv6_address):
            if value and _normal(value) in wanted:
                uses.setdefault(_normal(value), []).append(
                    Use(("lan", exchange.pk), ("exchange", exchange.pk), True, exchange.name)
                )
    return uses


def _rows_using(v4: list[str], v6: list[str], exclude_pk: int | None) -> list[dict]:
    """Live connections (but `exclude_pk`) and unconverted legacy peerings with one of these
    IPv4 / IPv6 addresses in an address column of that family — exact matches on the indexed
    columns — live first, each by id, as the same columns (a legacy peering has no session
    prefixes) with the name of the place the connection is made at. One SQL statement
    (`portal.sql`): the union of two filtered querysets cost more to build and compile than
    to run, on every Review + create."""
    where, params = [], []
    for names, values in ((ADDRESS_FIELDS[:2], v4), (ADDRESS_FIELDS[2:], v6)):
        for name in names if values else ():
            field = PeeringConnection._meta.get_field(name)
            column = connection.ops.quote_name(field.column)
            where.append(f"{{t}}.{column} IN ({', '.join(['%s'] * len(values))})")
            params.extend(sql.db_value(field, value) for value in values)
    matches = " OR ".join(where)
    live = [*params, ConnectionState.PENDING_REMOVE]
    excluded = ""
    if exclude_pk is not None:
        excluded = " AND c.id <> %s"
        live.append(exclude_pk)
    statement = _ROWS_USING_SQL.format(
        live=matches.format(t="c"), excluded=excluded, legacy=matches.format(t="l")
    )
    return [
        dict(zip(_ROW_KEYS, row, strict=True))
        for row in sql.fetch(statement, [*live, *params], _ROW_FIELDS)
    ]


_ROW_KEYS = (
    "source",
    "id",
    "direct_facility_id",
    "exchange_id",
    *ADDRESS_FIELDS,
    "prefix_v4",
    "prefix_v6",
    "place_name",
)
_ROW_FIELDS = [
    None,
    *(
        PeeringConnection._meta.get_field(name)
        for name in ("id", "direct_facility", "exchange", *ADDRESS_FIELDS)
    ),
    PeeringConnection._meta.get_field("session_prefix_v4"),
    PeeringConnection._meta.get_field("session_prefix_v6"),
    Exchange._meta.get_field("name"),
]
_ADDRESS_COLUMNS = ", ".join(f"{{t}}.{connection.ops.quote_name(n)}" for n in ADDRESS_FIELDS)
_ROWS_USING_SQL = f"""
SELECT 0, c.id, c.direct_facility_id, c.exchange_id, {_ADDRESS_COLUMNS.format(t="c")},
       c.session_prefix_v4, c.session_prefix_v6, COALESCE(e.name, f.name)
  FROM peering_peeringconnection c
  LEFT OUTER JOIN peering_exchange e ON e.id = c.exchange_id
  LEFT OUTER JOIN peering_directfacility f ON f.id = c.direct_facility_id
 WHERE ({{live}}) AND c.connection_state <> %s{{excluded}}
UNION ALL
SELECT 1, l.id, l.direct_facility_id, l.exchange_id, {_ADDRESS_COLUMNS.format(t="l")},
       '', '', COALESCE(e.name, f.name)
  FROM peering_legacypeering l
  LEFT OUTER JOIN peering_exchange e ON e.id = l.exchange_id
  LEFT OUTER JOIN peering_directfacility f ON f.id = l.direct_facility_id
 WHERE ({{legacy}}) AND l.converted_to_id IS NULL
 ORDER BY 1, 2
"""  # noqa: S608 — column names from the models' metadata, values as parameters


def _exchanges_with_lans(prefixes: set[str]) -> list[Exchange]:
    if not prefixes:
        return []
    texts = set(prefixes)
    for prefix in prefixes:
        try:
            texts.add(ipaddress.ip_network(prefix, strict=False).with_prefixlen)
        except ValueError:
            continue
    return list(Exchange.objects.filter(Q(ipv4_prefix__in=texts) | Q(ipv6_prefix__in=texts)))


def addresses_used_at(
    *,
    facility_ids: Iterable[int] = (),
    exchange_ids: Iterable[int] = (),
    exclude_pk: int | None = None,
    addresses: Iterable[str] | None = None,
    lans: Iterable[Exchange] = (),
):
    """With `addresses`: {address: [Use, …]} — where exactly these addresses are in use (by
    live connections but `exclude_pk`, unconverted legacy peerings, and Microsoft's own
    addresses on `lans`, the exchanges whose LANs the addresses' sessions are on). Indexed
    exact-match queries only.

    Without: the addresses (normalised text) in use at these places — a whole-place read kept
    for the operator's pool allocation, which must see every taken subnet of a facility."""
    if addresses is not None:
        return _addresses_in_use(addresses, exclude_pk, lans)
    facility_ids, exchange_ids = set(facility_ids), set(exchange_ids)
    used: dict[Place, set[str]] = {}
    if not facility_ids and not exchange_ids:
        return used
    where = Q(direct_facility_id__in=facility_ids) | Q(exchange_id__in=exchange_ids)
    live = PeeringConnection.objects.filter(where).exclude(
        connection_state=ConnectionState.PENDING_REMOVE
    )
    if exclude_pk is not None:
        live = live.exclude(pk=exclude_pk)
    legacy = LegacyPeering.objects.filter(where, converted_to__isnull=True)
    for queryset in (live, legacy):
        for row in queryset.values("direct_facility_id", "exchange_id", *ADDRESS_FIELDS):
            bucket = used.setdefault(_place(row), set())
            bucket.update(_normal(row[f]) for f in ADDRESS_FIELDS if row[f])
    return used

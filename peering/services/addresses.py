"""Which session addresses are taken at a facility or exchange, and the lock that guards them.

Every write that gives a connection addresses — Create, Add connection, Edit connection,
operator allocation — locks the places involved first (in id order, so two writers never
deadlock) and then checks against `addresses_used_at`: no address is used twice at the same
facility or exchange by a live connection or an unconverted legacy peering.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.db.models import Q

from peering.enums import ConnectionState
from peering.models import DirectFacility, Exchange, LegacyPeering, PeeringConnection
from peering.models.abstracts import SESSION_IP_ADDRESS_FIELDS

Place = tuple[str, int]  # ("facility", id) or ("exchange", id)
ADDRESS_FIELDS = SESSION_IP_ADDRESS_FIELDS


def lock_places(*, facility_ids: Iterable[int] = (), exchange_ids: Iterable[int] = ()) -> None:
    """Lock the facility and exchange rows (inside the caller's transaction)."""
    list(DirectFacility.objects.select_for_update().filter(pk__in=sorted(set(facility_ids))))
    list(Exchange.objects.select_for_update().filter(pk__in=sorted(set(exchange_ids))))


def _place(row: dict) -> Place:
    if row["exchange_id"]:
        return ("exchange", row["exchange_id"])
    return ("facility", row["direct_facility_id"])


def addresses_used_at(
    *,
    facility_ids: Iterable[int] = (),
    exchange_ids: Iterable[int] = (),
    exclude_pk: int | None = None,
) -> dict[Place, set[str]]:
    """Addresses (normalised text) in use at these places by live connections — all but those
    being removed, and but `exclude_pk` — and by unconverted legacy peerings."""
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
            bucket.update(str(ipaddress.ip_address(row[f])) for f in ADDRESS_FIELDS if row[f])
    return used

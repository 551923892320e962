"""RPKI: importing a relying party's VRPs and ASPAs, and route origin validation (RFC 6811).

* `vrps_import` replaces the VRP and ASPA sets atomically from rpki-client's JSON export
  (`roas`, `aspas`, `metadata.buildtime`) or Routinator's `json` / `jsonext` export
  (`metadata.generatedTime`), records the build time, and recomputes the RPKI state of every
  stored received route, writing only the routes whose state changed.
* `origin_validate` is RFC 6811 §2 as a pure function: NotFound when no VRP covers the route,
  Valid when a covering VRP has the route's origin and a maxLength at least the route's length,
  Invalid otherwise. AS0 VRPs (RFC 6483 §4, RFC 7607) match no origin; a path ending in an
  AS_SET has origin NONE and so cannot be Valid.
* Covering VRPs come from a prefix tree (pytricia) for bulk work, or from an indexed query on the
  ≤ 33 (IPv4) / 129 (IPv6) covering prefixes of one route (`covering_vrps`).
* `aspa_upstream_verify` is the upstream path check of draft-ietf-sidrops-aspa-verification.
"""

from __future__ import annotations

import bisect
import ipaddress
import json
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytricia
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from peering.models import Aspa, ReceivedRoute, Vrp, VrpSet
from peering.services.bulk import analyze_after_bulk, copy_rows
from peering.validators import ASN_MAX

VALID, INVALID, NOT_FOUND = "Valid", "Invalid", "NotFound"
STATES = (VALID, INVALID, NOT_FOUND)
MAX_VRPS = 2_000_000


@dataclass(frozen=True, slots=True)
class VrpEntry:
    prefix: str
    max_length: int
    asn: int
    trust_anchor: str = ""

    def __str__(self) -> str:
        return f"{self.prefix}-{self.max_length} AS{self.asn}"


@dataclass(frozen=True)
class Verdict:
    """RFC 6811 outcome for one route, with the VRPs that decided it."""

    state: str
    matched: tuple[VrpEntry, ...] = ()
    covering: tuple[VrpEntry, ...] = ()
    reasons: tuple[str, ...] = ()


def origin_validate(*, prefix_length: int, origin: int | None, covering) -> Verdict:
    """RFC 6811 §2 for a route of `prefix_length` with `origin` (None for an AS_SET)."""
    covering = tuple(covering)
    if not covering:
        return Verdict(NOT_FOUND)
    matched = tuple(
        v
        for v in covering
        if v.asn != 0 and origin is not None and v.asn == origin and prefix_length <= v.max_length
    )
    if matched:
        return Verdict(VALID, matched=matched, covering=covering)
    reasons = []
    for vrp in covering:
        if vrp.asn == 0:
            reasons.append(f"{vrp} is an AS0 ROA: no AS may originate it (RFC 6483 §4, RFC 7607)")
        elif origin is None:
            reasons.append(f"{vrp}: the path ends in an AS_SET, so the origin is NONE")
        elif vrp.asn != origin:
            reasons.append(f"{vrp} authorises AS{vrp.asn}, not AS{origin}")
        else:
            reasons.append(f"{vrp}: /{prefix_length} is longer than maxLength {vrp.max_length}")
    return Verdict(INVALID, covering=covering, reasons=tuple(reasons))


# --- finding covering VRPs ------------------------------------------------------------------


def supernets(prefix: str) -> list[str]:
    """The prefix and every prefix that covers it, most specific first."""
    address, _, length_text = prefix.partition("/")
    if ":" not in address:
        # IPv4 by integer arithmetic: this runs for every prefix of every batch.
        value = int(ipaddress.IPv4Address(address))
        length = int(length_text)
        found = []
        for bits in range(length, -1, -1):
            masked = value & ((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF)
            found.append(
                f"{masked >> 24}.{(masked >> 16) & 255}.{(masked >> 8) & 255}.{masked & 255}/{bits}"
            )
        return found
    network = ipaddress.ip_network(prefix, strict=False)
    return [
        network.supernet(new_prefix=bits).with_prefixlen
        for bits in range(network.prefixlen, -1, -1)
    ]


def supernets_at(prefix: str, lengths) -> list[str]:
    """The prefix's covering prefixes (itself included) of these lengths only: a batch looks
    up the few lengths that stored VRPs or spans have, not all 33."""
    address, _, length_text = prefix.partition("/")
    own = int(length_text)
    if ":" in address:
        return [p for p in supernets(prefix) if int(p.rpartition("/")[2]) in set(lengths)]
    value = int(ipaddress.IPv4Address(address))
    found = []
    for bits in sorted({b for b in lengths if b <= own}, reverse=True):
        masked = value & ((0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF)
        found.append(
            f"{masked >> 24}.{(masked >> 16) & 255}.{(masked >> 8) & 255}.{masked & 255}/{bits}"
        )
    return found


def covering_vrps(prefix: str) -> list[VrpEntry]:
    """The VRPs covering `prefix`, by an indexed lookup of its covering prefixes."""
    return [
        VrpEntry(p, m, a, t)
        for p, m, a, t in Vrp.objects.filter(prefix__in=supernets(prefix))
        .order_by("prefix", "asn", "max_length")
        .values_list("prefix", "max_length", "asn", "trust_anchor")
    ]


class VrpIndex:
    """All VRPs in two prefix trees (IPv4, IPv6) for validating many routes at once."""

    def __init__(self, entries: Iterable[VrpEntry] = ()):
        self.trees = {4: pytricia.PyTricia(32), 6: pytricia.PyTricia(128)}
        self.count = 0
        for entry in entries:
            self.add(entry)

    @classmethod
    def from_database(cls) -> VrpIndex:
        index = cls()
        anchors: dict[str, str] = {}
        with db_connection.cursor() as cursor:
            cursor.execute(
                f"SELECT prefix, max_length, asn, trust_anchor FROM {Vrp._meta.db_table}"  # noqa: S608
            )
            while rows := cursor.fetchmany(20000):
                for prefix, max_length, asn, anchor in rows:
                    anchor = anchors.setdefault(anchor, anchor)
                    index.add(VrpEntry(prefix, max_length, asn, anchor))
        return index

    def add(self, entry: VrpEntry) -> None:
        tree = self.trees[6 if ":" in entry.prefix else 4]
        if tree.has_key(entry.prefix):
            tree[entry.prefix].append(entry)
        else:
            tree[entry.prefix] = [entry]
        self.count += 1

    def covering(self, prefix: str) -> list[VrpEntry]:
        tree = self.trees[6 if ":" in prefix else 4]
        found: list[VrpEntry] = []
        key = tree.get_key(prefix)
        while key is not None:
            found.extend(tree[key])
            key = tree.parent(key)
        return found

    def validate(self, prefix: str, origin: int | None) -> Verdict:
        length = int(prefix.rsplit("/", 1)[1])
        return origin_validate(prefix_length=length, origin=origin, covering=self.covering(prefix))

    def state(self, prefix: str, origin: int | None) -> str:
        """`validate(prefix, origin).state` without collecting the evidence: the importers call
        it once per distinct (prefix, origin)."""
        tree = self.trees[6 if ":" in prefix else 4]
        key = tree.get_key(prefix)
        if key is None:
            return NOT_FOUND
        if origin is None or origin == 0:
            return INVALID
        length = int(prefix.rsplit("/", 1)[1])
        while key is not None:
            for vrp in tree[key]:
                if vrp.asn == origin and length <= vrp.max_length:
                    return VALID
            key = tree.parent(key)
        return INVALID


class VrpStates:
    """Every VRP as two 64-bit numbers in sorted arrays, for computing the RFC 6811 state of a
    full table at import: a few MB for 500k VRPs where a prefix tree of objects takes 250 MB.
    The covering VRPs of a route are found by one binary search per prefix length that any
    VRP has (at most 33 for IPv4, 129 for IPv6); `state` agrees with `VrpIndex.validate`."""

    def __init__(self, entries: Iterable[tuple[str, int, int]] = ()):
        # key: the network's address (masked) and length; value: asn << 8 | max_length.
        v4: list[int] = []
        v6: list[tuple[int, int]] = []
        for prefix, max_length, asn in entries:
            value = asn << 8 | max_length
            if ":" in prefix:
                address, length = prefix_numbers(prefix)
                v6.append((address << 8 | length, value))
                continue
            address, _, length = prefix.partition("/")
            a, b, c, d = address.split(".")
            key = (int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d)) << 6 | int(length)
            v4.append(key << 40 | value)
        v4.sort()
        v6.sort()
        self.keys4 = array("Q", (packed >> 40 for packed in v4))
        self.values4 = array("Q", (packed & 0xFF_FFFF_FFFF for packed in v4))
        self.keys6 = [key for key, _ in v6]
        self.values6 = [value for _, value in v6]
        self.lengths4 = sorted({key & 63 for key in self.keys4}, reverse=True)
        self.lengths6 = sorted({key & 255 for key in self.keys6}, reverse=True)
        self.count = len(v4) + len(v6)

    @classmethod
    def from_database(cls) -> VrpStates:
        def rows():
            with db_connection.cursor() as cursor:
                cursor.execute(f"SELECT prefix, max_length, asn FROM {Vrp._meta.db_table}")  # noqa: S608
                while batch := cursor.fetchmany(20000):
                    yield from batch

        return cls(rows())

    def state(self, prefix: str, origin: int | None) -> str:
        address, length = prefix_numbers(prefix)
        if ":" in prefix:
            keys, values, lengths, bits, shift = self.keys6, self.values6, self.lengths6, 128, 8
        else:
            keys, values, lengths, bits, shift = self.keys4, self.values4, self.lengths4, 32, 6
        covered = False
        for vrp_length in lengths:
            if vrp_length > length:
                continue
            host = bits - vrp_length
            key = (address >> host << host) << shift | vrp_length
            position = bisect.bisect_left(keys, key)
            while position < len(keys) and keys[position] == key:
                covered = True
                value = values[position]
                asn = value >> 8
                if asn and asn == origin and length <= value & 0xFF:
                    return VALID
                position += 1
        return INVALID if covered else NOT_FOUND


def prefix_numbers(prefix: str) -> tuple[int, int]:
    """(the network's address as a number, its length) of a prefix text."""
    address, _, length = prefix.partition("/")
    if ":" in address:
        return int(ipaddress.IPv6Address(address)), int(length)
    a, b, c, d = address.split(".")
    return int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d), int(length)


# --- ASPA -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AspaVerdict:
    state: str  # Valid | Invalid | Unknown
    detail: str


def aspa_upstream_verify(path: list[int], aspas: dict[int, set[int]]) -> AspaVerdict:
    """Upstream path verification: walking from the origin towards the neighbour, each AS must
    be attested by its predecessor's ASPA as a provider. A 'not provider' hop makes the path
    Invalid; a hop without an ASPA leaves it Unknown."""
    hops = [asn for i, asn in enumerate(path) if i == 0 or path[i - 1] != asn]  # no prepends
    if len(hops) < 2:
        return AspaVerdict(VALID, "The path has a single AS: nothing to attest.")
    unknown = []
    for customer, provider in zip(reversed(hops), list(reversed(hops))[1:], strict=False):
        providers = aspas.get(customer)
        if providers is None:
            unknown.append(f"AS{customer} has no ASPA")
        elif provider not in providers:
            return AspaVerdict(
                INVALID, f"AS{provider} is not a provider of AS{customer} according to its ASPA."
            )
    if unknown:
        return AspaVerdict("Unknown", "; ".join(unknown) + ".")
    return AspaVerdict(VALID, "Every hop is attested by the customer's ASPA.")


def aspas_for(asns: Iterable[int]) -> dict[int, set[int]]:
    return {
        customer: set(providers)
        for customer, providers in Aspa.objects.filter(customer_asn__in=set(asns)).values_list(
            "customer_asn", "providers"
        )
    }


# --- reading an export ----------------------------------------------------------------------


@dataclass
class VrpExport:
    source: str
    build_time: datetime | None
    vrps: list[VrpEntry] = field(default_factory=list)
    aspas: dict[int, list[int]] = field(default_factory=dict)


def _asn(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        text = value.strip()
        value = int(text[2:] if text[:2].upper() == "AS" else text)
    if not isinstance(value, int) or not 0 <= value <= ASN_MAX:
        raise ValueError
    return value


def _time(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    parsed = parse_datetime(str(value).replace(" ", "T").replace("Z", "+00:00"))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def parse_vrp_export(data: object) -> VrpExport:
    """The VRPs and ASPAs of an rpki-client or Routinator JSON export; ValidationError naming
    the first few bad entries (a relying party's export is refused whole, never half-loaded)."""
    if not isinstance(data, dict) or not isinstance(data.get("roas"), list):
        raise ValidationError(
            "Not a VRP export: expected a JSON object with a 'roas' list (rpki-client json, "
            "Routinator json or jsonext)."
        )
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    if "buildtime" in metadata:
        source, build_time = "rpki-client", _time(metadata.get("buildtime"))
    elif "generatedTime" in metadata or "generated" in metadata:
        extended = any(isinstance(r, dict) and "source" in r for r in data["roas"][:1])
        source = "routinator-jsonext" if extended else "routinator-json"
        build_time = _time(metadata.get("generatedTime") or metadata.get("generated"))
    else:
        source, build_time = "json", None
    if len(data["roas"]) > MAX_VRPS:
        raise ValidationError(f"At most {MAX_VRPS} VRPs per export.")
    export = VrpExport(source=source, build_time=build_time)
    errors = []
    for index, roa in enumerate(data["roas"]):
        try:
            network = ipaddress.ip_network(str(roa["prefix"]), strict=True)
            max_length = int(roa.get("maxLength", network.prefixlen))
            if not network.prefixlen <= max_length <= network.max_prefixlen:
                raise ValueError
            ta = str(roa.get("ta", ""))[:32]
            if not ta and isinstance(roa.get("source"), list) and roa["source"]:
                ta = str(roa["source"][0].get("tal", ""))[:32]
            export.vrps.append(VrpEntry(network.with_prefixlen, max_length, _asn(roa["asn"]), ta))
        except (KeyError, TypeError, ValueError, AttributeError):
            errors.append(f"roas[{index}]: {json.dumps(roa)[:80]} is not a VRP.")
            if len(errors) >= 20:
                break
    for index, aspa in enumerate(data.get("aspas") or []):
        try:
            customer = _asn(aspa.get("customer_asid", aspa.get("customer")))
            raw = aspa.get("providers", aspa.get("provider_set", []))
            providers = sorted({_asn(p["asid"] if isinstance(p, dict) else p) for p in raw})
            export.aspas[customer] = providers
        except (KeyError, TypeError, ValueError, AttributeError):
            errors.append(f"aspas[{index}]: {json.dumps(aspa)[:80]} is not an ASPA.")
            if len(errors) >= 20:
                break
    if errors:
        raise ValidationError(errors)
    return export


# --- importing ------------------------------------------------------------------------------


def _write_vrps(vrps: list[VrpEntry]) -> None:
    copy_rows(
        Vrp,
        ["prefix", "max_length", "asn", "trust_anchor"],
        [(v.prefix, v.max_length, v.asn, v.trust_anchor) for v in vrps],
        objects=lambda rows: (
            Vrp(prefix=p, max_length=m, asn=a, trust_anchor=t) for p, m, a, t in rows
        ),
    )


def vrps_import(*, data: object, operator, file_name: str = "") -> VrpSet:
    """Replace the VRPs and ASPAs with an export's, atomically; recompute every received
    route's RPKI state and re-validate the prefixes whose routes changed state."""
    if not (operator and operator.is_active and operator.is_staff):
        raise PermissionDenied("Only Microsoft operators load VRPs.")
    export = parse_vrp_export(data)
    index = VrpStates((v.prefix, v.max_length, v.asn) for v in export.vrps)
    with transaction.atomic():
        Vrp.objects.all().delete()
        _write_vrps(export.vrps)
        analyze_after_bulk(Vrp, len(export.vrps))
        Aspa.objects.all().delete()
        Aspa.objects.bulk_create(
            (Aspa(customer_asn=c, providers=p) for c, p in export.aspas.items()), batch_size=5000
        )
        changed_prefixes = routes_recompute_rpki(index=index)
        vrp_set = VrpSet.objects.create(
            source=export.source,
            file_name=file_name[:200],
            build_time=export.build_time,
            imported_by=operator,
            vrp_count=len(export.vrps),
            aspa_count=len(export.aspas),
            routes_changed=changed_prefixes.routes,
            prefix_lengths=sorted({int(v.prefix.rsplit("/", 1)[1]) for v in export.vrps}),
        )
        from peering.services.prefix_validation import revalidate_prefixes

        revalidate_prefixes(prefixes=changed_prefixes.prefixes)
    return vrp_set


@dataclass
class Recomputed:
    routes: int = 0
    prefixes: set[str] = field(default_factory=set)


def routes_recompute_rpki(*, index: VrpStates | VrpIndex, route_ids=None) -> Recomputed:
    """Recompute the RPKI state of stored routes (all, or `route_ids`) and write the changes,
    grouped by new state, in bulk. Each distinct (prefix, origin) is validated once."""
    rows = ReceivedRoute.objects.order_by()
    if route_ids is not None:
        rows = rows.filter(pk__in=route_ids)
    changes: dict[str, list[int]] = defaultdict(list)
    result = Recomputed()
    states: dict[tuple[str, int | None], str] = {}
    query, params = rows.values_list(
        "pk", "prefix", "origin_as", "as_path", "rpki_validation_state"
    ).query.sql_with_params()
    # A server-side cursor on PostgreSQL: a million routes are read in bounded memory.
    with transaction.atomic(), db_connection.chunked_cursor() as cursor:
        cursor.execute(query, params)
        while batch := cursor.fetchmany(20000):
            for pk, prefix, origin, path, state in batch:
                if path.rstrip().endswith("}"):
                    origin = None
                key = (prefix, origin)
                new = states.get(key)
                if new is None:
                    new = states[key] = index.state(prefix, origin)
                if new != state:
                    changes[new].append(pk)
                    result.prefixes.add(prefix)
    for state, ids in changes.items():
        for chunk in _chunks(ids, 5000):
            ReceivedRoute.objects.filter(pk__in=chunk).update(rpki_validation_state=state)
        result.routes += len(ids)
    return result


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def current_vrp_set() -> VrpSet | None:
    return VrpSet.objects.order_by("-imported_at", "-id").first()

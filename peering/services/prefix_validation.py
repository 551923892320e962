"""Prefix validation (product.md §3.10): every check, in order, with the documented messages.

`prefix_evaluate` is the rule: given a prefix (customer's or registered) and the data the portal
holds — the provider's registered ASNs and prefixes, its connections used for Peering Service, the
routes Microsoft receives on them and the imported VRPs — it returns an `Outcome`: the state, the
learned type, the message of the deciding check, and every check with its verdict and evidence
(stored as a `ValidationRun`, shown as a checklist on the prefix page). The first failing check
decides (Failed, or Invalid for a malformed prefix or a wrong key); otherwise the first warning
(Warning); a prefix passing every check is Verified.

Every lookup is indexed: the key by its unique column then one constant-time comparison; overlap
by `PrefixSpan` (covering prefixes by exact text, covered ones by a range); covering VRPs by their
exact prefix; the provider's sessions in one query.
"""

from __future__ import annotations

import bisect
import functools
import gc
import hmac
import ipaddress
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID

import pytricia
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q, TextField, Window
from django.db.models.functions import Cast, RowNumber
from django.urls import reverse
from django.utils import timezone

from peering.enums import ConnectionState, DirectPeeringType, Kind
from peering.models import (
    LearnedType,
    Peering,
    PeeringConnection,
    PeeringService,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PrefixSpan,
    PrefixValidationState,
    ReceivedRoute,
    RegisteredAsn,
    RegisteredPrefix,
    ValidationRun,
    Vrp,
)
from peering.services import rpki
from peering.services.bulk import among, copy_rows
from peering.validators import NON_PUBLIC_ASN_RANGES
from portal.models import ActivityStatus, Notification
from portal.services import activity_entry, activity_record_many, notify_subscriptions

V = PrefixValidationState
MAPS_COMMUNITY = "8075:8007"
MAX_AS_PATH = 3
SERVICE_TYPES = (DirectPeeringType.IX_RS, DirectPeeringType.EDGE, DirectPeeringType.VOICE)

MSG_FORMAT = (
    "The prefix is invalid: only IPv4 prefixes in CIDR notation without host bits are supported "
    "(e.g. 45.60.10.0/24). Delete it and add it again with a valid IPv4 prefix."
)
MSG_PRIVATE = (
    "The prefix {prefix} is in a private or reserved range; Peering Service takes public "
    "prefixes only. Delete it and add a public prefix."
)
MSG_KEY = (
    "The prefix key does not match a key issued by {provider}. Check the key with your provider "
    "and add the prefix again."
)
MSG_OVERLAP = "The prefix {prefix} overlaps with an existing Peering Service prefix."
MSG_FEW_PRIMARY = (
    "The provider has fewer than two sessions at its primary location {location} (local "
    "redundancy). Wait until the provider's second connection is provisioned, or contact the "
    "provider."
)
MSG_NO_BACKUP = "The provider has no session at the backup location {location}."
MSG_NOT_RECEIVED = (
    "Prefix not received from the provider: Microsoft does not receive {prefix} from {provider}"
    "{origin}. Ask the provider to announce it."
)
MSG_ORIGIN = (
    "The prefix {prefix} is received with origin AS{actual}, not the registered AS{expected}."
)
MSG_AS_PATH_LONG = "The AS path is longer than 3: {path}."
MSG_AS_PATH_PRIVATE = "The AS path contains a private ASN (AS{asn}): {path}."
MSG_AS_PATH_PREPEND = "The AS path has prepending (AS{asn} repeated): {path}."
MSG_COMMUNITY = (
    "The announcement lacks the BGP community 8075:8007 (received from {next_hop} at {location})."
)
MSG_NOT_FROM_IP = "Not receiving the advertisement from IP {ips} at {location}."
MSG_AS_PATH_RESERVED = "The AS path contains AS{asn}, which is {what} ({rfc}): {path}."
MSG_RPKI_INVALID = (
    "The route is RPKI Invalid: {reason}. A ROA exists for this address space and contradicts "
    "the announcement; the holder must fix the ROA or the announcement."
)
MSG_RPKI_NOT_FOUND = (
    "No ROA covers {prefix}: ask the holder of the address space to publish a ROA for {origin}."
)
MSG_NO_SESSIONS = "The peering has no Active connection used for Peering Service yet."


@dataclass(frozen=True)
class Check:
    """One check of a validation run: pass, warn, fail or skip, with what it looked at."""

    key: str
    label: str
    status: str
    message: str = ""
    evidence: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "status": self.status,
            "message": self.message,
            "evidence": list(self.evidence),
        }


PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"


@dataclass(frozen=True)
class Outcome:
    state: str
    learned_type: str
    message: str
    registered_asn: RegisteredAsn | None = None
    registered_prefix: RegisteredPrefix | None = None
    checks: tuple[Check, ...] = field(default=(), compare=False)


# IANA special-purpose and non-unicast IPv4 space (RFC 6890 and successors). A Peering Service
# prefix may not overlap any of them — checking only a prefix's two ends would let 0.0.0.0/0 in.
NON_PUBLIC_IPV4 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.31.196.0/24",
        "192.52.193.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "192.175.48.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)


# The same as (first, last) integers: two comparisons each instead of ipaddress's overlaps().
NON_PUBLIC_IPV4_RANGES = tuple(
    (int(n.network_address), int(n.broadcast_address)) for n in NON_PUBLIC_IPV4
)


def parse_public_ipv4(text: str) -> tuple[ipaddress.IPv4Network | None, str | None]:
    """(network, None) for a valid public IPv4 prefix, or (None, message)."""
    return _parse_public_ipv4(str(text or "").strip())


@functools.lru_cache(maxsize=1 << 12)
def _parse_public_ipv4(text: str) -> tuple[ipaddress.IPv4Network | None, str | None]:
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None, MSG_FORMAT
    if network.version != 4 or "/" not in text:
        return None, MSG_FORMAT
    first, last = int(network.network_address), int(network.broadcast_address)
    if any(first <= end and start <= last for start, end in NON_PUBLIC_IPV4_RANGES):
        return None, MSG_PRIVATE.format(prefix=network.with_prefixlen)
    return network, None


def normalise_key(text: str) -> str:
    """The canonical form of a typed key (a GUID), or '' when it is not one."""
    try:
        return str(UUID(str(text or "").strip()))
    except (ValueError, AttributeError):
        return ""


def provider_peerings(provider: PeeringServiceProvider):
    """The provider's peerings that carry Peering Service (route server, Edge or Voice)."""
    if provider.asn is None:
        return Peering.objects.none()
    return Peering.objects.filter(
        peer_asn__peer_asn=provider.asn, kind=Kind.DIRECT, direct_peering_type__in=SERVICE_TYPES
    )


# A stand-in compared when no candidate exists, so a miss costs the same comparison as a hit.
_NO_KEY = b"ffffffff-ffff-4fff-bfff-ffffffffffff"


def match_key(
    *, provider: PeeringServiceProvider, key: str
) -> tuple[RegisteredAsn | None, RegisteredPrefix | None]:
    """The provider's registered ASN or prefix whose key is `key`.

    The candidate is found by the unique index on the key, restricted to the provider's
    peerings, and then compared in constant time; exactly one comparison per kind happens
    whether or not a candidate exists, so an unknown key and another provider's key both give
    (None, None) at the same cost."""
    normal = normalise_key(key)
    typed = normal.encode() or b"-"
    peerings = provider_peerings(provider)
    found = []
    for model in (RegisteredAsn, RegisteredPrefix):
        candidate = (
            model.objects.filter(prefix_key=normal, peering__in=peerings).first()
            if normal
            else None
        )
        stored = str(candidate.prefix_key).encode() if candidate else _NO_KEY
        same = hmac.compare_digest(stored, typed)
        found.append(candidate if same and candidate is not None else None)
    return found[0], found[1]


def _asn_problem(asn: int, path: str) -> str | None:
    """The message for a non-public ASN in a path, naming what the range really is."""
    for first, last, what, rfc in NON_PUBLIC_ASN_RANGES:
        if first <= asn <= last:
            if "private" in what:
                return MSG_AS_PATH_PRIVATE.format(asn=asn, path=path)
            return MSG_AS_PATH_RESERVED.format(asn=asn, what=what, rfc=rfc, path=path)
    return None


def _route_text(route: ReceivedRoute, sessions: dict) -> str:
    connection = sessions.get(route.connection_id)
    where = f" on {_session_text(connection)}" if connection else ""
    communities = ", ".join([*(route.communities or []), *(route.large_communities or [])])
    return (
        f"{route.prefix} from {route.next_hop}{where}: AS path {route.as_path or '(empty)'}; "
        f"communities {communities or 'none'}"
    )


def _session_text(connection: PeeringConnection) -> str:
    address = connection.peer_session_ipv4_address or "no IPv4 session"
    return f"{connection.facility_name} ({address})"


def _counts(connection: PeeringConnection) -> bool:
    return (
        connection.connection_state == ConnectionState.ACTIVE and connection.use_for_peering_service
    )


def _why_not(connection: PeeringConnection) -> str:
    if connection.connection_state != ConnectionState.ACTIVE:
        return f"does not count: {connection.connection_state}, not Active"
    return "does not count: not used for Peering Service"


class RouteRow:
    """A received route as the checks read it: its columns as values, not a model instance (a
    batch reads thousands; the paths and community lists repeat and are parsed once)."""

    # The columns read as they are; the community lists come as JSON text (see Preloaded).
    COLUMNS = ("connection_id", "prefix", "next_hop", "as_path", "origin_as", "reported_rpki_state")
    __slots__ = (*COLUMNS, "communities", "large_communities", "as_path_list", "ends_in_as_set")

    def __init__(
        self, connection_id, prefix, next_hop, as_path, origin_as, reported, communities, large
    ):
        self.connection_id = connection_id
        self.prefix = prefix
        self.next_hop = next_hop
        self.as_path = as_path
        self.origin_as = origin_as
        self.reported_rpki_state = reported
        self.communities = communities
        self.large_communities = large
        self.as_path_list, self.ends_in_as_set = _path_parts(as_path)


@functools.lru_cache(maxsize=1 << 12)
def _json_list(text: str | None) -> tuple[str, ...]:
    """A stored community list (JSON text) as a tuple; the same few lists repeat."""
    return tuple(json.loads(text)) if text else ()


@functools.lru_cache(maxsize=1 << 14)
def _path_parts(as_path: str) -> tuple[tuple[int, ...], bool]:
    """As `ReceivedRoute.as_path_list` and `ends_in_as_set`, once per distinct path."""
    route = ReceivedRoute(as_path=as_path)
    return route.as_path_list, route.ends_in_as_set


@dataclass(frozen=True)
class Subject:
    """A customer prefix to evaluate: what the customer typed and chose."""

    prefix: str
    provider: PeeringServiceProvider
    key: str
    primary_location: str
    backup_location: str = ""
    exclude_prefix_id: int | None = None


class Preloaded:
    """Everything the checks read for a batch of prefixes, in a fixed number of indexed queries
    whatever the batch size: key candidates (by the unique key index), the provider's peerings
    and sessions, held spans overlapping any prefix of the batch, the routes of the batch's
    prefixes, the VRPs covering them, the ASPAs of the ASes on their paths, the VRP set."""

    def __init__(self, subjects: list[Subject]):
        self.subjects = subjects
        providers = {s.provider.pk: s.provider for s in subjects}
        asns = {p.asn for p in providers.values() if p.asn is not None}
        peering_asn = dict(
            Peering.objects.filter(
                peer_asn__peer_asn__in=asns, kind=Kind.DIRECT, direct_peering_type__in=SERVICE_TYPES
            ).values_list("pk", "peer_asn__peer_asn")
        )
        self.peerings = {
            pk: {peering for peering, asn in peering_asn.items() if asn == provider.asn}
            for pk, provider in providers.items()
        }
        keys = {k for k in (normalise_key(s.key) for s in subjects) if k}
        self.candidates = {
            model: {
                str(row.prefix_key): row
                for query in among(
                    model.objects.filter(peering_id__in=peering_asn), "prefix_key", keys
                )
                for row in query
            }
            for model in (RegisteredAsn, RegisteredPrefix)
        }
        self.networks = {}
        for subject in subjects:
            network, _problem = parse_public_ipv4(subject.prefix)
            if network is not None:
                self.networks[subject.prefix] = network
        texts = sorted({n.with_prefixlen for n in self.networks.values()})
        self._held = self._load_held(list(self.networks.values()))
        sessions = list(
            PeeringConnection.objects.filter(peering_id__in=peering_asn)
            .select_related("peering__peering_location", "direct_facility", "exchange")
            .order_by("id")
        )
        self.sessions = {
            pk: [c for c in sessions if c.peering_id in ids] for pk, ids in self.peerings.items()
        }
        counted = [c.pk for c in sessions if _counts(c)]
        self.routes: dict[str, list[RouteRow]] = {t: [] for t in texts}
        routes = ReceivedRoute.objects.filter(connection_id__in=counted).order_by(
            "connection_id", "id"
        )
        # The community lists as their JSON text, each distinct text parsed once.
        as_text = {
            "communities_text": Cast("communities", TextField()),
            "large_text": Cast("large_communities", TextField()),
        }
        for query in among(routes.annotate(**as_text), "prefix", texts):
            for *row, communities, large in query.values_list(*RouteRow.COLUMNS, *as_text):
                route = RouteRow(*row, _json_list(communities), _json_list(large))
                self.routes[route.prefix].append(route)
        self.vrp_set = rpki.current_vrp_set()
        self.vrp_set_line = _vrp_set_line(self.vrp_set)
        self._covering = self._load_covering(texts)
        self._aspas = None
        self._at: dict[tuple[int, str], list[PeeringConnection]] = {}
        self._memo: dict[tuple, Check] = {}

    # --- loading ---
    def _load_held(self, networks):
        """Spans of Verified/Warning prefixes that cover or lie inside any batch prefix: a
        prefix tree for the covering ones, sorted starts for the ones inside. The candidates
        come from the span indexes alone — covering spans by their exact text, at the prefix
        lengths spans have; the ones inside by one range scan per prefix — and the held ones
        among them by the prefixes' primary key: no statement reads every span or prefix, so
        the cost stays flat however many prefixes are stored."""
        tree = pytricia.PyTricia(32)
        starts: list[tuple[int, int]] = []
        if networks:
            lengths = _span_lengths()
            probes = set()
            for network in networks:
                probes.update(rpki.supernets_at(network.with_prefixlen, lengths))
            rows = set()
            for query in among(PrefixSpan.objects.order_by(), "cidr", probes):
                rows |= set(query.values_list("cidr", "prefix_id", "start"))
            rows |= _spans_inside(networks)
            held_states = PeeringServicePrefix.objects.filter(
                validation_state__in=(V.VERIFIED, V.WARNING)
            ).order_by()
            held = set()
            for query in among(held_states, "id", {prefix_id for _, prefix_id, _ in rows}):
                held.update(query.values_list("id", flat=True))
            for cidr, prefix_id, start in rows:
                if prefix_id not in held:
                    continue
                if tree.has_key(cidr):
                    tree[cidr].add(prefix_id)
                else:
                    tree[cidr] = {prefix_id}
                starts.append((start, prefix_id))
        starts.sort()
        return tree, starts

    def _load_covering(self, texts) -> rpki.VrpIndex:
        # The set's VRPs come in a few lengths: only supernets of those lengths can match.
        # (The VRPs are written only by `vrps_import`, which records the lengths with the set.)
        lengths = set(self.vrp_set.prefix_lengths) if self.vrp_set else set()
        supernets = set()
        for text in texts:
            supernets.update(rpki.supernets_at(text, lengths) if lengths else rpki.supernets(text))
        entries = []
        for query in among(Vrp.objects.order_by(), "prefix", supernets):
            entries += [
                rpki.VrpEntry(*row)
                for row in query.values_list("prefix", "max_length", "asn", "trust_anchor")
            ]
        return rpki.VrpIndex(sorted(entries, key=lambda v: (v.prefix, v.asn, v.max_length)))

    # --- reading ---
    def match(self, subject: Subject):
        """The registered ASN / prefix of the subject's provider with the subject's key: one
        constant-time comparison per kind, against the candidate or a stand-in."""
        normal = normalise_key(subject.key)
        typed = normal.encode() or b"-"
        mine = self.peerings.get(subject.provider.pk, set())
        found = []
        for model in (RegisteredAsn, RegisteredPrefix):
            candidate = self.candidates[model].get(normal)
            if candidate is not None and candidate.peering_id not in mine:
                candidate = None
            stored = str(candidate.prefix_key).encode() if candidate else _NO_KEY
            same = hmac.compare_digest(stored, typed)
            found.append(candidate if same and candidate is not None else None)
        return found[0], found[1]

    def overlaps(self, network, exclude_prefix_id) -> bool:
        """Another held prefix covers `network` (or is it), or lies inside it."""
        tree, starts = self._held
        ids: set[int] = set()
        key = tree.get_key(network.with_prefixlen)
        while key is not None:
            ids |= tree[key]
            key = tree.parent(key)
        first, last = int(network.network_address), int(network.broadcast_address)
        position = bisect.bisect_left(starts, (first, -1))
        while position < len(starts) and starts[position][0] <= last:
            ids.add(starts[position][1])
            position += 1
        ids.discard(exclude_prefix_id)
        return bool(ids)

    def hold(self, prefix_id: int, prefix: str, held: bool) -> None:
        """After a prefix of the batch is decided: it holds its place now, or no longer."""
        network = self.networks.get(prefix)
        if network is None or network.version != 4:
            return
        tree, starts = self._held
        text = network.with_prefixlen
        entry = (int(network.network_address), prefix_id)
        if held:
            if tree.has_key(text):
                tree[text].add(prefix_id)
            else:
                tree[text] = {prefix_id}
            if entry not in starts:
                bisect.insort(starts, entry)
        else:
            if tree.has_key(text):
                tree[text].discard(prefix_id)
            if entry in starts:
                starts.remove(entry)

    def memo(self, key, build):
        """A check that depends only on `key` (and the batch's data), built once per batch."""
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = build()
        return found

    def sessions_at(self, provider_pk: int, location: str) -> list[PeeringConnection]:
        """The provider's sessions at a metro (by its name, case aside), in id order."""
        key = (provider_pk, location.lower())
        if key not in self._at:
            self._at[key] = [
                c
                for c in self.sessions.get(provider_pk, [])
                if c.peering.peering_location.name.lower() == key[1]
            ]
        return self._at[key]

    def covering(self, prefix_text: str) -> list:
        return self._covering.covering(prefix_text)

    def aspas(self, asns) -> dict[int, set[int]]:
        if self._aspas is None:
            every = {a for routes in self.routes.values() for r in routes for a in r.as_path_list}
            self._aspas = rpki.aspas_for(every | set(asns))
        return self._aspas


def _chunks(items, size):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _span_lengths() -> list[int]:
    """The prefix lengths the stored spans have: a loose scan of the size index (one probe per
    distinct size, at most 33), not a read of every span."""
    table = PrefixSpan._meta.db_table
    with db_connection.cursor() as cursor:
        cursor.execute(
            f'WITH RECURSIVE sizes(size) AS (SELECT MIN("end" - "start") FROM {table} '  # noqa: S608
            f'UNION ALL SELECT (SELECT MIN("end" - "start") FROM {table} '
            'WHERE "end" - "start" > sizes.size) FROM sizes WHERE sizes.size IS NOT NULL) '
            "SELECT size FROM sizes WHERE size IS NOT NULL"
        )
        # A /n span holds 2**(32 - n) addresses: its size (end - start) has 32 - n bits.
        return [33 - (size + 1).bit_length() for (size,) in cursor.fetchall()]


def _spans_inside(networks) -> set[tuple[str, int, int]]:
    """(cidr, prefix id, start) of every span starting inside one of `networks`: one range
    scan of the (start, end) index per prefix. On PostgreSQL a LATERAL join over the ranges
    given as two arrays, fenced by OFFSET 0 so that it stays an index scan per range whatever
    the table's statistics say; elsewhere an OR of ranges per chunk."""
    span = PrefixSpan._meta.db_table
    rows: set[tuple[str, int, int]] = set()
    with db_connection.cursor() as cursor:
        if db_connection.vendor == "postgresql":
            cursor.execute(
                "SELECT s.cidr, s.prefix_id, s.start "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::bigint[]) AS r(first, last) "
                f"CROSS JOIN LATERAL (SELECT cidr, prefix_id, start FROM {span} "
                "WHERE start BETWEEN r.first AND r.last OFFSET 0) AS s",
                [
                    [int(n.network_address) for n in networks],
                    [int(n.broadcast_address) for n in networks],
                ],
            )
            return set(cursor.fetchall())
        for chunk in _chunks(networks, 400):
            ranges = " OR ".join(["(start BETWEEN %s AND %s)"] * len(chunk))
            bounds = [b for n in chunk for b in (int(n.network_address), int(n.broadcast_address))]
            cursor.execute(f"SELECT cidr, prefix_id, start FROM {span} WHERE {ranges}", bounds)  # noqa: S608
            rows |= set(cursor.fetchall())
    return rows


def prefix_evaluate(
    *,
    prefix: str,
    provider: PeeringServiceProvider,
    key: str,
    primary_location: str,
    backup_location: str = "",
    exclude_prefix_id: int | None = None,
) -> Outcome:
    """Every check of §3.10 for a customer prefix, in order; the first failure decides."""
    subject = Subject(prefix, provider, key, primary_location, backup_location, exclude_prefix_id)
    return _evaluate(subject, Preloaded([subject]))


def _evaluate(subject: Subject, pre: Preloaded) -> Outcome:
    prefix, provider = subject.prefix, subject.provider
    checks: list[Check] = []
    network, problem = parse_public_ipv4(prefix)
    if network is None:
        key_name = "format" if problem == MSG_FORMAT else "range"
        if key_name == "range":
            checks.append(Check("format", "IPv4 prefix in CIDR notation", PASS))
        checks.append(
            Check(key_name, LABELS[key_name], FAIL, problem, (f"Prefix as typed: {prefix}",))
        )
        return Outcome(V.INVALID, LearnedType.NONE, problem, checks=tuple(checks))
    checks.append(Check("format", LABELS["format"], PASS, evidence=(network.with_prefixlen,)))
    checks.append(Check("range", LABELS["range"], PASS))
    registered_asn, registered_prefix = pre.match(subject)
    wrong_key = MSG_KEY.format(provider=provider.name)
    if registered_prefix is not None:
        covering = ipaddress.ip_network(registered_prefix.prefix)
        if not network.subnet_of(covering):
            registered_prefix = None
    if registered_asn is None and registered_prefix is None:
        checks.append(Check("key", LABELS["key"], FAIL, wrong_key))
        return Outcome(V.INVALID, LearnedType.NONE, wrong_key, checks=tuple(checks))
    checks.append(
        Check(
            "key",
            LABELS["key"],
            PASS,
            evidence=(
                f"Registered ASN {registered_asn} of {provider.name}"
                if registered_asn
                else f"Registered prefix {registered_prefix} of {provider.name}",
            ),
        )
    )
    # Only prefixes that hold their place (Verified, or Verified with a warning) block others:
    # a copy someone else typed, which failed, must not knock out the owner's prefix.
    if pre.overlaps(network, subject.exclude_prefix_id):
        message = MSG_OVERLAP.format(prefix=network.with_prefixlen)
        checks.append(Check("overlap", LABELS["overlap"], FAIL, message))
    else:
        checks.append(Check("overlap", LABELS["overlap"], PASS))
    checks += _route_checks(
        network=network,
        provider=provider,
        primary_location=subject.primary_location,
        backup_location=subject.backup_location,
        origin=registered_asn.asn if registered_asn else None,
        registered_prefix=registered_prefix,
        pre=pre,
    )
    return _decide(checks, registered_asn=registered_asn, registered_prefix=registered_prefix)


LABELS = {
    "format": "IPv4 prefix in CIDR notation",
    "range": "Public address space",
    "key": "Prefix key issued by the provider",
    "overlap": "No overlap with another Peering Service prefix",
    "primary_sessions": "At least two sessions at the primary location",
    "backup_sessions": "At least one session at the backup location",
    "sessions": "Active sessions used for Peering Service",
    "received": "Prefix received from the provider",
    "origin": "Origin AS",
    "private_asn": "No private or reserved ASN in the AS path",
    "prepending": "No AS prepending",
    "path_length": "AS path at most 3",
    "community": "Community 8075:8007",
    "announced_primary": "Announced on the primary sessions",
    "announced_backup": "Announced on the backup sessions",
    "announced": "Announced on every session",
    "rpki": "RPKI origin validation (RFC 6811)",
    "aspa": "ASPA upstream path check",
}


def _decide(checks: list[Check], **found) -> Outcome:
    learned = found.pop("learned", LearnedType.VIA_SERVICE_PROVIDER)
    failed = next((c for c in checks if c.status == FAIL), None)
    if failed is not None:
        state = V.INVALID if failed.key in ("format", "range", "key") else V.FAILED
        return Outcome(state, LearnedType.NONE, failed.message, checks=tuple(checks), **found)
    warned = next((c for c in checks if c.status == WARN), None)
    if warned is not None:
        return Outcome(V.WARNING, learned, warned.message, checks=tuple(checks), **found)
    return Outcome(V.VERIFIED, learned, "", checks=tuple(checks), **found)


def _session_check(key, sessions, location, minimum, message, announced=None) -> Check:
    evidence = []
    for connection in sessions:
        line = f"{location}: {_session_text(connection)}"
        if not _counts(connection):
            line += f" — {_why_not(connection)}"
        elif announced is not None:
            line += " — announcing" if connection.pk in announced else " — not announcing"
        evidence.append(line)
    if not sessions:
        evidence.append(f"{location}: no connection of the provider")
    counted = [c for c in sessions if _counts(c)]
    status = FAIL if len(counted) < minimum else PASS
    return Check(key, LABELS[key], status, message if status == FAIL else "", tuple(evidence))


def _announced_check(key, sessions, location, minimum, announced) -> Check:
    counted = [c for c in sessions if _counts(c)]
    missing = [c for c in counted if c.pk not in announced]
    evidence = tuple(
        f"{location}: {_session_text(c)} — "
        + ("announcing" if c.pk in announced else "not announcing")
        for c in counted
    )
    if not missing:
        return Check(key, LABELS[key], PASS, evidence=evidence)
    ips = ", ".join(str(c.peer_session_ipv4_address or c.facility_name) for c in missing)
    message = MSG_NOT_FROM_IP.format(ips=ips, location=location)
    # Fewer than the minimum announcing fails; above it, a missing session is a warning.
    status = FAIL if len(counted) - len(missing) < minimum else WARN
    return Check(key, LABELS[key], status, message, evidence)


def _path_checks(routes, texts: tuple[str, ...]) -> list[Check]:
    """Private or reserved ASNs, prepending, length; `texts` are the routes' evidence lines."""
    private = prepend = long = None
    evidence = texts
    for route in routes:
        path = route.as_path_list
        text = route.as_path or "(empty)"
        if private is None:
            private = next((p for a in path if (p := _asn_problem(a, text))), None)
        if prepend is None:
            repeated = next((a for a, b in zip(path, path[1:], strict=False) if a == b), None)
            if repeated is not None:
                prepend = MSG_AS_PATH_PREPEND.format(asn=repeated, path=text)
        if long is None and len(path) + (1 if route.ends_in_as_set else 0) > MAX_AS_PATH:
            long = MSG_AS_PATH_LONG.format(path=text)
    return [
        Check(key, LABELS[key], FAIL if message else PASS, message or "", evidence)
        for key, message in (
            ("private_asn", private),
            ("prepending", prepend),
            ("path_length", long),
        )
    ]


def _community_check(routes, sessions, texts: tuple[str, ...]) -> Check:
    for route, text in zip(routes, texts, strict=True):
        if MAPS_COMMUNITY not in (route.communities or []):
            connection = sessions[route.connection_id]
            message = MSG_COMMUNITY.format(
                next_hop=route.next_hop, location=connection.peering.peering_location.name
            )
            return Check("community", LABELS["community"], FAIL, message, (text,))
    return Check("community", LABELS["community"], PASS, evidence=texts)


def _vrp_set_line(vrp_set) -> str:
    """The evidence line naming the VRP set the RPKI check used, and its age."""
    if vrp_set is None:
        return "VRPs: none imported yet"
    built = f"{vrp_set.age_reference:%Y-%m-%d %H:%M} UTC"
    line = f"VRPs: {vrp_set.vrp_count} from {vrp_set.source}, built {built}"
    if vrp_set.is_stale:
        line += " — older than 24 hours"
    return line


def _rpki_check(prefix_text: str, routes, pre: Preloaded | None = None) -> Check:
    """RFC 6811 computed now from the VRPs covering the prefix (one indexed query); the state
    the router reported is shown beside it, with any disagreement."""
    covering = pre.covering(prefix_text) if pre else rpki.covering_vrps(prefix_text)
    length = int(prefix_text.rsplit("/", 1)[1])
    evidence = [pre.vrp_set_line if pre else _vrp_set_line(rpki.current_vrp_set())]
    evidence.append(
        "Covering VRPs: " + (", ".join(str(v) for v in covering) if covering else "none")
    )
    invalid = not_found = None
    verdicts: dict[int | None, rpki.Verdict] = {}  # the routes of a prefix share their origins
    for route in routes:
        origin = None if route.ends_in_as_set else route.origin_as
        verdict = verdicts.get(origin)
        if verdict is None:
            verdict = verdicts[origin] = rpki.origin_validate(
                prefix_length=length, origin=origin, covering=covering
            )
        shown = "AS_SET" if origin is None else f"AS{origin}"
        line = f"Route from {route.next_hop} (origin {shown}): {verdict.state}"
        if route.reported_rpki_state:
            line += f"; the router reported {route.reported_rpki_state}"
            if (
                route.reported_rpki_state in rpki.STATES
                and route.reported_rpki_state != verdict.state
            ):
                line += " — disagrees with the portal's computation"
        evidence.append(line)
        if verdict.state == rpki.INVALID and invalid is None:
            invalid = MSG_RPKI_INVALID.format(reason="; ".join(verdict.reasons))
        elif verdict.state == rpki.NOT_FOUND and not_found is None:
            not_found = MSG_RPKI_NOT_FOUND.format(
                prefix=prefix_text, origin="AS_SET" if origin is None else f"AS{origin}"
            )
    if invalid:
        return Check("rpki", LABELS["rpki"], FAIL, invalid, tuple(evidence))
    if not_found:
        return Check("rpki", LABELS["rpki"], WARN, not_found, tuple(evidence))
    return Check("rpki", LABELS["rpki"], PASS, "", tuple(evidence))


def _aspa_check(routes, pre: Preloaded | None = None) -> Check:
    asns = {a for r in routes for a in r.as_path_list}
    aspas = pre.aspas(asns) if pre else rpki.aspas_for(asns)
    if not aspas:
        return Check("aspa", LABELS["aspa"], SKIP, "", ("No ASPA object for any AS of the path.",))
    evidence, problem = [], None
    for route in routes:
        verdict = rpki.aspa_upstream_verify(route.as_path_list, aspas)
        evidence.append(f"{route.as_path}: {verdict.state} — {verdict.detail}")
        if verdict.state == rpki.INVALID and problem is None:
            problem = f"The AS path {route.as_path} fails the ASPA check: {verdict.detail}"
    return Check("aspa", LABELS["aspa"], WARN if problem else PASS, problem or "", tuple(evidence))


def _route_checks(
    *,
    network,
    provider: PeeringServiceProvider,
    primary_location: str,
    backup_location: str,
    origin: int | None,
    registered_prefix: RegisteredPrefix | None = None,
    pre: Preloaded,
) -> list[Check]:
    """Sessions at the locations, announcement, origin, AS path, community, RPKI, ASPA."""
    prefix_text = network.with_prefixlen
    primary = pre.sessions_at(provider.pk, primary_location)
    backup = pre.sessions_at(provider.pk, backup_location) if backup_location else []
    counted = {c.pk: c for c in primary + backup if _counts(c)}
    routes = [r for r in pre.routes.get(prefix_text, []) if r.connection_id in counted]
    announced = {r.connection_id for r in routes}
    # The session checks depend only on the provider's sessions at the location and which of
    # them announce the prefix: the same for most prefixes of a batch, built once each.
    seen = frozenset(announced)

    def sessions_check(key, sessions, location, minimum, message=None):
        if message is None:  # which of the counted sessions announce it
            build = functools.partial(_announced_check, key, sessions, location, minimum, announced)
        else:  # enough sessions at the location
            build = functools.partial(
                _session_check, key, sessions, location, minimum, message, announced
            )
        return pre.memo((key, provider.pk, location, seen), build)

    checks = [
        sessions_check(
            "primary_sessions",
            primary,
            primary_location,
            2,
            MSG_FEW_PRIMARY.format(location=primary_location),
        )
    ]
    if backup_location:
        checks.append(
            sessions_check(
                "backup_sessions",
                backup,
                backup_location,
                1,
                MSG_NO_BACKUP.format(location=backup_location),
            )
        )
    else:
        checks.append(
            Check(
                "backup_sessions",
                LABELS["backup_sessions"],
                SKIP,
                evidence=("No backup location chosen: failover goes over the internet.",),
            )
        )
    if not routes:
        message = MSG_NOT_RECEIVED.format(
            prefix=prefix_text,
            provider=provider.name,
            origin=f" with origin AS{origin}" if origin else "",
        )
        checks.append(Check("received", LABELS["received"], FAIL, message))
        return checks
    texts = tuple(_route_text(r, counted) for r in routes)
    checks.append(Check("received", LABELS["received"], PASS, evidence=texts))
    checks.append(_origin_check(prefix_text, routes, origin, registered_prefix, texts))
    checks += _path_checks(routes, texts)
    checks.append(_community_check(routes, counted, texts))
    checks.append(sessions_check("announced_primary", primary, primary_location, 2))
    if backup_location:
        checks.append(sessions_check("announced_backup", backup, backup_location, 1))
    checks.append(_rpki_check(prefix_text, routes, pre))
    checks.append(_aspa_check(routes, pre))
    return checks


def _origin_check(prefix_text, routes, origin, registered_prefix, texts) -> Check:
    """The origin (the rightmost AS) must be the registered ASN; for a registered prefix's key,
    the origin the provider's own announcement of the registered prefix carries."""
    seen = sorted({r.origin_as for r in routes}, key=lambda a: -1 if a is None else a)
    evidence = [f"Origin seen: {', '.join('AS_SET' if a is None else f'AS{a}' for a in seen)}"]
    expected: set[int | None] = set()
    if origin is not None:
        expected = {origin}
        evidence.append(f"Registered ASN: AS{origin}")
    elif registered_prefix is not None:
        expected = set(
            ReceivedRoute.objects.filter(
                connection__peering=registered_prefix.peering, prefix=registered_prefix.prefix
            ).values_list("origin_as", flat=True)
        )
        if expected:
            shown = ", ".join(f"AS{a}" for a in sorted(a for a in expected if a is not None))
            evidence.append(
                f"The registered prefix {registered_prefix.prefix} is received from {shown}"
            )
        else:
            evidence.append(
                f"The registered prefix {registered_prefix.prefix} is not received itself: "
                "its origin cannot be compared"
            )
    if expected:
        wrong, text = next(
            ((r, t) for r, t in zip(routes, texts, strict=True) if r.origin_as not in expected),
            (None, ""),
        )
        if wrong is not None:
            message = MSG_ORIGIN.format(
                prefix=prefix_text,
                actual=wrong.origin_as if wrong.origin_as is not None else " AS_SET",
                expected=origin
                if origin is not None
                else ", AS".join(str(a) for a in sorted(a for a in expected if a is not None)),
            )
            evidence.append(text)
            return Check("origin", LABELS["origin"], FAIL, message, tuple(evidence))
    return Check("origin", LABELS["origin"], PASS, evidence=tuple(evidence))


RUNS_KEPT = 5


BATCH_SIZE = 500


def _store_runs(objects, outcomes) -> None:
    """Keep each validation's checklist (COPY on PostgreSQL); only the latest RUNS_KEPT runs of
    a prefix stay."""
    if not objects:
        return
    customer = isinstance(objects[0], PeeringServicePrefix)
    column = "prefix_id" if customer else "registered_prefix_id"
    now = timezone.now()
    rows = [
        (obj.pk, outcome.state, outcome.message, [c.as_dict() for c in outcome.checks], now)
        for obj, outcome in zip(objects, outcomes, strict=True)
    ]
    if db_connection.vendor == "postgresql":
        rows = [(*row[:3], json.dumps(row[3]), row[4]) for row in rows]
    copy_rows(
        ValidationRun,
        [column, "state", "message", "checks", "created_at"],
        rows,
        objects=lambda rows: (
            ValidationRun(
                state=state, message=message, checks=checks, created_at=at, **{column: pk}
            )
            for pk, state, message, checks, at in rows
        ),
    )
    # The runs beyond the latest RUNS_KEPT of each prefix, read from the (prefix, -id) index,
    # then deleted by their ids (often there are none).
    older = ValidationRun.objects.annotate(
        n=Window(RowNumber(), partition_by=[F(column)], order_by=F("id").desc())
    ).order_by()
    old = [
        pk
        for query in among(older, column, [obj.pk for obj in objects])
        for pk in query.filter(n__gt=RUNS_KEPT).values_list("id", flat=True)
    ]
    for start in range(0, len(old), 2000):
        ValidationRun.objects.filter(pk__in=old[start : start + 2000]).delete()


def _apply(obj, outcome: Outcome) -> list[str]:
    """Set the outcome on the object; the fields to save."""
    obj.validation_state = outcome.state
    obj.error_message = outcome.message
    obj.validated_at = timezone.now()
    fields = ["validation_state", "error_message", "validated_at"]
    if isinstance(obj, PeeringServicePrefix):
        obj.learned_type = outcome.learned_type
        obj.registered_asn = outcome.registered_asn
        obj.registered_prefix = outcome.registered_prefix
        fields += ["learned_type", "registered_asn", "registered_prefix"]
    return fields


def _announce(changes) -> None:
    """Notify when a prefix becomes Verified, Failed or Invalid, and log it: for every
    (prefix, previous state, outcome) of a batch, in one query for the subscriptions' members
    and one INSERT each for the notifications and the Activity log entries."""
    notes, entries = [], []
    for obj, previous, outcome in changes:
        if previous == outcome.state:
            continue
        name = f"{obj.name} ({obj.prefix})"
        if outcome.state == V.VERIFIED:
            title, level = f"Prefix {name} Verified", Notification.Level.SUCCESS
        elif outcome.state in (V.FAILED, V.INVALID):
            title, level = f"Prefix {name} {outcome.state}", Notification.Level.ERROR
        else:
            continue
        if isinstance(obj, PeeringServicePrefix):
            holder, view = obj.peering_service, "peering_services:detail"
            kind = "peeringServices/prefixes"
        else:
            holder, view = obj.peering, "peering:peering_detail"
            kind = "peerings/registeredPrefixes"
        subscription = holder.subscription
        link = reverse(view, args=[holder.subscription_id, holder.resource_group.name, holder.name])
        notes.append(
            {
                "subscription": subscription,
                "title": title,
                "body": outcome.message,
                "link": link,
                "level": level,
            }
        )
        entries.append(
            activity_entry(
                subscription=subscription,
                user=None,
                operation=f"Microsoft.Peering/{kind}/validate/action",
                operation_display="Validate prefix",
                resource_id=obj.resource_id,
                status=ActivityStatus.SUCCEEDED
                if outcome.state == V.VERIFIED
                else ActivityStatus.FAILED,
                message=f"{title}." + (f" {outcome.message}" if outcome.message else ""),
            )
        )
    notify_subscriptions(notes)
    activity_record_many(entries)


def _write_outcomes(prefixes, fields: list[str]) -> None:
    """The batch's outcomes in one UPDATE … FROM unnest(arrays) on PostgreSQL, one UPDATE per
    prefix sent together elsewhere: Django's bulk_update builds a CASE per field and row, which
    costs more than the validation itself."""
    if not prefixes:
        return
    columns = [PeeringServicePrefix._meta.get_field(f) for f in fields]
    table = PeeringServicePrefix._meta.db_table
    rows = [
        [c.get_db_prep_save(getattr(p, c.attname), connection=db_connection) for c in columns]
        + [p.pk]
        for p in prefixes
    ]
    with db_connection.cursor() as cursor:
        if db_connection.vendor != "postgresql":
            assignments = ", ".join(f"{c.column} = %s" for c in columns)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608
            return
        # One array per column, unnested into rows: a few parameters whatever the batch size.
        names = [f"v{i}" for i in range(len(columns))]
        arrays = ", ".join(f"%s::{c.cast_db_type(db_connection)}[]" for c in columns)
        assignments = ", ".join(f"{c.column} = u.{n}" for c, n in zip(columns, names, strict=True))
        # `t.id = ANY(ids)` lets the planner find the rows by the primary key: the join alone
        # is planned as a hash of the whole table, which grows with every stored prefix.
        columns = [list(column) for column in zip(*rows, strict=True)]
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} "  # noqa: S608
            f"FROM unnest({arrays}, %s::bigint[]) AS u({', '.join(names)}, id) "
            "WHERE t.id = u.id AND t.id = ANY(%s::bigint[])",
            [*columns, columns[-1]],
        )


def _record_change(obj, outcome: Outcome) -> None:
    """Save the outcome and its checklist; notify when a prefix becomes Verified or stops being
    Verified."""
    previous = obj.validation_state
    obj.save(update_fields=_apply(obj, outcome))
    _store_runs([obj], [outcome])
    _announce([(obj, previous, outcome)])


@contextmanager
def _collector_paused():
    """A batch allocates tens of thousands of short-lived objects (model instances, checks,
    evidence lines) that reference counting frees; but their allocations trigger the cyclic
    collector, whose older-generation passes walk the whole long-lived heap (Django, the apps,
    a worker's caches): a third of a batch's CPU, measured on the routing benchmark. It is
    paused for one batch (bounded garbage) and runs again after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def prefix_validate(*, prefix_id: int) -> PeeringServicePrefix | None:
    """Validate one customer prefix now (the background task calls this)."""
    validated = prefixes_validate(prefix_ids=[prefix_id])
    return validated[0] if validated else None  # None: deleted before the task ran


def prefixes_validate(*, prefix_ids) -> list[PeeringServicePrefix]:
    """Validate customer prefixes in batches: each batch reads what its checks need in a fixed
    number of queries (`Preloaded`) and writes the outcomes and checklists in bulk. Within a
    batch, a prefix that takes or loses its place counts for the next ones, as if one by one."""
    done: list[PeeringServicePrefix] = []
    for chunk in _chunks(sorted(set(prefix_ids)), BATCH_SIZE):
        with transaction.atomic(), _collector_paused():
            prefixes = _locked_prefixes(chunk)
            subjects = [
                Subject(
                    p.prefix,
                    p.peering_service.provider,
                    p.prefix_key,
                    p.peering_service.primary_location,
                    p.peering_service.backup_location,
                    p.pk,
                )
                for p in prefixes
            ]
            pre = Preloaded(subjects)
            outcomes = []
            for prefix, subject in zip(prefixes, subjects, strict=True):
                outcome = _evaluate(subject, pre)
                pre.hold(prefix.pk, subject.prefix, outcome.state in (V.VERIFIED, V.WARNING))
                outcomes.append(outcome)
            previous = [p.validation_state for p in prefixes]
            fields: list[str] = []
            for prefix, outcome in zip(prefixes, outcomes, strict=True):
                fields = _apply(prefix, outcome)
            _write_outcomes(prefixes, fields)
            _store_runs(prefixes, outcomes)
            _announce(zip(prefixes, previous, outcomes, strict=True))
        done += prefixes
    return done


def _locked_prefixes(ids) -> list[PeeringServicePrefix]:
    """The prefixes, locked, in id order, each with its Peering Service (its provider,
    subscription and resource group): the batch's few services are read once, not joined to
    every prefix."""
    locked = PeeringServicePrefix.objects.select_for_update().order_by("pk")
    prefixes = [p for query in among(locked, "id", ids) for p in query]
    services = PeeringService.objects.select_related("provider", "subscription", "resource_group")
    by_id = {
        service.pk: service
        for query in among(services, "id", {p.peering_service_id for p in prefixes})
        for service in query
    }
    for prefix in prefixes:
        prefix.peering_service = by_id[prefix.peering_service_id]
    return sorted(prefixes, key=lambda p: p.pk)


def registered_prefix_validate(*, registered_prefix_id: int) -> RegisteredPrefix | None:
    """Validate a provider's registered prefix: announced by every Active session of its
    peering, with the community, a clean AS path and the provider as origin."""
    with transaction.atomic():
        registered = (
            RegisteredPrefix.objects.select_for_update(of=("self",))
            .select_related("peering__subscription", "peering__resource_group", "peering__peer_asn")
            .filter(pk=registered_prefix_id)
            .first()
        )
        if registered is None:
            return None
        peering = registered.peering
        network, problem = parse_public_ipv4(registered.prefix)
        if network is None:
            outcome = Outcome(
                V.INVALID,
                LearnedType.NONE,
                problem,
                checks=(Check("format", LABELS["format"], FAIL, problem),),
            )
        else:
            outcome = _registered_prefix_outcome(network, peering)
        _record_change(registered, outcome)
    return registered


def _registered_prefix_outcome(network, peering: Peering) -> Outcome:
    """A registered prefix: announced on every Active Peering Service session of its peering
    (the documented rule), with a clean path, the community and a valid RPKI origin."""
    checks = [
        Check("format", LABELS["format"], PASS, evidence=(network.with_prefixlen,)),
        Check("range", LABELS["range"], PASS),
    ]
    sessions = list(
        peering.connections.select_related("peering__peering_location", "direct_facility")
        .select_related("exchange")
        .order_by("id")
    )
    location = peering.peering_location.name
    counted = {c.pk: c for c in sessions if _counts(c)}
    routes = list(
        ReceivedRoute.objects.filter(connection_id__in=counted, prefix=str(network)).order_by(
            "connection_id", "id"
        )
    )
    announced = {r.connection_id for r in routes}
    if not counted:
        active = any(c.connection_state == ConnectionState.ACTIVE for c in sessions)
        message = MSG_NO_SESSIONS if active else "The peering has no Active connection yet."
        checks.append(_session_check("sessions", sessions, location, 1, message, announced))
        return _decide(checks, learned=LearnedType.VIA_SESSION)
    checks.append(_session_check("sessions", sessions, location, 1, "", announced))
    missing = [c for c in counted.values() if c.pk not in announced]
    evidence = tuple(
        f"{location}: {_session_text(c)} — "
        + ("announcing" if c.pk in announced else "not announcing")
        for c in counted.values()
    )
    if missing:
        ips = ", ".join(str(c.peer_session_ipv4_address or c.facility_name) for c in missing)
        checks.append(
            Check(
                "announced",
                LABELS["announced"],
                FAIL,
                MSG_NOT_FROM_IP.format(ips=ips, location=location),
                evidence,
            )
        )
    else:
        checks.append(Check("announced", LABELS["announced"], PASS, evidence=evidence))
    if routes:
        origins = sorted({r.origin_as for r in routes}, key=lambda a: -1 if a is None else a)
        shown = ", ".join("AS_SET" if a is None else f"AS{a}" for a in origins)
        checks.append(Check("origin", LABELS["origin"], PASS, evidence=(f"Origin seen: {shown}",)))
        texts = tuple(_route_text(r, counted) for r in routes)
        checks += _path_checks(routes, texts)
        checks.append(_community_check(routes, counted, texts))
        checks.append(_rpki_check(str(network), routes))
        checks.append(_aspa_check(routes))
    return _decide(checks, learned=LearnedType.VIA_SESSION)


def revalidate_prefixes(*, prefixes) -> int:
    """Queue validation of the customer and registered prefixes equal to any of `prefixes`
    (their routes changed RPKI state, for instance)."""
    from peering.tasks import enqueue_prefixes_validation, enqueue_registered_prefix_validation

    prefixes = sorted(set(prefixes))
    customer, registered = [], []
    for start in range(0, len(prefixes), 5000):
        chunk = prefixes[start : start + 5000]
        customer += PeeringServicePrefix.objects.filter(prefix__in=chunk).values_list(
            "pk", flat=True
        )
        registered += RegisteredPrefix.objects.filter(prefix__in=chunk).values_list("pk", flat=True)
    enqueue_prefixes_validation(customer)
    enqueue_registered_prefix_validation(registered)
    return len(customer) + len(registered)


def revalidate_registered_prefixes(*, prefixes, peering_ids) -> int:
    """After a route import: the registered prefixes of these peerings whose routes changed."""
    from peering.tasks import enqueue_registered_prefix_validation

    # One array parameter on PostgreSQL (`among`): binding a full table's prefixes as
    # thousands of IN parameters cost seconds.
    registered = RegisteredPrefix.objects.filter(peering_id__in=list(peering_ids)).order_by()
    found = [
        pk
        for query in among(registered, "prefix", prefixes)
        for pk in query.values_list("pk", flat=True)
    ]
    enqueue_registered_prefix_validation(found)
    return len(found)


def prefixes_using(*, registered_asn_ids=(), registered_prefix_ids=(), prefixes=()):
    """Customer prefixes that redeemed these keys, or carry these prefixes (for re-validation)."""
    query = Q(registered_asn_id__in=list(registered_asn_ids)) | Q(
        registered_prefix_id__in=list(registered_prefix_ids)
    )
    if prefixes:
        query |= Q(prefix__in=list(prefixes))
    return PeeringServicePrefix.objects.filter(query)

"""Received routes: operators load the routes Microsoft receives on a connection; each import
replaces that connection's set, computes each route's RPKI state (RFC 6811) against the imported
VRPs, records prefix events for the affected Peering Service prefixes (announcement, withdrawal,
origin AS change, backup route …) and re-validates them and the affected registered prefixes.

BGP practice (docs/received-routes.md): the origin is the rightmost AS of the AS_PATH (an
`origin_as` that disagrees rejects the line); RFC 1997 communities are two 16-bit numbers,
RFC 8092 large communities three 32-bit numbers; on a bilateral session (anything but an
exchange route server, which is transparent) the first AS must be the peer's. A bad line is
rejected with its number and reason and the rest is imported; `strict=True` keeps the old
all-or-nothing. The file is streamed: routes are written in batches (COPY on PostgreSQL) into a
staging table and compared with the stored ones in SQL (`route_sets`); only the routes that
changed are written — memory stays bounded whatever the file's size, and a re-import of the same
table writes nothing.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from peering.enums import DirectPeeringType
from peering.models import (
    PeeringConnection,
    PeeringServicePrefix,
    PrefixEvent,
    ReceivedRoute,
    Vrp,
)
from peering.services import route_sets
from peering.services.bulk import analyze_after_bulk
from peering.services.rpki import VrpStates, covering_vrps, origin_validate
from peering.validators import ASN_MAX
from portal.services import activity_record

STANDARD_COMMUNITY_RE = re.compile(r"(\d{1,5}):(\d{1,5})")
LARGE_COMMUNITY_RE = re.compile(r"(\d{1,10}):(\d{1,10}):(\d{1,10})")
# Four decimal octets without leading zeros and a length: the canonical text of IPv4.
OCTET = r"(0|[1-9]\d{0,2})"
CANONICAL_IPV4_RE = re.compile(rf"{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}/(0|[1-9]\d?)")
NONE: list = []  # a missing list (never changed)
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
AS_PATH_TOKEN_RE = re.compile(r"\{[^}]*\}|[^\s{}]+")
STATES = {"Valid", "Invalid", "NotFound", "Unknown", "None"}
MAX_ROUTES_PER_CONNECTION = 200_000
MAX_AS_PATH_LENGTH = 64
BATCH = 5000
#: At most this many distinct prefixes are validated by indexed queries; more build the tree.
SQL_LOOKUP_LIMIT = 500
#: Rejected lines kept for the report (all are counted).
MAX_REPORTED = 1000


@dataclass
class ImportResult:
    connection: PeeringConnection
    routes: int = 0
    announced: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    origin_changed: list[str] = field(default_factory=list)
    events: int = 0
    revalidated: int = 0
    # Lines of this connection that were refused: (line number, reason).
    rejected: list[tuple[int, str]] = field(default_factory=list)


# --- one line -------------------------------------------------------------------------------


def _as_path(raw: object, where: str) -> tuple[str, int | None]:
    """(the path as stored, the origin: its rightmost AS, None after an AS_SET). A full table
    repeats the same paths on every session: a textual path is parsed once per import."""
    try:
        if isinstance(raw, str):
            return _as_path_text(raw)
        return _as_path_parse(raw)
    except ValueError as exc:
        raise ValidationError(f"{where}: {exc}") from None


@functools.lru_cache(maxsize=1 << 16)
def _as_path_text(raw: str) -> tuple[str, int | None]:
    return _as_path_parse(raw)


def _as_path_parse(raw: object) -> tuple[str, int | None]:
    """ValueError with the reason (without the line) when the path is not one."""
    if isinstance(raw, list):
        tokens = raw
    else:
        tokens = AS_PATH_TOKEN_RE.findall(str(raw))
        if "".join(tokens).replace("{", "").replace("}", "") != re.sub(r"[\s{}]", "", str(raw)):
            tokens = [str(raw)]
    sequence: list[int] = []
    as_set = None
    for position, token in enumerate(tokens):
        members = None
        if isinstance(token, list):
            members = token
        elif isinstance(token, str) and token.startswith("{"):
            members = [m for m in re.split(r"[\s,]+", token[1:-1]) if m]
        if members is not None:
            if position != len(tokens) - 1:
                raise ValueError(
                    "as_path may end in an AS_SET (e.g. {64500,64501}), but holds one before its "
                    "end."
                )
            try:
                as_set = sorted({_int_asn(m) for m in members})
            except (TypeError, ValueError):
                raise ValueError("as_path must be ASNs separated by spaces.") from None
            if not as_set:
                raise ValueError("the AS_SET at the end of as_path is empty.")
            continue
        try:
            sequence.append(_int_asn(token))
        except (TypeError, ValueError):
            raise ValueError("as_path must be ASNs separated by spaces.") from None
    length = len(sequence) + (1 if as_set else 0)
    if (
        not length
        or length > MAX_AS_PATH_LENGTH
        or any(not 0 < a <= ASN_MAX for a in sequence + (as_set or []))
    ):
        raise ValueError(f"as_path must hold 1–64 ASNs from 1 to {ASN_MAX}.")
    path_text = " ".join(str(a) for a in sequence)
    if as_set:
        path_text = f"{path_text} {{{','.join(str(a) for a in as_set)}}}".strip()
    # The origin is the rightmost AS of the path (RFC 4271 §5.1.2; NONE after an AS_SET,
    # RFC 6811 §2).
    return path_text, None if as_set else sequence[-1]


def _int_asn(token) -> int:
    if isinstance(token, bool):
        raise ValueError
    if isinstance(token, int):
        return token
    if not isinstance(token, str) or not token.isascii() or not token.isdigit():
        raise ValueError
    return int(token)


def _communities(raw: dict, where: str) -> tuple[list[str], list[str]]:
    """RFC 1997 (16:16 bits) and RFC 8092 large (32:32:32 bits) communities; the same lists
    repeat on most lines, so each distinct pair of lists is read once per import."""
    values = raw.get("communities", NONE)
    large_values = raw.get("large_communities", NONE)
    try:
        # Lists (the usual case) or texts are read from the cache; anything else uncached.
        if type(values) is list and type(large_values) is list:
            key = (tuple(values), tuple(large_values))
        elif type(values) in (str, list) and type(large_values) in (str, list):
            key = tuple(v if type(v) is str else tuple(v) for v in (values, large_values))
        else:
            key = None
        if key is None:
            standard, large = _communities_parse((values, large_values))
        else:
            try:
                standard, large = _communities_cached(key)
            except TypeError:  # unhashable objects inside the lists
                standard, large = _communities_parse((values, large_values))
    except ValueError as exc:
        raise ValidationError(f"{where}: {exc}") from None
    return list(standard), list(large)


@functools.lru_cache(maxsize=1 << 12)
def _communities_cached(key: tuple) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return _communities_parse(key)


def _communities_parse(key: tuple) -> tuple[tuple[str, ...], tuple[str, ...]]:
    standard: list[str] = []
    large: list[str] = []
    for name, given in zip(("communities", "large_communities"), key, strict=True):
        if isinstance(given, str):
            given = given.split()
        if not isinstance(given, list | tuple):
            raise ValueError(f'{name} must be a list like ["8075:8007"].')
        for value in given:
            text = value if isinstance(value, str) else ""
            standard_match = STANDARD_COMMUNITY_RE.fullmatch(text)
            large_match = LARGE_COMMUNITY_RE.fullmatch(text)
            if (
                name == "communities"
                and standard_match
                and all(int(part) <= 0xFFFF for part in standard_match.groups())
            ):
                standard.append(f"{int(standard_match[1])}:{int(standard_match[2])}")
                continue
            if large_match and all(int(part) <= ASN_MAX for part in large_match.groups()):
                large.append(":".join(str(int(p)) for p in large_match.groups()))
                continue
            shown = json.dumps(value)[:40]
            raise ValueError(
                'communities must be a list like ["8075:8007"] (RFC 1997: two numbers up to '
                '65535) or ["8075:8007:0"] (RFC 8092 large: three numbers up to 4294967295); '
                f"{shown} is neither."
            )
    return tuple(standard), tuple(large)


# A full table repeats the same prefixes on every session and the same next hop on every line
# of a session: parsing each once saves most of an import's time.
@functools.lru_cache(maxsize=1 << 19)
def _canonical_prefix(text: str) -> str:
    # Most of a table is IPv4 already in canonical form: checked by arithmetic, which is
    # several times faster than ipaddress; anything else is left to ipaddress.
    match = CANONICAL_IPV4_RE.fullmatch(text)
    if match:
        octets = [int(part) for part in match.groups()[:4]]
        length = int(match[5])
        if all(o <= 255 for o in octets) and length <= 32:
            value = octets[0] << 24 | octets[1] << 16 | octets[2] << 8 | octets[3]
            if value & ((1 << (32 - length)) - 1):
                raise ValueError(f"{text} has host bits set")
            return text
    return ipaddress.ip_network(text, strict=True).with_prefixlen


@functools.lru_cache(maxsize=1 << 12)
def _canonical_address(text: str) -> str:
    return str(ipaddress.ip_address(text))


def parse_route(raw: object, *, line: int, now: datetime) -> dict:
    """One route from the file, cleaned; ValidationError naming the line and the field."""
    where = f"Line {line}"
    if not isinstance(raw, dict):
        raise ValidationError(f"{where}: a route is a JSON object.")
    get = raw.get
    try:
        prefix_text = _canonical_prefix(str(get("prefix", "")))
    except ValueError:
        raise ValidationError(
            f"{where}: prefix {str(get('prefix'))[:50]!r} is not a CIDR prefix without host bits."
        ) from None
    try:
        next_hop = _canonical_address(str(get("next_hop", "")))
    except ValueError:
        raise ValidationError(f"{where}: next_hop is not an IP address.") from None
    path_text, origin = _as_path(get("as_path", ""), where)
    # A separate origin_as may only repeat the rightmost AS of the path.
    if "origin_as" in raw:
        given = raw["origin_as"]
        if isinstance(given, bool) or not isinstance(given, int) or not 0 < given <= ASN_MAX:
            raise ValidationError(f"{where}: origin_as must be an ASN.")
        if given != origin:
            last = f"AS{origin}" if origin else "an AS_SET"
            raise ValidationError(
                f"{where}: origin_as AS{given} disagrees with the AS path, which ends in {last}; "
                "the origin is the rightmost AS of as_path."
            )
    communities, large = _communities(raw, where)
    received_at = now
    if get("received_at"):
        received_at = parse_datetime(str(raw["received_at"]).replace(" ", "T"))
        if received_at is None:
            raise ValidationError(f"{where}: received_at is not a date and time.")
        if timezone.is_naive(received_at):
            received_at = timezone.make_aware(received_at, timezone.UTC)
    # What the router reported, kept as evidence; the portal computes its own RPKI state.
    reported = []
    for key in ("origin_as_validation_state", "rpki_validation_state"):
        value = get(key)
        if type(value) is str and value in STATES:  # the usual case, already clean
            reported.append(value)
            continue
        if value is None or value == "":
            reported.append("")
            continue
        value = str(value)
        if value not in STATES:
            raise ValidationError(f"{where}: {key} must be one of {', '.join(sorted(STATES))}.")
        reported.append(value)
    trust_anchor = get("trust_anchor")
    trust_anchor = "" if trust_anchor is None else str(trust_anchor)
    if trust_anchor and (len(trust_anchor) > 32 or CONTROL_RE.search(trust_anchor)):
        raise ValidationError(f"{where}: trust_anchor must be up to 32 printable characters.")
    return {
        "prefix": prefix_text,
        "next_hop": next_hop,
        "as_path": path_text,
        "origin_as": origin,
        "communities": communities,
        "large_communities": large,
        "received_at": received_at,
        "origin_as_validation_state": reported[0],
        "reported_rpki_state": reported[1],
        "trust_anchor": trust_anchor,
    }


def iter_lines(
    lines: Iterable[str], *, now: datetime
) -> Iterator[tuple[int, str, dict | None, str]]:
    """(line number, connection identifier, route or None, reason) for every non-blank line."""
    identifiers: dict[str, str] = {}  # as written -> normalised
    for number, text in enumerate(lines, start=1):
        # A line starting with "{" (nearly all) is neither blank nor a comment.
        if text[:1] != "{" and (not text.strip() or text.lstrip().startswith("#")):
            continue
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, "", None, f"Line {number}: not JSON ({exc.msg})."
            continue
        identifier = ""
        if isinstance(raw, dict) and "connection" in raw:
            given = raw["connection"]
            identifier = identifiers.get(given) if isinstance(given, str) else None
            if identifier is None:
                identifier = str(given).strip().lower()
                if isinstance(given, str) and len(identifiers) < 1000:
                    identifiers[given] = identifier
        try:
            yield number, identifier, parse_route(raw, line=number, now=now), ""
        except ValidationError as exc:
            yield number, identifier, None, exc.messages[0]


def parse_jsonl(text: str, *, now: datetime | None = None) -> dict[str, list[dict]]:
    """Routes of a JSON-lines file grouped by connection identifier; every bad line is
    reported at once and nothing is returned (the strict reading)."""
    now = now or timezone.now()
    groups: dict[str, list[dict]] = defaultdict(list)
    errors: list[str] = []
    for _number, identifier, route, reason in iter_lines(text.splitlines(), now=now):
        if route is None:
            errors.append(reason)
            if len(errors) > 50:
                break
            continue
        groups[identifier].append(route)
    if errors:
        raise ValidationError(errors[:50])
    return dict(groups)


# --- the import -----------------------------------------------------------------------------


def _location_role(prefix: PeeringServicePrefix, connection: PeeringConnection) -> str | None:
    service = prefix.peering_service
    metro = connection.peering.peering_location.name.lower()
    if service.primary_location.lower() == metro:
        return "primary"
    if service.backup_location and service.backup_location.lower() == metro:
        return "backup"
    return None


def _first_as(connection: PeeringConnection) -> str | None:
    """The AS every path on the session must start with: on a bilateral session the neighbour
    prepends its own AS; an exchange route server is transparent (RFC 7947 §2.2.2), None."""
    peering = connection.peering
    if peering.direct_peering_type == DirectPeeringType.IX_RS:
        return None
    return str(peering.peer_asn.peer_asn)


def _first_as_problem(own: str | None, route: dict, line: int) -> str | None:
    """Why the route's path does not start with the session's first AS `own` (or None)."""
    if own is None:
        return None
    path = route["as_path"]
    if path.startswith(own) and path[len(own) : len(own) + 1] in ("", " "):
        return None
    first = path.split()[0]
    return (
        f"Line {line}: the AS path starts with {first if first.startswith('{') else 'AS' + first}"
        f", but routes on this bilateral session come from the peer AS{own}."
    )


class RouteImport:
    """One import: any number of connections, streamed; `finish()` swaps the sets."""

    def __init__(self, *, operator, strict: bool = False, now: datetime | None = None):
        if not (operator and operator.is_active and operator.is_staff):
            raise PermissionDenied("Only Microsoft operators load received routes.")
        self.operator = operator
        self.strict = strict
        self.now = now or timezone.now()
        self.connections: dict[int, PeeringConnection] = {}
        self.first_as: dict[int, str | None] = {}  # per connection, see _first_as
        self.counts: dict[int, int] = defaultdict(int)
        self.rejected: dict[int | None, list[tuple[int, str]]] = defaultdict(list)
        self.rejected_count = 0
        self.buffer: list[tuple[int, dict]] = []
        self.has_vrps = Vrp.objects.exists()
        self._copy = self._copy_context = self._copy_cursor = None
        self._copy_direct = False
        self._staging = False
        # Connections without stored routes: there is nothing to compare with, so their routes
        # are written straight into the table (RFC 6811 computed on the way, once per pair).
        self.direct: set[int] = set()
        self.states: dict[tuple[str, int | None], str] = {}
        self.index: VrpStates | None = None
        # Whether any line gave its own received_at (else the import's time stands for none).
        self.times_given = False
        # Per provider ASN: its customer prefixes' texts, and those read so far (by text).
        self._held: dict[int, tuple[set[str], dict[str, list], set[str]]] = {}

    # PostgreSQL: one COPY stays open across batches, so the database inserts the rows while
    # the file is still being read; it is ended before any other query on the connection.
    def __enter__(self) -> RouteImport:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.end_copy(kind, error, trace)

    def _stream(self, *, direct: bool = False):
        """The open COPY into the staging table, or (`direct`) into the routes themselves."""
        if not direct:
            self._staging_create()
        if db_connection.vendor != "postgresql":
            return None
        if self._copy is not None and self._copy_direct != direct:
            self.end_copy()
        if self._copy is None:
            self._copy_cursor = db_connection.cursor()
            self._copy_context = self._copy_cursor.cursor.copy(
                route_sets.direct_copy_sql() if direct else route_sets.staging_copy_sql()
            )
            self._copy = self._copy_context.__enter__()
            self._copy_direct = direct
        return self._copy

    def _staging_create(self) -> None:
        if not self._staging:
            self.end_copy()
            route_sets.staging_create()
            self._staging = True

    def end_copy(self, kind=None, error=None, trace=None) -> None:
        """Finish the open COPY (or abort it, when leaving on an error)."""
        if self._copy_context is None:
            return
        context, cursor = self._copy_context, self._copy_cursor
        self._copy = self._copy_context = self._copy_cursor = None
        try:
            context.__exit__(kind, error, trace)
        finally:
            cursor.close()

    # connections: locked and loaded once, with their peering, peer ASN and metro
    def open(self, connection: PeeringConnection) -> PeeringConnection:
        if connection.pk in self.connections:
            return self.connections[connection.pk]
        self.end_copy()
        from peering.services.connections import _lock_connection

        locked = _lock_connection(connection)
        self.connections[locked.pk] = locked
        self.first_as[locked.pk] = _first_as(locked)
        if not locked.received_routes.exists():
            self.direct.add(locked.pk)
        return locked

    def reject(self, connection_id: int | None, line: int, reason: str) -> None:
        self.rejected_count += 1
        if self.strict and self.rejected_count > 50:
            self._refuse()
        if sum(len(v) for v in self.rejected.values()) < MAX_REPORTED:
            self.rejected[connection_id].append((line, reason))

    def add(self, connection: PeeringConnection, route: dict, line: int = 0) -> None:
        pk = connection.pk
        if pk not in self.connections:
            self.open(connection)
        problem = _first_as_problem(self.first_as[pk], route, line)
        if problem:
            self.reject(pk, line, problem)
            return
        count = self.counts[pk]
        if count >= MAX_ROUTES_PER_CONNECTION:
            if self.strict:
                raise ValidationError(f"At most {MAX_ROUTES_PER_CONNECTION} routes per connection.")
            self.reject(
                pk,
                line,
                f"Line {line}: more than {MAX_ROUTES_PER_CONNECTION} routes on this connection.",
            )
            return
        self.counts[pk] = count + 1
        self.buffer.append((pk, route))
        if len(self.buffer) >= BATCH:
            self.flush()

    def _states_of(self, pairs: list[tuple[str, int | None]]) -> dict:
        """RFC 6811 for the new routes, once per (prefix, origin) pair (a full table repeats
        both on every session): indexed queries for a few prefixes, for many a tree of every
        VRP. The stored routes keep theirs: the VRP import keeps them current."""
        if not self.has_vrps:
            return dict.fromkeys(pairs, "NotFound")
        prefixes = {prefix for prefix, _ in pairs}
        # A query ends the open COPY (the database then waits for the next batch instead of
        # inserting while the file is read): only the first batch of a large import queries.
        if self.index is None and len(prefixes) <= SQL_LOOKUP_LIMIT:
            self.end_copy()
            covering = {p: covering_vrps(p) for p in prefixes}
            return {
                (p, origin): origin_validate(
                    prefix_length=int(p.rsplit("/", 1)[1]), origin=origin, covering=covering[p]
                ).state
                for p, origin in pairs
            }
        if self.index is None:
            self.end_copy()
            self.index = VrpStates.from_database()
        state = self.index.state
        return {(p, origin): state(p, origin) for p, origin in pairs}

    def flush(self) -> None:
        if not self.buffer:
            return
        direct = self.direct
        states = self.states
        unknown = {
            (r["prefix"], r["origin_as"]) for pk, r in self.buffer if pk in direct
        } - states.keys()
        if unknown:
            states.update(self._states_of(list(unknown)))
        # COPY takes the JSON columns as text; each distinct list is serialised once.
        as_json = _json_text if db_connection.vendor == "postgresql" else None
        now = self.now
        rows: dict[bool, list[tuple]] = {True: [], False: []}
        for connection_id, r in self.buffer:
            communities, large = r["communities"], r["large_communities"]
            if as_json is not None:
                communities, large = as_json(tuple(communities)), as_json(tuple(large))
            received_at = r["received_at"]
            if connection_id in direct:
                state = states[r["prefix"], r["origin_as"]]
            else:
                # Staged: the RPKI state is computed for the new routes only (_states_of);
                # parse_route stamps a line without received_at with the import's time,
                # staged as NULL, so that an unchanged route keeps the time it was first
                # received.
                state = ""
                if received_at == now:
                    received_at = None
                else:
                    self.times_given = True
            rows[connection_id in direct].append(
                (
                    connection_id,
                    r["prefix"],
                    r["next_hop"],
                    r["as_path"],
                    r["origin_as"],
                    communities,
                    large,
                    r["origin_as_validation_state"],
                    state,
                    r["reported_rpki_state"],
                    r["trust_anchor"],
                    received_at,
                )
            )
        self.buffer = []
        for is_direct, batch in rows.items():
            if batch:
                _write_routes(batch, self._stream(direct=is_direct), direct=is_direct)

    def _affected_prefixes(self, connection: PeeringConnection, changed: set[str]):
        """Peering Service prefixes among `changed` whose provider owns the connection's
        peering. The provider's customer prefixes are few next to a full table: their texts
        are read once per import and intersected with the changes; the prefixes themselves
        are read once per import too, however many of the provider's connections change."""
        if not changed:
            return []
        peering = connection.peering
        from peering.services.prefix_validation import SERVICE_TYPES

        if peering.kind != "Direct" or peering.direct_peering_type not in SERVICE_TYPES:
            return []
        asn = peering.peer_asn.peer_asn
        held = PeeringServicePrefix.objects.filter(peering_service__provider__asn=asn)
        if asn not in self._held:
            self._held[asn] = (set(held.values_list("prefix", flat=True)), defaultdict(list), set())
        texts, loaded, read = self._held[asn]
        relevant = texts & changed
        missing = sorted(relevant - read)
        for start in range(0, len(missing), 5000):
            for prefix in held.filter(prefix__in=missing[start : start + 5000]).select_related(
                "peering_service__provider"
            ):
                loaded[prefix.prefix].append(prefix)
        read.update(missing)
        return [p for text in sorted(relevant) for p in loaded[text]]

    def _refuse(self):
        messages = [reason for lines in self.rejected.values() for _, reason in lines]
        raise ValidationError(sorted(messages, key=_line_key)[:50])

    def finish(self) -> list[ImportResult]:
        """Swap every opened connection's set, record events, queue re-validation."""
        if self.strict and self.rejected_count:
            self._refuse()
        self.flush()
        self._staging_create()
        self.end_copy()
        results = []
        touched_prefixes: set[str] = set()
        route_sets.differences_find([pk for pk in self.connections if pk not in self.direct])
        differences, origins = route_sets.differences(), route_sets.held_origins()
        for pk in self.direct:
            differences[pk], origins[pk] = route_sets.first_set(pk)
        for connection in self.connections.values():
            result = self._swap(connection, differences[connection.pk], origins[connection.pk])
            result.rejected = sorted(self.rejected.get(connection.pk, []))
            touched_prefixes |= (
                set(result.announced) | set(result.withdrawn) | set(result.origin_changed)
            )
            results.append(result)
        states = self._states_of(route_sets.new_pairs())
        written = route_sets.differences_apply(self.now, states, times_given=self.times_given)
        written += sum(self.counts[pk] for pk in self.direct)
        analyze_after_bulk(ReceivedRoute, written)
        from peering.services.prefix_validation import revalidate_registered_prefixes

        revalidate_registered_prefixes(
            prefixes=touched_prefixes, peering_ids={c.peering_id for c in self.connections.values()}
        )
        return results

    def _swap(self, connection: PeeringConnection, diff, origins) -> ImportResult:
        """One connection's result: its difference, the prefix events of the customer
        prefixes it touches (queued for validation), its Activity log entry."""
        result = ImportResult(connection=connection, routes=self.counts[connection.pk])
        result.announced, result.withdrawn = diff.announced, diff.withdrawn
        result.origin_changed = diff.origin_changed
        changed = set(result.announced) | set(result.withdrawn) | set(result.origin_changed)
        affected = self._affected_prefixes(connection, changed)
        previous, current = origins
        events = []
        announced, withdrawn = set(result.announced), set(result.withdrawn)
        for prefix in affected:
            role = _location_role(prefix, connection)
            if role is None:
                continue
            events.append(
                _prefix_event(
                    prefix, connection, role, announced, withdrawn, previous, current, self.now
                )
            )
        PrefixEvent.objects.bulk_create(events)
        result.events = len(events)
        result.revalidated = len(affected)
        from peering.tasks import enqueue_prefixes_validation

        enqueue_prefixes_validation([p.pk for p in affected])
        peering = connection.peering
        rejected = len(self.rejected.get(connection.pk, []))
        activity_record(
            subscription=peering.subscription,
            user=self.operator,
            operation="Microsoft.Peering/peerings/receivedRoutes/write",
            operation_display="Import received routes",
            resource_id=peering.resource_id,
            resource_group=peering.resource_group.name,
            message=(
                f"{result.routes} route(s) at {connection.facility_name} (connection "
                f"{connection.connection_identifier}): {len(result.announced)} announced, "
                f"{len(result.withdrawn)} withdrawn, {len(result.origin_changed)} origin "
                f"change(s); {result.events} prefix event(s)."
                + (f" {rejected} line(s) rejected." if rejected else "")
            ),
        )
        return result


def _line_key(message: str) -> int:
    match = re.match(r"Line (\d+)", message)
    return int(match[1]) if match else 0


def _write_routes(rows: list[tuple], stream=None, *, direct: bool = False) -> None:
    """Rows in `route_sets.COLUMNS` order (on PostgreSQL with the JSON columns as text) into
    the import's staging table, or (`direct`) the routes themselves: through the open COPY, or
    batched INSERTs elsewhere."""
    if stream is not None:
        write = stream.write_row
        for row in rows:
            write(row)
        return
    route_sets.staging_insert(rows, direct=direct)


@functools.lru_cache(maxsize=1 << 12)
def _json_text(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


def _origins(values) -> str:
    return ", ".join("an AS_SET" if a is None else f"AS{a}" for a in sorted(values, key=_sort_asn))


def _sort_asn(value):
    return -1 if value is None else value


def _prefix_event(prefix, connection, role, announced, withdrawn, previous, current, now):
    backup = role == "backup"
    where = f"{connection.facility_name} ({connection.peering.peering_location.name}, {role})"
    text = prefix.prefix
    if text in announced:
        kind, level = "RouteAnnouncement", PrefixEvent.Level.INFORMATION
        summary, description = f"{text} announced at {where}", f"Origin {_origins(current[text])}."
    elif text in withdrawn:
        kind, level = "RouteWithdrawal", PrefixEvent.Level.WARNING
        summary = f"{text} withdrawn at {where}"
        description = "Microsoft no longer receives the route on this session."
    else:
        kind = "RouteOriginAsChange"
        level = PrefixEvent.Level.ERROR if backup else PrefixEvent.Level.CRITICAL
        summary = f"Origin of {text} changed at {where}"
        description = f"Origin was {_origins(previous[text])}, now {_origins(current[text])}."
    # PrefixAnnouncementEvent, PrefixBackupRouteAnnouncementEvent, PrefixWithdrawalEvent, …
    event_type = (
        f"PrefixBackup{kind}Event" if backup else f"Prefix{kind.removeprefix('Route')}Event"
    )
    return _event(prefix, event_type, level, summary, description, now)


def _event(prefix, event_type, level, summary, description, when) -> PrefixEvent:
    return PrefixEvent(
        prefix=prefix,
        event_type=event_type,
        event_level=level,
        summary=summary[:200],
        description=description,
        timestamp=when,
    )


# --- entry points ---------------------------------------------------------------------------


def received_routes_import(
    *, connection: PeeringConnection, routes: list[dict], operator, strict: bool = False
) -> ImportResult:
    """Replace the connection's received routes with `routes` (already parsed) and derive the
    prefix events from the difference."""
    with transaction.atomic(), RouteImport(operator=operator, strict=strict) as run:
        if len(routes) > MAX_ROUTES_PER_CONNECTION:
            raise ValidationError(f"At most {MAX_ROUTES_PER_CONNECTION} routes per connection.")
        run.open(connection)
        for number, route in enumerate(routes, start=1):
            run.add(connection, route, number)
        return run.finish()[0]


def received_routes_import_lines(
    *,
    lines: Iterable[str],
    operator,
    connection=None,
    strict: bool = False,
    only_connection: bool = False,
) -> tuple[list[ImportResult], list[tuple[int, str]]]:
    """Stream a JSON-lines file: each line names its connection (`connection`: the connection
    identifier GUID) unless `connection` is given for the whole file. Returns the results and
    the rejected lines (line number, reason); with `strict`, any bad line refuses the file.
    With `only_connection` (an upload for one connection), a file whose lines name other
    connections is refused whole: it was meant for them."""
    with transaction.atomic(), RouteImport(operator=operator, strict=strict) as run:
        targets: dict[str, PeeringConnection | None] = {}
        own = ""
        if connection is not None:
            # The given connection takes the lines that name none or name it (an empty file
            # withdraws all); lines naming other connections go to those.
            own = str(connection.connection_identifier).lower()
            targets[""] = targets[own] = run.open(connection)
        unknown: list[str] = []
        foreign: set[str] = set()
        for number, identifier, route, reason in iter_lines(lines, now=run.now):
            if only_connection and identifier not in targets:
                foreign.add(identifier)
                continue
            if identifier not in targets:
                run.end_copy()
                guid = uuid_or_none(identifier)
                found = (
                    PeeringConnection.objects.filter(connection_identifier=guid).first()
                    if guid
                    else None
                )
                targets[identifier] = run.open(found) if found else None
                if found is None:
                    unknown.append(identifier or "(missing)")
            target = targets[identifier]
            if route is None:
                run.reject(target.pk if target else None, number, reason)
            elif target is not None:
                run.add(target, route, number)
        if foreign:
            raise ValidationError(
                f"Lines name other connections ({', '.join(o[:40] for o in sorted(foreign)[:5])}): "
                "upload those routes on their own connection, or leave `connection` out."
            )
        if unknown:
            # A file naming connections that do not exist is addressed to another system.
            raise ValidationError(
                [f"No connection with identifier {u[:40]}." for u in sorted(unknown)[:20]]
            )
        results = run.finish()
        rejected = sorted(
            (item for items in run.rejected.values() for item in items), key=lambda i: i[0]
        )
    return results, rejected


def received_routes_import_text(
    *, text: str, operator, connection=None, strict: bool = False
) -> list[ImportResult]:
    """Import a JSON-lines text (see `received_routes_import_lines`); the rejected lines are on
    each result's `rejected`."""
    results, _rejected = received_routes_import_lines(
        lines=text.splitlines(), operator=operator, connection=connection, strict=strict
    )
    return results


def uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except (ValueError, AttributeError):
        return None

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

import hmac
import ipaddress
from dataclasses import dataclass, field
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from peering.enums import ConnectionState, DirectPeeringType, Kind
from peering.models import (
    LearnedType,
    Peering,
    PeeringConnection,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PrefixSpan,
    PrefixValidationState,
    ReceivedRoute,
    RegisteredAsn,
    RegisteredPrefix,
    ValidationRun,
)
from peering.services import rpki
from peering.validators import NON_PUBLIC_ASN_RANGES
from portal.models import ActivityStatus, Notification
from portal.services import activity_record, notify_subscription

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


def parse_public_ipv4(text: str) -> tuple[ipaddress.IPv4Network | None, str | None]:
    """(network, None) for a valid public IPv4 prefix, or (None, message)."""
    text = str(text or "").strip()
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None, MSG_FORMAT
    if network.version != 4 or "/" not in text:
        return None, MSG_FORMAT
    if any(network.overlaps(reserved) for reserved in NON_PUBLIC_IPV4):
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


def provider_sessions(peerings) -> list[PeeringConnection]:
    """Every connection of the provider's Peering Service peerings, with its metro, in one
    query (whether it counts is decided per check, so the evidence can say why not)."""
    return list(
        PeeringConnection.objects.filter(peering__in=peerings)
        .select_related("peering__peering_location", "direct_facility", "exchange")
        .order_by("id")
    )


def _counts(connection: PeeringConnection) -> bool:
    return (
        connection.connection_state == ConnectionState.ACTIVE and connection.use_for_peering_service
    )


def _why_not(connection: PeeringConnection) -> str:
    if connection.connection_state != ConnectionState.ACTIVE:
        return f"does not count: {connection.connection_state}, not Active"
    return "does not count: not used for Peering Service"


def _overlaps(network, exclude_prefix_id: int | None) -> bool:
    """Another Verified (or Warning) Peering Service prefix covering or inside `network`."""
    held = PrefixSpan.objects.filter(prefix__validation_state__in=(V.VERIFIED, V.WARNING)).exclude(
        prefix_id=exclude_prefix_id
    )
    start, end = int(network.network_address), int(network.broadcast_address)
    return (
        held.filter(cidr__in=rpki.supernets(network.with_prefixlen)).exists()
        or held.filter(start__gte=start, start__lte=end).exists()
    )


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
    registered_asn, registered_prefix = match_key(provider=provider, key=key)
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
    if _overlaps(network, exclude_prefix_id):
        message = MSG_OVERLAP.format(prefix=network.with_prefixlen)
        checks.append(Check("overlap", LABELS["overlap"], FAIL, message))
    else:
        checks.append(Check("overlap", LABELS["overlap"], PASS))
    checks += _route_checks(
        network=network,
        provider=provider,
        primary_location=primary_location,
        backup_location=backup_location,
        origin=registered_asn.asn if registered_asn else None,
        registered_prefix=registered_prefix,
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


def _path_checks(routes, sessions) -> list[Check]:
    private = prepend = long = None
    evidence = tuple(_route_text(r, sessions) for r in routes)
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


def _community_check(routes, sessions) -> Check:
    for route in routes:
        if MAPS_COMMUNITY not in (route.communities or []):
            connection = sessions[route.connection_id]
            message = MSG_COMMUNITY.format(
                next_hop=route.next_hop, location=connection.peering.peering_location.name
            )
            return Check(
                "community", LABELS["community"], FAIL, message, (_route_text(route, sessions),)
            )
    return Check(
        "community",
        LABELS["community"],
        PASS,
        evidence=tuple(_route_text(r, sessions) for r in routes),
    )


def _rpki_check(prefix_text: str, routes) -> Check:
    """RFC 6811 computed now from the VRPs covering the prefix (one indexed query); the state
    the router reported is shown beside it, with any disagreement."""
    covering = rpki.covering_vrps(prefix_text)
    length = int(prefix_text.rsplit("/", 1)[1])
    evidence = []
    vrp_set = rpki.current_vrp_set()
    if vrp_set is None:
        evidence.append("VRPs: none imported yet")
    else:
        built = f"{vrp_set.age_reference:%Y-%m-%d %H:%M} UTC"
        age = f"VRPs: {vrp_set.vrp_count} from {vrp_set.source}, built {built}"
        if vrp_set.is_stale:
            age += " — older than 24 hours"
        evidence.append(age)
    evidence.append(
        "Covering VRPs: " + (", ".join(str(v) for v in covering) if covering else "none")
    )
    invalid = not_found = None
    for route in routes:
        origin = None if route.ends_in_as_set else route.origin_as
        verdict = rpki.origin_validate(prefix_length=length, origin=origin, covering=covering)
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


def _aspa_check(routes) -> Check:
    asns = {a for r in routes for a in r.as_path_list}
    aspas = rpki.aspas_for(asns)
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
) -> list[Check]:
    """Sessions at the locations, announcement, origin, AS path, community, RPKI, ASPA."""
    peerings = provider_peerings(provider)
    prefix_text = network.with_prefixlen
    everything = provider_sessions(peerings)
    at = {}
    for location in {primary_location.lower(), backup_location.lower()} - {""}:
        at[location] = [
            c for c in everything if c.peering.peering_location.name.lower() == location
        ]
    primary = at.get(primary_location.lower(), [])
    backup = at.get(backup_location.lower(), []) if backup_location else []
    counted = {c.pk: c for c in primary + backup if _counts(c)}
    routes = list(
        ReceivedRoute.objects.filter(connection_id__in=counted, prefix=prefix_text).order_by(
            "connection_id", "id"
        )
    )
    announced = {r.connection_id for r in routes}
    checks = [
        _session_check(
            "primary_sessions",
            primary,
            primary_location,
            2,
            MSG_FEW_PRIMARY.format(location=primary_location),
            announced,
        )
    ]
    if backup_location:
        checks.append(
            _session_check(
                "backup_sessions",
                backup,
                backup_location,
                1,
                MSG_NO_BACKUP.format(location=backup_location),
                announced,
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
    checks.append(
        Check(
            "received",
            LABELS["received"],
            PASS,
            evidence=tuple(_route_text(r, counted) for r in routes),
        )
    )
    checks.append(_origin_check(prefix_text, routes, origin, registered_prefix, counted))
    checks += _path_checks(routes, counted)
    checks.append(_community_check(routes, counted))
    checks.append(_announced_check("announced_primary", primary, primary_location, 2, announced))
    if backup_location:
        checks.append(_announced_check("announced_backup", backup, backup_location, 1, announced))
    checks.append(_rpki_check(prefix_text, routes))
    checks.append(_aspa_check(routes))
    return checks


def _origin_check(prefix_text, routes, origin, registered_prefix, sessions) -> Check:
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
        wrong = next((r for r in routes if r.origin_as not in expected), None)
        if wrong is not None:
            message = MSG_ORIGIN.format(
                prefix=prefix_text,
                actual=wrong.origin_as if wrong.origin_as is not None else " AS_SET",
                expected=origin
                if origin is not None
                else ", AS".join(str(a) for a in sorted(a for a in expected if a is not None)),
            )
            evidence.append(_route_text(wrong, sessions))
            return Check("origin", LABELS["origin"], FAIL, message, tuple(evidence))
    return Check("origin", LABELS["origin"], PASS, evidence=tuple(evidence))


RUNS_KEPT = 5


def _store_run(obj, outcome: Outcome) -> None:
    """Keep the run's checklist; only the latest few runs of a prefix are kept."""
    subject = (
        {"prefix": obj} if isinstance(obj, PeeringServicePrefix) else {"registered_prefix": obj}
    )
    ValidationRun.objects.create(
        state=outcome.state,
        message=outcome.message,
        checks=[c.as_dict() for c in outcome.checks],
        **subject,
    )
    keep = ValidationRun.objects.filter(**subject).order_by("-id").values("id")[:RUNS_KEPT]
    ValidationRun.objects.filter(**subject).exclude(id__in=keep).delete()


def _record_change(obj, outcome: Outcome, *, subscription, title_name: str, link: str) -> None:
    """Save the outcome and its checklist; notify when a prefix becomes Verified or stops being
    Verified."""
    previous = obj.validation_state
    obj.validation_state = outcome.state
    obj.error_message = outcome.message
    obj.validated_at = timezone.now()
    fields = ["validation_state", "error_message", "validated_at"]
    if isinstance(obj, PeeringServicePrefix):
        obj.learned_type = outcome.learned_type
        obj.registered_asn = outcome.registered_asn
        obj.registered_prefix = outcome.registered_prefix
        fields += ["learned_type", "registered_asn", "registered_prefix"]
    obj.save(update_fields=fields)
    _store_run(obj, outcome)
    if previous == outcome.state:
        return
    kind = (
        "peeringServices/prefixes"
        if isinstance(obj, PeeringServicePrefix)
        else "peerings/registeredPrefixes"
    )
    if outcome.state == V.VERIFIED:
        title, level = f"Prefix {title_name} Verified", Notification.Level.SUCCESS
    elif outcome.state in (V.FAILED, V.INVALID):
        title, level = f"Prefix {title_name} {outcome.state}", Notification.Level.ERROR
    else:
        return
    notify_subscription(
        subscription=subscription, title=title, body=outcome.message, link=link, level=level
    )
    activity_record(
        subscription=subscription,
        user=None,
        operation=f"Microsoft.Peering/{kind}/validate/action",
        operation_display="Validate prefix",
        resource_id=obj.resource_id,
        status=ActivityStatus.SUCCEEDED if outcome.state == V.VERIFIED else ActivityStatus.FAILED,
        message=f"{title}." + (f" {outcome.message}" if outcome.message else ""),
    )


def prefix_validate(*, prefix_id: int) -> PeeringServicePrefix | None:
    """Validate one customer prefix now (the background task calls this)."""
    with transaction.atomic():
        prefix = (
            PeeringServicePrefix.objects.select_for_update(of=("self",))
            .select_related(
                "peering_service__provider",
                "peering_service__subscription",
                "peering_service__resource_group",
            )
            .filter(pk=prefix_id)
            .first()
        )
        if prefix is None:
            return None  # deleted before the task ran
        service = prefix.peering_service
        outcome = prefix_evaluate(
            prefix=prefix.prefix,
            provider=service.provider,
            key=prefix.prefix_key,
            primary_location=service.primary_location,
            backup_location=service.backup_location,
            exclude_prefix_id=prefix.pk,
        )
        _record_change(
            prefix,
            outcome,
            subscription=service.subscription,
            title_name=f"{prefix.name} ({prefix.prefix})",
            link=reverse(
                "peering_services:detail",
                args=[service.subscription_id, service.resource_group.name, service.name],
            ),
        )
    return prefix


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
        _record_change(
            registered,
            outcome,
            subscription=peering.subscription,
            title_name=f"{registered.name} ({registered.prefix})",
            link=reverse(
                "peering:peering_detail",
                args=[peering.subscription_id, peering.resource_group.name, peering.name],
            ),
        )
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
        checks += _path_checks(routes, counted)
        checks.append(_community_check(routes, counted))
        checks.append(_rpki_check(str(network), routes))
        checks.append(_aspa_check(routes))
    return _decide(checks, learned=LearnedType.VIA_SESSION)


def revalidate_prefixes(*, prefixes) -> int:
    """Queue validation of the customer and registered prefixes equal to any of `prefixes`
    (their routes changed RPKI state, for instance)."""
    from peering.tasks import enqueue_prefix_validation, enqueue_registered_prefix_validation

    prefixes = sorted(set(prefixes))
    customer, registered = [], []
    for start in range(0, len(prefixes), 5000):
        chunk = prefixes[start : start + 5000]
        customer += PeeringServicePrefix.objects.filter(prefix__in=chunk).values_list(
            "pk", flat=True
        )
        registered += RegisteredPrefix.objects.filter(prefix__in=chunk).values_list("pk", flat=True)
    enqueue_prefix_validation(customer)
    enqueue_registered_prefix_validation(registered)
    return len(customer) + len(registered)


def revalidate_registered_prefixes(*, prefixes, peering_ids) -> int:
    """After a route import: the registered prefixes of these peerings whose routes changed."""
    from peering.tasks import enqueue_registered_prefix_validation

    prefixes = sorted(set(prefixes))
    found = []
    for start in range(0, len(prefixes), 5000):
        found += RegisteredPrefix.objects.filter(
            peering_id__in=peering_ids, prefix__in=prefixes[start : start + 5000]
        ).values_list("pk", flat=True)
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

"""Prefix validation (product.md §3.10): every check, in order, with the documented messages.

`prefix_evaluate` is the rule: given a prefix (customer's or registered) and the data the portal
holds — the provider's registered ASNs and prefixes, its connections and the routes Microsoft
receives on them — it returns (state, learned type, message). `prefix_validate` applies it to a
stored prefix and records the outcome; the `validate_prefix` task runs it in the background.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
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
    PrefixValidationState,
    ReceivedRoute,
    RegisteredAsn,
    RegisteredPrefix,
)
from peering.validators import non_public_asn_reason
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
MSG_RPKI = "Verified, but the route's RPKI validation state is {state}: publish a ROA for {prefix}."


@dataclass(frozen=True)
class Outcome:
    state: str
    learned_type: str
    message: str
    registered_asn: RegisteredAsn | None = None
    registered_prefix: RegisteredPrefix | None = None


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


def match_key(
    *, provider: PeeringServiceProvider, key: str
) -> tuple[RegisteredAsn | None, RegisteredPrefix | None]:
    """The provider's registered ASN or prefix whose key is `key`, compared in constant time.

    Every key of the provider is compared (no early exit), so timing says nothing about which
    part matched; an unknown key and another provider's key both give (None, None)."""
    typed = normalise_key(key).encode() or b"-"
    peerings = provider_peerings(provider)
    found_asn = found_prefix = None
    for registered in RegisteredAsn.objects.filter(peering__in=peerings):
        if hmac.compare_digest(str(registered.prefix_key).encode(), typed):
            found_asn = registered
    for registered in RegisteredPrefix.objects.filter(peering__in=peerings):
        if hmac.compare_digest(str(registered.prefix_key).encode(), typed):
            found_prefix = registered
    return found_asn, found_prefix


def _path_problem(route: ReceivedRoute) -> str | None:
    path = route.as_path_list
    text = route.as_path or "(empty)"
    for asn in path:
        if non_public_asn_reason(asn):
            return MSG_AS_PATH_PRIVATE.format(asn=asn, path=text)
    for first, second in zip(path, path[1:], strict=False):
        if first == second:
            return MSG_AS_PATH_PREPEND.format(asn=first, path=text)
    if len(path) > MAX_AS_PATH:
        return MSG_AS_PATH_LONG.format(path=text)
    return None


def _sessions_at(peerings, location: str) -> list[PeeringConnection]:
    return list(
        PeeringConnection.objects.filter(
            peering__in=peerings,
            peering__peering_location__name__iexact=location,
            connection_state=ConnectionState.ACTIVE,
        ).order_by("id")
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
    network, problem = parse_public_ipv4(prefix)
    if network is None:
        return Outcome(V.INVALID, LearnedType.NONE, problem)
    registered_asn, registered_prefix = match_key(provider=provider, key=key)
    if registered_asn is None and registered_prefix is None:
        return Outcome(V.INVALID, LearnedType.NONE, MSG_KEY.format(provider=provider.name))
    if registered_prefix is not None:
        covering = ipaddress.ip_network(registered_prefix.prefix)
        if not network.subnet_of(covering):
            return Outcome(V.INVALID, LearnedType.NONE, MSG_KEY.format(provider=provider.name))
    # Only prefixes that hold their place (Verified, or Verified with a warning) block others:
    # a copy someone else typed, which failed, must not knock out the owner's prefix.
    for other in (
        PeeringServicePrefix.objects.exclude(pk=exclude_prefix_id)
        .filter(validation_state__in=(V.VERIFIED, V.WARNING))
        .values_list("prefix", flat=True)
    ):
        try:
            other_network = ipaddress.ip_network(other, strict=True)
        except ValueError:
            continue
        if other_network.version == 4 and network.overlaps(other_network):
            return Outcome(
                V.FAILED, LearnedType.NONE, MSG_OVERLAP.format(prefix=network.with_prefixlen)
            )
    return _check_routes(
        network=network,
        provider=provider,
        primary_location=primary_location,
        backup_location=backup_location,
        origin=registered_asn.asn if registered_asn else None,
        registered_asn=registered_asn,
        registered_prefix=registered_prefix,
    )


def _check_routes(
    *,
    network,
    provider: PeeringServiceProvider,
    primary_location: str,
    backup_location: str,
    origin: int | None,
    registered_asn: RegisteredAsn | None = None,
    registered_prefix: RegisteredPrefix | None = None,
    peerings=None,
) -> Outcome:
    """The route checks: sessions at the locations, announcement, origin, AS path, community."""
    found = {"registered_asn": registered_asn, "registered_prefix": registered_prefix}
    peerings = provider_peerings(provider) if peerings is None else peerings
    prefix_text = network.with_prefixlen
    primary = _sessions_at(peerings, primary_location)
    if len(primary) < 2:
        return Outcome(
            V.FAILED, LearnedType.NONE, MSG_FEW_PRIMARY.format(location=primary_location), **found
        )
    backup = _sessions_at(peerings, backup_location) if backup_location else []
    if backup_location and not backup:
        return Outcome(
            V.FAILED, LearnedType.NONE, MSG_NO_BACKUP.format(location=backup_location), **found
        )
    sessions = {c.pk: c for c in primary + backup}
    routes = list(
        ReceivedRoute.objects.filter(connection_id__in=sessions, prefix=prefix_text).order_by(
            "connection_id", "id"
        )
    )
    if not routes:
        return Outcome(
            V.FAILED,
            LearnedType.NONE,
            MSG_NOT_RECEIVED.format(
                prefix=prefix_text,
                provider=provider.name,
                origin=f" with origin AS{origin}" if origin else "",
            ),
            **found,
        )
    if origin is not None:
        wrong = next((r for r in routes if r.origin_as != origin), None)
        if wrong is not None:
            return Outcome(
                V.FAILED,
                LearnedType.NONE,
                MSG_ORIGIN.format(prefix=prefix_text, actual=wrong.origin_as, expected=origin),
                **found,
            )
    for route in routes:
        problem = _path_problem(route)
        if problem:
            return Outcome(V.FAILED, LearnedType.NONE, problem, **found)
    for route in routes:
        if MAPS_COMMUNITY not in (route.communities or []):
            location = sessions[route.connection_id].peering.peering_location.name
            return Outcome(
                V.FAILED,
                LearnedType.NONE,
                MSG_COMMUNITY.format(next_hop=route.next_hop, location=location),
                **found,
            )
    announced = {r.connection_id for r in routes}
    # Announced from all primary and backup sessions.
    for group, location in ((primary, primary_location), (backup, backup_location)):
        missing = [c for c in group if c.pk not in announced]
        if missing:
            ips = ", ".join(str(c.peer_session_ipv4_address or c.facility_name) for c in missing)
            return Outcome(
                V.FAILED,
                LearnedType.NONE,
                MSG_NOT_FROM_IP.format(ips=ips, location=location),
                **found,
            )
    not_valid = next((r for r in routes if r.rpki_validation_state != "Valid"), None)
    if not_valid is not None:
        return Outcome(
            V.WARNING,
            LearnedType.VIA_SERVICE_PROVIDER,
            MSG_RPKI.format(state=not_valid.rpki_validation_state, prefix=prefix_text),
            **found,
        )
    return Outcome(V.VERIFIED, LearnedType.VIA_SERVICE_PROVIDER, "", **found)


def _record_change(obj, outcome: Outcome, *, subscription, title_name: str, link: str) -> None:
    """Save the outcome; notify when a prefix becomes Verified or stops being Verified."""
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
            outcome = Outcome(V.INVALID, LearnedType.NONE, problem)
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
    sessions = list(
        peering.connections.filter(connection_state=ConnectionState.ACTIVE).order_by("id")
    )
    if not sessions:
        return Outcome(V.FAILED, LearnedType.NONE, "The peering has no Active connection yet.")
    routes = list(ReceivedRoute.objects.filter(connection__in=sessions, prefix=str(network)))
    announced = {r.connection_id for r in routes}
    missing = [c for c in sessions if c.pk not in announced]
    if missing:
        ips = ", ".join(str(c.peer_session_ipv4_address or c.facility_name) for c in missing)
        return Outcome(
            V.FAILED,
            LearnedType.NONE,
            MSG_NOT_FROM_IP.format(ips=ips, location=peering.peering_location.name),
        )
    for route in routes:
        problem = _path_problem(route)
        if problem:
            return Outcome(V.FAILED, LearnedType.NONE, problem)
        if MAPS_COMMUNITY not in (route.communities or []):
            return Outcome(
                V.FAILED,
                LearnedType.NONE,
                MSG_COMMUNITY.format(
                    next_hop=route.next_hop, location=peering.peering_location.name
                ),
            )
    return Outcome(V.VERIFIED, LearnedType.VIA_SESSION, "")


def prefixes_using(*, registered_asn_ids=(), registered_prefix_ids=(), prefixes=()):
    """Customer prefixes that redeemed these keys, or carry these prefixes (for re-validation)."""
    query = Q(registered_asn_id__in=list(registered_asn_ids)) | Q(
        registered_prefix_id__in=list(registered_prefix_ids)
    )
    if prefixes:
        query |= Q(prefix__in=list(prefixes))
    return PeeringServicePrefix.objects.filter(query)

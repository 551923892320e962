"""Received routes: operators load the routes Microsoft receives on a connection; each import
replaces that connection's set, records prefix events for the affected Peering Service prefixes
(announcement, withdrawal, origin AS change, backup route …) and re-validates them.

The file format (JSON lines, one route per line) is documented in docs/received-routes.md.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from peering.models import (
    PeeringConnection,
    PeeringServicePrefix,
    PrefixEvent,
    ReceivedRoute,
)
from peering.services.prefix_validation import provider_peerings
from peering.tasks import enqueue_prefix_validation
from peering.validators import ASN_MAX
from portal.services import activity_record

COMMUNITY_RE = re.compile(r"\d{1,10}:\d{1,10}")
STATES = {"Valid", "Invalid", "NotFound", "Unknown", "None"}
MAX_ROUTES_PER_CONNECTION = 200_000


@dataclass
class ImportResult:
    connection: PeeringConnection
    routes: int = 0
    announced: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    origin_changed: list[str] = field(default_factory=list)
    events: int = 0
    revalidated: int = 0


def parse_route(raw: object, *, line: int, now: datetime) -> dict:
    """One route from the file, cleaned; ValidationError naming the line and the field."""
    where = f"Line {line}"
    if not isinstance(raw, dict):
        raise ValidationError(f"{where}: a route is a JSON object.")
    try:
        prefix = ipaddress.ip_network(str(raw.get("prefix", "")), strict=True)
    except ValueError:
        raise ValidationError(
            f"{where}: prefix {str(raw.get('prefix'))[:50]!r} is not a CIDR prefix without host "
            "bits."
        ) from None
    try:
        next_hop = ipaddress.ip_address(str(raw.get("next_hop", "")))
    except ValueError:
        raise ValidationError(f"{where}: next_hop is not an IP address.") from None
    path_raw = raw.get("as_path", "")
    parts = path_raw if isinstance(path_raw, list) else str(path_raw).split()
    try:
        path = [int(p) for p in parts]
    except (TypeError, ValueError):
        raise ValidationError(f"{where}: as_path must be ASNs separated by spaces.") from None
    if not path or any(not 0 < a <= ASN_MAX for a in path) or len(path) > 64:
        raise ValidationError(f"{where}: as_path must hold 1–64 ASNs from 1 to {ASN_MAX}.")
    origin = raw.get("origin_as", path[-1])
    if isinstance(origin, bool) or not isinstance(origin, int) or not 0 < origin <= ASN_MAX:
        raise ValidationError(f"{where}: origin_as must be an ASN.")
    communities = raw.get("communities", [])
    if isinstance(communities, str):
        communities = communities.split()
    if not isinstance(communities, list) or not all(
        isinstance(c, str) and COMMUNITY_RE.fullmatch(c) for c in communities
    ):
        raise ValidationError(f'{where}: communities must be a list like ["8075:8007"].')
    received_at = now
    if raw.get("received_at"):
        received_at = parse_datetime(str(raw["received_at"]).replace(" ", "T"))
        if received_at is None:
            raise ValidationError(f"{where}: received_at is not a date and time.")
        if timezone.is_naive(received_at):
            received_at = timezone.make_aware(received_at, timezone.UTC)
    cleaned = {
        "prefix": prefix.with_prefixlen,
        "next_hop": str(next_hop),
        "as_path": " ".join(str(a) for a in path),
        "origin_as": origin,
        "communities": communities,
        "received_at": received_at,
    }
    for key, default in (
        ("origin_as_validation_state", "Valid"),
        ("rpki_validation_state", "Valid"),
    ):
        value = str(raw.get(key, default))
        if value not in STATES:
            raise ValidationError(f"{where}: {key} must be one of {', '.join(sorted(STATES))}.")
        cleaned[key] = value
    trust_anchor = str(raw.get("trust_anchor", ""))
    if len(trust_anchor) > 32 or re.search(r"[\x00-\x1f\x7f]", trust_anchor):
        raise ValidationError(f"{where}: trust_anchor must be up to 32 printable characters.")
    cleaned["trust_anchor"] = trust_anchor
    return cleaned


def parse_jsonl(text: str, *, now: datetime | None = None) -> dict[str, list[dict]]:
    """Routes of a JSON-lines file grouped by connection identifier; every bad line is
    reported at once and nothing is imported."""
    now = now or timezone.now()
    groups: dict[str, list[dict]] = defaultdict(list)
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"Line {number}: not JSON ({exc.msg}).")
            continue
        try:
            route = parse_route(raw, line=number, now=now)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        groups[str(raw.get("connection", "")).strip().lower()].append(route)
        if len(errors) > 50:
            break
    if errors:
        raise ValidationError(errors[:50])
    return dict(groups)


def _location_role(prefix: PeeringServicePrefix, connection: PeeringConnection) -> str | None:
    service = prefix.peering_service
    metro = connection.peering.peering_location.name.lower()
    if service.primary_location.lower() == metro:
        return "primary"
    if service.backup_location and service.backup_location.lower() == metro:
        return "backup"
    return None


def received_routes_import(
    *, connection: PeeringConnection, routes: list[dict], operator
) -> ImportResult:
    """Replace the connection's received routes with `routes` (already parsed) and derive the
    prefix events from the difference."""
    if not (operator and operator.is_active and operator.is_staff):
        raise PermissionDenied("Only Microsoft operators load received routes.")
    if len(routes) > MAX_ROUTES_PER_CONNECTION:
        raise ValidationError(f"At most {MAX_ROUTES_PER_CONNECTION} routes per connection.")
    now = timezone.now()
    with transaction.atomic():
        locked = (
            PeeringConnection.objects.select_for_update(of=("self",))
            .select_related("peering__subscription", "peering__resource_group", "peering__peer_asn")
            .select_related("peering__peering_location")
            .get(pk=connection.pk)
        )
        result = ImportResult(connection=locked, routes=len(routes))
        previous: dict[str, set[int]] = defaultdict(set)
        for prefix, origin in locked.received_routes.values_list("prefix", "origin_as"):
            previous[prefix].add(origin)
        current: dict[str, set[int]] = defaultdict(set)
        for route in routes:
            current[route["prefix"]].add(route["origin_as"])
        result.announced = sorted(set(current) - set(previous))
        result.withdrawn = sorted(set(previous) - set(current))
        result.origin_changed = sorted(
            p for p in set(current) & set(previous) if current[p] != previous[p]
        )
        locked.received_routes.all().delete()
        ReceivedRoute.objects.bulk_create(
            (ReceivedRoute(connection=locked, **route) for route in routes), batch_size=2000
        )

        changed = set(result.announced) | set(result.withdrawn) | set(result.origin_changed)
        affected = [
            p
            for p in PeeringServicePrefix.objects.filter(prefix__in=changed).select_related(
                "peering_service__provider"
            )
            if locked.peering_id
            in set(provider_peerings(p.peering_service.provider).values_list("pk", flat=True))
        ]
        events = []
        for prefix in affected:
            role = _location_role(prefix, locked)
            if role is None:
                continue
            backup = role == "backup"
            where = f"{locked.facility_name} ({locked.peering.peering_location.name}, {role})"
            if prefix.prefix in result.announced:
                events.append(
                    _event(
                        prefix,
                        "PrefixBackupRouteAnnouncementEvent"
                        if backup
                        else "PrefixAnnouncementEvent",
                        PrefixEvent.Level.INFORMATION,
                        f"{prefix.prefix} announced at {where}",
                        f"Origin AS{', AS'.join(str(a) for a in sorted(current[prefix.prefix]))}.",
                        now,
                    )
                )
            elif prefix.prefix in result.withdrawn:
                events.append(
                    _event(
                        prefix,
                        "PrefixBackupRouteWithdrawalEvent" if backup else "PrefixWithdrawalEvent",
                        PrefixEvent.Level.WARNING,
                        f"{prefix.prefix} withdrawn at {where}",
                        "Microsoft no longer receives the route on this session.",
                        now,
                    )
                )
            else:
                before = ", ".join(f"AS{a}" for a in sorted(previous[prefix.prefix]))
                after = ", ".join(f"AS{a}" for a in sorted(current[prefix.prefix]))
                events.append(
                    _event(
                        prefix,
                        "PrefixBackupRouteOriginAsChangeEvent"
                        if backup
                        else "PrefixOriginAsChangeEvent",
                        PrefixEvent.Level.ERROR if backup else PrefixEvent.Level.CRITICAL,
                        f"Origin of {prefix.prefix} changed at {where}",
                        f"Origin was {before}, now {after}.",
                        now,
                    )
                )
        PrefixEvent.objects.bulk_create(events)
        result.events = len(events)
        result.revalidated = len(affected)
        enqueue_prefix_validation([p.pk for p in affected])
        peering = locked.peering
        activity_record(
            subscription=peering.subscription,
            user=operator,
            operation="Microsoft.Peering/peerings/receivedRoutes/write",
            operation_display="Import received routes",
            resource_id=peering.resource_id,
            resource_group=peering.resource_group.name,
            message=(
                f"{len(routes)} route(s) at {locked.facility_name} (connection "
                f"{locked.connection_identifier}): {len(result.announced)} "
                f"announced, {len(result.withdrawn)} withdrawn, {len(result.origin_changed)} "
                f"origin change(s); {result.events} prefix event(s)."
            ),
        )
    return result


def _event(prefix, event_type, level, summary, description, when) -> PrefixEvent:
    return PrefixEvent(
        prefix=prefix,
        event_type=event_type,
        event_level=level,
        summary=summary[:200],
        description=description,
        timestamp=when,
    )


def received_routes_import_text(*, text: str, operator, connection=None) -> list[ImportResult]:
    """Import a JSON-lines file: each line names its connection (`connection`: the connection
    identifier GUID) unless `connection` is given for the whole file."""
    groups = parse_jsonl(text)
    results = []
    targets: dict[str, PeeringConnection] = {}
    if connection is not None:
        # The given connection takes the lines that name none or name it (an empty file
        # withdraws all); lines naming other connections go to those.
        own = str(connection.connection_identifier).lower()
        groups[""] = groups.get("", []) + groups.pop(own, [])
        targets[""] = connection
    unknown = []
    for identifier in groups:
        if identifier in targets:
            continue
        guid = uuid_or_none(identifier)
        target = (
            PeeringConnection.objects.filter(connection_identifier=guid).first() if guid else None
        )
        if target is None:
            unknown.append(identifier or "(missing)")
        else:
            targets[identifier] = target
    if unknown:
        raise ValidationError(
            [f"No connection with identifier {u[:40]}." for u in sorted(unknown)[:20]]
        )
    with transaction.atomic():
        for identifier, routes in groups.items():
            results.append(
                received_routes_import(
                    connection=targets[identifier], routes=routes, operator=operator
                )
            )
    return results


def uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except (ValueError, AttributeError):
        return None

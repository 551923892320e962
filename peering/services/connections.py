"""Changing a peering after Create (product.md §3.5): add and delete connections, add a session,
change max prefixes, upgrade bandwidth, request Use for Peering Service, edit tags.

Connection rows are checked by the same code as the wizard (`connection_validate`,
`connections_check_addresses`). Legacy-converted connections are read-only.
"""

from __future__ import annotations

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.db import transaction

from peering import enums
from peering.contracts import ConnectionInput, PeeringInput
from peering.models import Actor, Exchange, Peering, PeeringConnection
from peering.models.abstracts import SESSION_ADDRESS_FIELDS, SESSION_FIELDS
from peering.services.addresses import lock_places
from peering.services.lifecycle import REMOVAL_BLOCKED, connection_transition
from peering.services.peerings import (
    MAX_CONNECTIONS,
    VARIANTS,
    Configuration,
    Errors,
    bandwidth_clean,
    connection_validate,
    connections_check_addresses,
    new_connection,
    peer_asn_name_of,
    place_of,
)
from peering.services.wizard import connection_input
from peering.signals import announce_connections_requested
from portal.selectors import ensure_can_write
from portal.services import activity_about, tags_replace

OPERATION = "Microsoft.Peering/peerings/write"


MAX_TAGS = 50


TAG_KEY_FORBIDDEN = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")


def configuration_of(peering: Peering) -> Configuration:
    """The wizard's Configuration for an existing peering (its variant and metro)."""
    for variant in VARIANTS.values():
        if (
            variant.kind == peering.kind
            and variant.sku_name == peering.sku_name
            and variant.direct_peering_type == (peering.direct_peering_type or "")
        ):
            return Configuration(variant=variant, metro=peering.peering_location)
    raise ValidationError("This peering's kind and SKU cannot be changed in the portal.")


def _log(*, user, peering: Peering, display: str, message: str) -> None:
    activity_about(
        peering,
        user=user,
        operation=OPERATION,
        display=display,
        message=message,
    )


def _lock_peering(peering: Peering) -> Peering:
    return (
        Peering.objects.select_for_update(of=("self",))
        .select_related("subscription", "resource_group", "peering_location", "peer_asn")
        .get(pk=peering.pk)
    )


def _existing(peering: Peering) -> list[PeeringConnection]:
    return list(peering.connections.select_related("direct_facility", "exchange"))


def connection_add(
    *, user, peering: Peering, data: ConnectionInput | None = None, row: dict | None = None
) -> PeeringConnection:
    """Add a connection with the wizard's rules; it starts PendingApproval. `data` is the
    contract's connection; the portal's Add connection form passes its `row` as typed, read
    as the wizard reads its rows."""
    ensure_can_write(user=user, subscription=peering.subscription)
    if data is None:
        data = connection_input(row if isinstance(row, dict) else {})
    with transaction.atomic():
        locked = _lock_peering(peering)
        if locked.provisioning_state != enums.ProvisioningState.SUCCEEDED:
            raise ValidationError("The peering is being removed; it cannot take new connections.")
        configuration = configuration_of(locked)
        errors = Errors()
        index = len(_existing(locked))
        if index >= MAX_CONNECTIONS:
            raise ValidationError(
                f"A peering can have at most {MAX_CONNECTIONS} connections; this one has {index}."
            )
        clean = connection_validate(
            configuration=configuration,
            subscription=locked.subscription,
            data=data,
            index=0,
            errors=errors,
        )
        if clean is not None:
            # Lock the place, then check its addresses against every live connection.
            facility_ids, exchange_ids = clean.lock_ids
            lock_places(facility_ids=facility_ids, exchange_ids=exchange_ids)
            connections_check_addresses({0: clean}, errors)
        if errors:
            raise ValidationError(
                {key.replace("connections.0.", ""): value for key, value in errors.items()}
            )
        connection = new_connection(locked, clean)
        connection.save()
        announce_connections_requested([connection.pk])
        _log(
            user=user,
            peering=locked,
            display="Add connection",
            message=f"Connection {index + 1} at {connection.facility_name} requested "
            "(PendingApproval).",
        )
    return connection


def _lock_connection(connection: PeeringConnection) -> PeeringConnection:
    return (
        PeeringConnection.objects.select_for_update(of=("self",))
        .select_related(
            "peering__subscription",
            "peering__resource_group",
            "peering__peering_location",
            "peering__peer_asn",
            "direct_facility",
            "exchange",
        )
        .get(pk=connection.pk)
    )


LEGACY_READ_ONLY = "Converted legacy connections cannot be changed in the portal."


def connection_delete_refusal(
    connection: PeeringConnection, *, other_connections: int | None = None
) -> str:
    """Why the peer cannot delete this connection now ('' when it can). The portal shows it on
    the disabled control; `connection_delete` refuses with it. A caller that has the peering's
    connections at hand passes how many others there are, saving a query."""
    peering = connection.peering
    if connection.is_legacy:
        return LEGACY_READ_ONLY
    if (
        peering.kind == enums.Kind.DIRECT
        and peering.direct_peering_type == enums.DirectPeeringType.EDGE
    ):
        return (
            "Direct peering connections cannot be removed by the peer: request "
            "deprovisioning, or ask Microsoft's peering team."
        )
    if connection.connection_state in REMOVAL_BLOCKED:
        return (
            f"The connection is {connection.connection_state}: it cannot be deleted while "
            "Microsoft changes it. Try again once that has finished."
        )
    if other_connections is None:
        other_connections = peering.connections.exclude(pk=connection.pk).count()
    if not other_connections:
        return (
            "This is the peering's last connection. Request deprovisioning to remove the "
            "peering instead."
        )
    return ""


def connection_edit_refusal(connection: PeeringConnection) -> str:
    """Why the peer cannot edit this connection now ('' when it can). The portal shows it on the
    disabled Edit connection control and on the edit page; `connection_update` (so also an ARM
    PUT of the peering) refuses with it."""
    if connection.is_legacy:
        return LEGACY_READ_ONLY
    if connection.connection_state != enums.ConnectionState.ACTIVE:
        return (
            f"Only Active connections can be edited; this one is {connection.connection_state}. "
            "Edit connection is available once the connection is Active."
        )
    return ""


def peering_service_request_refusal(connection: PeeringConnection) -> str:
    """Why Use for Peering Service cannot be requested for this connection now ('' when it
    can). Shown on the disabled control; `connection_request_peering_service` refuses with it."""
    peering = connection.peering
    if peering.kind != enums.Kind.DIRECT:
        return "Exchange connections cannot be used for Peering Service; use a Direct peering."
    if connection.is_legacy:
        return LEGACY_READ_ONLY
    if connection.use_for_peering_service:
        return "This connection is already used for Peering Service."
    if not peering.subscription.peering_service_agreement_signed:
        return (
            "Use for Peering Service needs a signed Peering Service agreement with Microsoft for "
            "this subscription."
        )
    if connection.connection_state == enums.ConnectionState.TYPE_CHANGE_REQUESTED:
        return "Requested: Microsoft reviews the request."
    if connection.connection_state != enums.ConnectionState.ACTIVE:
        return f"Available once the connection is Active (it is {connection.connection_state})."
    return ""


def connection_delete(*, user, connection: PeeringConnection, confirm: str) -> None:
    """Delete a connection; the user types the peering's resource ID to confirm."""
    ensure_can_write(user=user, subscription=connection.peering.subscription)
    with transaction.atomic():
        locked = _lock_connection(connection)
        peering = locked.peering
        if str(confirm or "").strip().lower() != peering.resource_id.lower():
            raise ValidationError(
                {"confirm": ["Type the resource ID exactly as shown to confirm the deletion."]}
            )
        refusal = connection_delete_refusal(locked)
        if refusal:
            raise ValidationError(refusal)
        place, identifier = locked.facility_name, locked.connection_identifier
        locked.delete()
        activity_about(
            peering,
            user=user,
            operation="Microsoft.Peering/peerings/connections/delete",
            display="Delete connection",
            message=f"Connection {identifier} at {place} deleted.",
        )


def connection_update(*, user, connection: PeeringConnection, data: dict) -> PeeringConnection:
    """On an Active connection: add an IPv4 or IPv6 session, change max prefixes, upgrade
    bandwidth (Direct). Removing a session is not self-service."""
    ensure_can_write(user=user, subscription=connection.peering.subscription)
    data = data if isinstance(data, dict) else {}
    with transaction.atomic():
        locked = _lock_connection(connection)
        peering = locked.peering
        refusal = connection_edit_refusal(locked)
        if refusal:
            raise ValidationError(refusal)
        configuration = configuration_of(peering)
        errors = Errors()
        changes: list[str] = []
        fields: set[str] = set()

        # A session of a family the connection lacks: validated as a wizard row would be.
        row = _row_of(locked)
        for family in (4, 6):
            ip = f"ipv{family}"
            has = bool(getattr(locked, f"peer_session_{ip}_address"))
            wanted = {
                k: str(data.get(k) or "").strip()
                for k in (
                    f"session_prefix_v{family}",
                    f"peer_session_{ip}_address",
                    f"microsoft_session_{ip}_address",
                )
            }
            if not any(wanted.values()):
                continue
            if has:
                # The values it has now are not a change (an API client sends the whole
                # connection back); different ones are refused.
                if any(v and not _same(v, getattr(locked, k)) for k, v in wanted.items()):
                    errors.add(
                        f"peer_session_{ip}_address",
                        f"The connection already has an IPv{family} session; changing or "
                        "removing a session is not self-service.",
                    )
                continue
            row.update(wanted)
            if f"max_prefixes_advertised_v{family}" not in data:
                row.setdefault(f"max_prefixes_advertised_v{family}", "")
            changes.append(f"IPv{family} session added")
        for family in (4, 6):
            key = f"max_prefixes_advertised_v{family}"
            if str(data.get(key) or "").strip():
                row[key] = str(data[key]).strip()
        clean = None
        if not errors:
            check = Errors()
            clean = connection_validate(
                configuration=configuration,
                subscription=peering.subscription,
                data=connection_input(row),
                index=0,
                errors=check,
            )
            if clean is not None:
                facility_ids, exchange_ids = clean.lock_ids
                lock_places(facility_ids=facility_ids, exchange_ids=exchange_ids)
                connections_check_addresses({0: clean}, check, exclude_pk=locked.pk)
            for key, messages in check.items():
                for message in messages:
                    errors.add(key.replace("connections.0.", ""), message)
        bandwidth = str(data.get("bandwidth_mbps") or "").strip()
        if bandwidth and peering.kind == enums.Kind.DIRECT:
            value = bandwidth_clean(bandwidth, "bandwidth_mbps", errors)
            current_bw = locked.bandwidth_mbps or 0
            if value is not None and value < current_bw:
                errors.add(
                    "bandwidth_mbps",
                    f"Bandwidth can only be upgraded (now {current_bw // 1000} Gbps); ask "
                    "Microsoft's peering team to downgrade.",
                )
            elif value is not None and value > current_bw:
                locked.bandwidth_mbps = value
                fields.add("bandwidth_mbps")
                changes.append(f"bandwidth {current_bw // 1000} → {value // 1000} Gbps")
        elif bandwidth:
            errors.add("bandwidth_mbps", "Exchange connections have no bandwidth setting.")
        if errors:
            raise ValidationError(dict(errors))
        for family in (4, 6):
            ip = f"ipv{family}"
            new_peer = getattr(clean, f"peer_session_{ip}_address")
            if new_peer and not getattr(locked, f"peer_session_{ip}_address"):
                for name in (
                    f"session_prefix_v{family}",
                    f"peer_session_{ip}_address",
                    f"microsoft_session_{ip}_address",
                ):
                    setattr(locked, name, getattr(clean, name))
                    fields.add(name)
                setattr(locked, f"session_state_v{family}", enums.SessionState.PENDING_ADD)
                fields.add(f"session_state_v{family}")
            key = f"max_prefixes_advertised_v{family}"
            value = getattr(clean, key)
            if value is not None and value != getattr(locked, key):
                changes.append(f"max IPv{family} prefixes {getattr(locked, key)} → {value}")
                setattr(locked, key, value)
                fields.add(key)
        if not fields:
            raise ValidationError("Nothing changed.")
        locked.save(update_fields=[*sorted(fields), "updated_at"])
        _log(
            user=user,
            peering=peering,
            display="Update connection",
            message=f"Connection at {locked.facility_name}: {', '.join(changes)}.",
        )
    return locked


def _same(typed: str, current: object) -> bool:
    """Whether a typed address or prefix equals the stored one (in any notation)."""
    if current in (None, ""):
        return False
    try:
        if "/" in typed:
            return ipaddress.ip_network(typed, strict=False) == ipaddress.ip_network(current)
        return ipaddress.ip_address(typed) == ipaddress.ip_address(current)
    except ValueError:
        return False


def _row_of(connection: PeeringConnection) -> dict:
    """The connection as a wizard row, so its values pass through the same checks."""
    facility = connection.exchange or connection.direct_facility
    row = {
        "facility": str(facility.pk),
        "session_address_provider": connection.session_address_provider,
        "bandwidth_mbps": str(connection.bandwidth_mbps or ""),
        # The flag it has is a fact (set by a type change), not a new request to check again.
        "use_for_peering_service": "",
    }
    for name in SESSION_FIELDS:
        value = getattr(connection, name)
        row[name] = "" if value is None else str(value)
    if isinstance(facility, Exchange):
        # Exchange rows carry only the peer's addresses; the LAN and Microsoft's come from data.
        for name in ("session_prefix_v4", "session_prefix_v6"):
            row[name] = ""
        row["microsoft_session_ipv4_address"] = ""
        row["microsoft_session_ipv6_address"] = ""
    elif connection.session_address_provider == enums.SessionAddressProvider.MICROSOFT:
        for name in SESSION_ADDRESS_FIELDS:
            row[name] = ""
    return row


def connection_request_peering_service(*, user, connection: PeeringConnection) -> PeeringConnection:
    """Ask Microsoft to use an Active Direct connection for Peering Service
    (TypeChangeRequested → operator approves → TypeChangeInProgress → Active)."""
    ensure_can_write(user=user, subscription=connection.peering.subscription)
    refusal = peering_service_request_refusal(connection)
    if refusal:
        raise ValidationError(refusal)
    return connection_transition(
        connection=connection,
        to_state=enums.ConnectionState.TYPE_CHANGE_REQUESTED,
        user=user,
        actor=Actor.PEER,
        note="Use for Peering Service requested.",
    )


def tags_clean(tags: object) -> dict[str, str]:
    """Tags as stored, or ValidationError keyed `tags` / `tags.<i>.name|value` (ARM limits: 50
    tags, key ≤ 512, value ≤ 256 characters)."""
    if not isinstance(tags, dict):
        raise ValidationError({"tags": ["Tags are name/value pairs."]})
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    if len(tags) > MAX_TAGS:
        errors["tags"] = [f"A resource can have at most {MAX_TAGS} tags."]
    for index, (key, value) in enumerate(tags.items()):
        key, value = str(key).strip(), str(value if value is not None else "").strip()
        if not key or len(key) > 512 or TAG_KEY_FORBIDDEN.search(key):
            errors[f"tags.{index}.name"] = [
                "A tag name has 1–512 characters and none of < > % & \\ ? / or control characters."
            ]
        elif key.lower() in {k.lower() for k in clean}:
            errors[f"tags.{index}.name"] = [f"The tag name '{key}' is used twice."]
        if len(value) > 256 or re.search(r"[\x00-\x1f\x7f]", value):
            errors[f"tags.{index}.value"] = ["A tag value has at most 256 printable characters."]
        clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def peering_tags_update(*, user, peering: Peering, tags: object) -> Peering:
    """Replace the peering's tags (rules in `tags_clean`)."""
    ensure_can_write(user=user, subscription=peering.subscription)
    clean = tags_clean(tags)
    with transaction.atomic():
        locked = _lock_peering(peering)
        return tags_replace(
            locked,
            clean,
            user=user,
            operation=OPERATION,
            display="Update tags",
            message=f"Tags: {len(locked.tags)} → {len(clean)}.",
        )


def _connection_changes(connection: PeeringConnection, data: ConnectionInput) -> dict[str, str]:
    """What an ARM PUT asks to change on an existing connection, as `connection_update` reads
    it: the values it sends that differ from the stored ones (sending a value back unchanged
    is not a change)."""
    changes: dict[str, str] = {}
    session = data.bgp_session
    for name in SESSION_ADDRESS_FIELDS:
        value = getattr(session, name)
        if value and not _same(value, getattr(connection, name)):
            changes[name] = value
    for name in ("max_prefixes_advertised_v4", "max_prefixes_advertised_v6"):
        value = getattr(session, name)
        if value is not None and value != getattr(connection, name):
            changes[name] = str(value)
    if data.bandwidth_in_mbps is not None and data.bandwidth_in_mbps != (
        connection.bandwidth_mbps or 0
    ):
        changes["bandwidth_mbps"] = str(data.bandwidth_in_mbps)
    if changes:
        # A session family being added is checked whole: send its other fields along.
        for family in (4, 6):
            ip = f"ipv{family}"
            names = (
                f"session_prefix_v{family}",
                f"peer_session_{ip}_address",
                f"microsoft_session_{ip}_address",
            )
            if any(n in changes for n in names):
                for n in names:
                    changes.setdefault(n, getattr(session, n))
    return changes


def _same_connection(
    connection: PeeringConnection, data: ConnectionInput, configuration: Configuration
) -> bool:
    """Whether a connection sent without its identifier is this stored one: same place and the
    same IPv4 session (prefix or peer address), or both left to Microsoft. ARM clients that do
    not echo identifiers then still update in place instead of replacing."""
    place = connection.exchange or connection.direct_facility
    wanted = place_of(configuration, data)
    if wanted is None or wanted.pk != place.pk or type(wanted) is not type(place):
        return False
    session = data.bgp_session
    if session.peer_session_ipv4_address:
        return _same(session.peer_session_ipv4_address, connection.peer_session_ipv4_address)
    if session.session_prefix_v4 and connection.direct_facility is not None:
        return _same(session.session_prefix_v4, connection.session_prefix_v4)
    return (
        data.session_address_provider == enums.SessionAddressProvider.MICROSOFT
        and connection.session_address_provider == enums.SessionAddressProvider.MICROSOFT
    )


def _connection_place_refusal(
    connection: PeeringConnection, data: ConnectionInput, configuration: Configuration
) -> dict[str, str]:
    """Fields of an existing connection an update may not change, with the reason."""
    refused: dict[str, str] = {}
    place = connection.exchange or connection.direct_facility
    wanted = place_of(configuration, data)
    if (data.facility_id is not None or data.peering_db_facility_id is not None) and (
        wanted is None or wanted.pk != place.pk or type(wanted) is not type(place)
    ):
        refused["facility"] = (
            "The place of an existing connection cannot be changed: add a new connection and "
            "delete this one."
        )
    provider = data.session_address_provider
    if (
        provider
        and connection.session_address_provider
        and provider != connection.session_address_provider
    ):
        refused["session_address_provider"] = (
            "The session address provider of an existing connection cannot be changed."
        )
    if connection.use_for_peering_service and not data.use_for_peering_service:
        refused["use_for_peering_service"] = (
            "Use for Peering Service cannot be switched off by the peer; ask Microsoft's "
            "peering team."
        )
    return refused


def peering_update(*, user, peering: Peering, data: PeeringInput) -> Peering:
    """ARM PUT on an existing peering: the whole peering as it should be.

    What it is and where (kind, SKU, direct peering type, peering location, Peer ASN, region)
    cannot change. Its connections are diffed by `connection_identifier` (or, without one, by
    place and IPv4 session, see `_same_connection`). One that matches none is added
    (`connection_add`); one that differs from the stored connection is updated
    (`connection_update`: Active only — sessions added, max prefixes changed, bandwidth
    upgraded; Use for Peering Service requested with `connection_request_peering_service`);
    an existing connection left out is deleted (`connection_delete`, with its refusals). Tags
    are replaced. All of it or nothing: errors are keyed like `peering_validate`'s.
    """
    ensure_can_write(user=user, subscription=peering.subscription)
    errors = Errors()
    immutable = (
        ("configuration.peering_type", data.kind, peering.kind),
        ("configuration.sku", data.sku_name, peering.sku_name),
        (
            "configuration.microsoft_network",
            data.direct_peering_type,
            peering.direct_peering_type or "",
        ),
        ("configuration.metro", data.peering_location, peering.peering_location.name),
        ("basics.region", data.location, peering.region.name),
    )
    for key, wanted, current in immutable:
        if wanted and wanted.strip().lower() != str(current).lower():
            errors.add(
                key,
                f"This cannot be changed on an existing peering (it is {current}); create "
                "another peering instead.",
            )
    if data.peer_asn and peer_asn_name_of(data.peer_asn).lower() != peering.peer_asn.name.lower():
        errors.add(
            "basics.peer_asn",
            "The Peer ASN of an existing peering cannot be changed "
            f"(it is {peering.peer_asn.name}).",
        )
    if len(data.connections) > MAX_CONNECTIONS:
        errors.add("connections", f"A peering can have at most {MAX_CONNECTIONS} connections.")
    if not data.connections:
        errors.add(
            "connections",
            "A peering keeps at least one connection. Request deprovisioning to remove the "
            "peering instead.",
        )
    if errors:
        raise ValidationError(dict(errors))
    with transaction.atomic():
        locked = _lock_peering(peering)
        configuration = configuration_of(locked)
        existing = {c.connection_identifier: c for c in _existing(locked)}
        kept: set = set()
        for index, wanted in enumerate(data.connections):
            key = f"connections.{index}."
            identifier = wanted.connection_identifier
            if identifier is None:
                identifier = next(
                    (
                        i
                        for i, c in existing.items()
                        if i not in kept and _same_connection(c, wanted, configuration)
                    ),
                    None,
                )
            try:
                if identifier is None:
                    connection_add(user=user, peering=locked, data=wanted)
                    continue
                connection = existing.get(identifier)
                if connection is None or identifier in kept:
                    errors.add(
                        key + "connection_identifier",
                        f"This peering has no connection {identifier}"
                        + (" (or it is listed twice)." if connection else "."),
                    )
                    continue
                kept.add(identifier)
                refused = _connection_place_refusal(connection, wanted, configuration)
                for field_name, message in refused.items():
                    errors.add(key + field_name, message)
                if refused:
                    continue
                changes = _connection_changes(connection, wanted)
                if changes:
                    connection_update(user=user, connection=connection, data=changes)
                if (
                    wanted.use_for_peering_service
                    and not connection.use_for_peering_service
                    and connection.connection_state != enums.ConnectionState.TYPE_CHANGE_REQUESTED
                ):
                    connection_request_peering_service(user=user, connection=connection)
            except ValidationError as exc:
                _add_errors(errors, exc, key)
        for identifier, connection in existing.items():
            if identifier in kept:
                continue
            try:
                connection_delete(user=user, connection=connection, confirm=locked.resource_id)
            except ValidationError as exc:
                errors.add(
                    "connections",
                    f"Connection {identifier} at {connection.facility_name} cannot be deleted: "
                    + " ".join(exc.messages),
                )
        if locked.tags != data.tags:
            try:
                locked = peering_tags_update(user=user, peering=locked, tags=data.tags)
            except ValidationError as exc:
                _add_errors(errors, exc, "")
        if errors:
            # Nothing of the request stays: the whole PUT is refused.
            transaction.set_rollback(True)
    if errors:
        raise ValidationError(dict(errors))
    locked.refresh_from_db()
    return locked


def _add_errors(errors: Errors, exc: ValidationError, prefix: str) -> None:
    """A service's refusal under `prefix` (field errors keyed, others on the connection)."""
    if hasattr(exc, "error_dict"):
        for field_name, messages in exc.message_dict.items():
            for message in messages:
                errors.add(prefix + field_name.replace("connections.0.", ""), message)
    else:
        for message in exc.messages:
            errors.add(prefix.rstrip(".") or "connections", message)

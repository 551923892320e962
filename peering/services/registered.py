"""Registered ASNs (with their prefix keys) and registered prefixes: the provider's side of
Peering Service.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peering.contracts import RegisteredAsnInput, RegisteredPrefixInput
from peering.enums import ConnectionState, DirectPeeringType, Kind
from peering.models import (
    Peering,
    PeeringServicePrefix,
    PrefixValidationState,
    RegisteredAsn,
    RegisteredPrefix,
)
from peering.models.peering_service import new_prefix_key
from peering.services.links import peering_url
from peering.services.prefix_validation import (
    parse_public_ipv4,
    prefixes_using,
)
from peering.tasks import enqueue_prefix_validation, enqueue_registered_prefix_validation
from peering.validators import MICROSOFT_ASNS, validate_public_asn
from portal.models import Notification
from portal.notifications import milestone
from portal.selectors import ensure_can_write
from portal.services import activity_about, arm_name_errors, create_unless_refused


def _has_connection(peering: Peering, **values) -> bool:
    """Whether a connection of the peering has these values: from its connections when
    `peering_for_user` read them with it (every blade's peering), else one query."""
    if "connections" in getattr(peering, "_prefetched_objects_cache", {}):
        return any(
            all(getattr(connection, field) == value for field, value in values.items())
            for connection in peering.connections.all()
        )
    return peering.connections.filter(**values).exists()


def _has_active_connection(peering: Peering) -> bool:
    return _has_connection(peering, connection_state=ConnectionState.ACTIVE)


def registered_asn_unavailable_reason(peering: Peering) -> str:
    """Why Add registered ASN is disabled on this peering ('' when it is available)."""
    if peering.direct_peering_type != DirectPeeringType.IX_RS:
        return "Registered ASNs belong to Exchange peerings with route server."
    if not _has_active_connection(peering):
        return "Available once a connection of this peering is Active."
    return ""


def registered_prefix_unavailable_reason(peering: Peering) -> str:
    """Why Add registered prefix is disabled on this peering ('' when it is available)."""
    if not (
        peering.kind == Kind.DIRECT
        and peering.sku_name == "Premium_Direct_Free"
        and peering.direct_peering_type in (DirectPeeringType.EDGE, DirectPeeringType.VOICE)
    ):
        return (
            "Registered prefixes belong to Direct Premium Free peerings used for Peering Service."
        )
    if not _has_connection(peering, use_for_peering_service=True):
        return "No connection of this peering is used for Peering Service."
    if not _has_active_connection(peering):
        return "Available once a connection of this peering is Active."
    return ""


# A registered ASN's changes: (the Activity log's operation and display, the milestone's title and
# body, its level). Titles and bodies are formatted with the ASN's name and number, the peering's
# name and the number of customer prefixes that used its key.
ASN_EVENTS = {
    "added": (
        "Microsoft.Peering/peerings/registeredAsns/write",
        "Add registered ASN",
        "Registered ASN {name} (AS{asn}) added to {peering}",
        "Give its prefix key to the customer; it redeems it in its Peering Service.",
        Notification.Level.SUCCESS,
    ),
    "rotated": (
        "Microsoft.Peering/peerings/registeredAsns/write",
        "Rotate prefix key",
        "Prefix key of {name} (AS{asn}) rotated",
        "The old key no longer works. Give the customer the new key.",
        Notification.Level.WARNING,
    ),
    "removed": (
        "Microsoft.Peering/peerings/registeredAsns/delete",
        "Delete registered ASN",
        "Registered ASN {name} (AS{asn}) removed from {peering}",
        "{affected} customer prefix(es) used its key.",
        Notification.Level.WARNING,
    ),
}


def _registered_asn_changed(
    peering: Peering,
    *,
    user,
    event: str,
    name: str,
    asn: int,
    resource_id: str,
    message: str,
    affected: int = 0,
) -> None:
    """Record the change in the Activity log and tell the provider's tenant and its Peer ASN
    contacts (the key itself is never emailed)."""
    operation, display, title, body, level = ASN_EVENTS[event]
    activity_about(
        peering,
        user=user,
        operation=operation,
        display=display,
        resource_id=resource_id,
        message=message,
    )
    facts = {"name": name, "asn": asn, "peering": peering.name, "affected": affected}
    milestone(
        subscription=peering.subscription,
        title=title.format(**facts),
        body=body.format(**facts),
        link=peering_url(peering),
        level=level,
        email_template="peering/email/registered_asn.txt",
        email_context={
            "peering": peering,
            "registered": {"name": name, "asn": asn},
            "event": event,
        },
        recipients=peering.peer_asn.contact_emails,
    )


def registered_asn_add(*, user, peering: Peering, name: str, asn: object) -> RegisteredAsn:
    """Register a customer ASN on a route-server peering; it gets a new prefix key."""
    ensure_can_write(user=user, subscription=peering.subscription)
    name = str(name or "").strip()
    errors = arm_name_errors(name)
    reason = registered_asn_unavailable_reason(peering)
    if reason:
        raise ValidationError(reason)
    number = None
    try:
        number = validate_public_asn(asn)
    except ValidationError as exc:
        errors["asn"] = exc.messages
    if "name" not in errors and peering.registered_asns.filter(name__iexact=name).exists():
        errors["name"] = [f"A registered ASN named '{name}' already exists on this peering."]
    if number in MICROSOFT_ASNS:
        errors["asn"] = [
            f"AS{number} is Microsoft's own network; register your customers' ASNs, not "
            "Microsoft's."
        ]
    elif number is not None and number == peering.peer_asn.peer_asn:
        errors["asn"] = [
            f"AS{number} is this peering's own ASN (the provider's network): its routes "
            "already reach Microsoft over the peering. Register your customers' ASNs."
        ]
    elif number is not None and RegisteredAsn.objects.filter(asn=number).exists():
        errors["asn"] = [_asn_taken(number)]

    def write() -> RegisteredAsn:
        registered = RegisteredAsn.objects.create(
            peering=peering, name=name, asn=number, created_by=user
        )
        _registered_asn_changed(
            peering,
            user=user,
            event="added",
            name=name,
            asn=number,
            resource_id=registered.resource_id,
            message=f"AS{number} registered as {name}; a prefix key was issued.",
        )
        return registered

    # Another request may register the same ASN (or name) between the checks and the insert.
    return create_unless_refused(errors, write, race={"asn": [_asn_taken(number)]})


def _asn_taken(asn: int) -> str:
    return (
        f"AS{asn} is already registered on a peering. An ASN can be registered only once: its "
        "prefix key is valid for all of the customer's prefixes and locations."
    )


def registered_asn_rotate_key(*, user, registered: RegisteredAsn) -> RegisteredAsn:
    """Issue a new prefix key; the old one stops working at once and the prefixes that used it
    are validated again (they fail until the customer uses the new key)."""
    peering = registered.peering
    ensure_can_write(user=user, subscription=peering.subscription)
    with transaction.atomic():
        locked = RegisteredAsn.objects.select_for_update().get(pk=registered.pk)
        locked.prefix_key = new_prefix_key()
        locked.key_rotated_at = timezone.now()
        locked.save(update_fields=["prefix_key", "key_rotated_at"])
        affected = list(prefixes_using(registered_asn_ids=[locked.pk]).values_list("pk", flat=True))
        _registered_asn_changed(
            peering,
            user=user,
            event="rotated",
            name=locked.name,
            asn=locked.asn,
            resource_id=locked.resource_id,
            message=f"New prefix key for AS{locked.asn}; {len(affected)} prefix(es) re-validated.",
        )
        enqueue_prefix_validation(affected)
    return locked


def registered_asn_delete(*, user, registered: RegisteredAsn) -> None:
    """Remove a registered ASN; prefixes that used its key are validated again (and fail)."""
    peering = registered.peering
    ensure_can_write(user=user, subscription=peering.subscription)
    with transaction.atomic():
        locked = RegisteredAsn.objects.select_for_update().get(pk=registered.pk)
        affected = list(prefixes_using(registered_asn_ids=[locked.pk]).values_list("pk", flat=True))
        resource_id, asn, name = locked.resource_id, locked.asn, locked.name
        locked.delete()
        _registered_asn_changed(
            peering,
            user=user,
            event="removed",
            name=name,
            asn=asn,
            resource_id=resource_id,
            message=f"AS{asn} removed; {len(affected)} prefix(es) re-validated.",
            affected=len(affected),
        )
        enqueue_prefix_validation(affected)


def registered_prefix_add(*, user, peering: Peering, name: str, prefix: str) -> RegisteredPrefix:
    """Register an IPv4 prefix on a Direct Peering Service peering; validated in the background."""
    ensure_can_write(user=user, subscription=peering.subscription)
    reason = registered_prefix_unavailable_reason(peering)
    if reason:
        raise ValidationError(reason)
    name = str(name or "").strip()
    errors = arm_name_errors(name)
    network, problem = parse_public_ipv4(str(prefix or "")[:64])
    if network is None:
        errors["prefix"] = [problem]
    if "name" not in errors and peering.registered_prefixes.filter(name__iexact=name).exists():
        errors["name"] = [f"A registered prefix named '{name}' already exists on this peering."]
    if network is not None and RegisteredPrefix.objects.filter(prefix=str(network)).exists():
        errors["prefix"] = [
            f"{network} is already registered. A prefix may be registered under only one peering."
        ]

    def write() -> RegisteredPrefix:
        registered = RegisteredPrefix.objects.create(
            peering=peering, name=name, prefix=str(network), created_by=user
        )
        activity_about(
            peering,
            user=user,
            operation="Microsoft.Peering/peerings/registeredPrefixes/write",
            display="Add registered prefix",
            resource_id=registered.resource_id,
            message=f"{network} registered; validation queued.",
        )
        enqueue_registered_prefix_validation([registered.pk])
        return registered

    return create_unless_refused(
        errors, write, race={"prefix": [f"{network} was just registered by another request."]}
    )


def prefixes_revalidate(model: type[RegisteredPrefix | PeeringServicePrefix], ids) -> None:
    """The one Re-validate write, for registered prefixes or Peering Service prefixes: Pending
    now, validated again once committed. The tenants' Re-validate (after its role check) and
    the operators' admin action both call it."""
    ids = list(ids)
    enqueue = (
        enqueue_registered_prefix_validation
        if model is RegisteredPrefix
        else enqueue_prefix_validation
    )
    with transaction.atomic():
        model.objects.filter(pk__in=ids).update(validation_state=PrefixValidationState.PENDING)
        enqueue(ids)


def registered_prefix_revalidate(*, user, registered: RegisteredPrefix) -> RegisteredPrefix:
    """Queue validation again (state Pending until it has run)."""
    ensure_can_write(user=user, subscription=registered.peering.subscription)
    prefixes_revalidate(RegisteredPrefix, [registered.pk])
    registered.refresh_from_db()
    return registered


def registered_prefix_delete(*, user, registered: RegisteredPrefix) -> None:
    peering = registered.peering
    ensure_can_write(user=user, subscription=peering.subscription)
    with transaction.atomic():
        affected = list(
            prefixes_using(registered_prefix_ids=[registered.pk]).values_list("pk", flat=True)
        )
        resource_id = registered.resource_id
        registered.delete()
        activity_about(
            peering,
            user=user,
            operation="Microsoft.Peering/peerings/registeredPrefixes/delete",
            display="Delete registered prefix",
            resource_id=resource_id,
            message=f"{registered.prefix} removed; {len(affected)} prefix(es) re-validated.",
        )
        enqueue_prefix_validation(affected)


def registered_asn_create_or_update(
    *, user, peering: Peering, data: RegisteredAsnInput
) -> tuple[RegisteredAsn, bool]:
    """ARM PUT of a registered ASN: register it (`registered_asn_add`), or answer with the one
    of that name when it is the same ASN; a registered ASN's number cannot change (delete it
    and register the new one, which issues a new prefix key). Returns (registered, created)."""
    ensure_can_write(user=user, subscription=peering.subscription)
    name = str(data.name or "").strip()
    existing = peering.registered_asns.filter(name__iexact=name).first() if name else None
    if existing is None:
        return registered_asn_add(user=user, peering=peering, name=name, asn=data.asn), True
    if data.asn is not None and data.asn != existing.asn:
        raise ValidationError(
            {
                "asn": [
                    f"{existing.name} is AS{existing.asn}; a registered ASN cannot be changed. "
                    "Delete it and register the new ASN (it gets a new prefix key)."
                ]
            }
        )
    return existing, False


def registered_prefix_create_or_update(
    *, user, peering: Peering, data: RegisteredPrefixInput
) -> tuple[RegisteredPrefix, bool]:
    """ARM PUT of a registered prefix: register it (`registered_prefix_add`), or answer with
    the one of that name when it is the same prefix; a registered prefix cannot change."""
    ensure_can_write(user=user, subscription=peering.subscription)
    name = str(data.name or "").strip()
    existing = peering.registered_prefixes.filter(name__iexact=name).first() if name else None
    if existing is None:
        return (
            registered_prefix_add(user=user, peering=peering, name=name, prefix=data.prefix),
            True,
        )
    network, _ = parse_public_ipv4(str(data.prefix or "")[:64])
    if data.prefix and (network is None or str(network) != existing.prefix):
        raise ValidationError(
            {
                "prefix": [
                    f"{existing.name} is {existing.prefix}; a registered prefix cannot be "
                    "changed. Delete it and register the new prefix."
                ]
            }
        )
    return existing, False

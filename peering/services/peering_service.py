"""Registered ASNs and prefixes (provider side) and the customer's Peering Service.

The provider registers a customer ASN on its route-server peering (or a prefix on its Direct
Peering Service peering) once a connection is Active, and hands the customer the prefix key.
The customer redeems it by adding a prefix to its Peering Service; validation runs in the
background (`peering.validation_tasks`).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from peering.enums import ConnectionState, DirectPeeringType, Kind
from peering.models import (
    Peering,
    PeeringService,
    PeeringServiceLocation,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PrefixKeyAttempt,
    PrefixValidationState,
    RegisteredAsn,
    RegisteredPrefix,
)
from peering.models.peering_service import new_prefix_key
from peering.services.notifications import milestone
from peering.services.prefix_validation import (
    match_key,
    normalise_key,
    parse_public_ipv4,
    prefixes_using,
)
from peering.validation_tasks import (
    enqueue_prefix_validation,
    enqueue_registered_prefix_validation,
)
from peering.validators import validate_public_asn
from portal.models import ActivityStatus, AzureRegion, Notification, ResourceGroup, Subscription
from portal.selectors import ensure_can_write
from portal.services import activity_record, notify_subscription
from portal.validators import validate_arm_name

WRONG_KEY_LIMIT = 5
WRONG_KEY_WINDOW = timedelta(hours=1)
MAX_PREFIXES_PER_REQUEST = 20


def _name_errors(name: str, key: str = "name") -> dict[str, list[str]]:
    try:
        validate_arm_name(name)
    except ValidationError as exc:
        return {key: exc.messages}
    return {}


def _has_active_connection(peering: Peering) -> bool:
    return peering.connections.filter(connection_state=ConnectionState.ACTIVE).exists()


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
    if not peering.connections.filter(use_for_peering_service=True).exists():
        return "No connection of this peering is used for Peering Service."
    if not _has_active_connection(peering):
        return "Available once a connection of this peering is Active."
    return ""


def _log(*, user, peering: Peering, operation: str, display: str, resource_id: str, message: str):
    activity_record(
        subscription=peering.subscription,
        user=user,
        operation=operation,
        operation_display=display,
        resource_id=resource_id,
        resource_group=peering.resource_group.name,
        message=message,
    )


def _peering_link(peering: Peering) -> str:
    return reverse(
        "peering:peering_detail",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )


# --- Registered ASNs --------------------------------------------------------------------------


def _registered_asn_milestone(peering: Peering, registered, *, event, title, body, level):
    """Tell the provider's tenant and its Peer ASN contacts (the key itself is never emailed)."""
    milestone(
        subscription=peering.subscription,
        title=title,
        body=body,
        link=_peering_link(peering),
        level=level,
        email_template="peering/email/registered_asn.txt",
        email_context={"peering": peering, "registered": registered, "event": event},
        recipients=peering.peer_asn.contact_emails,
    )


def registered_asn_add(*, user, peering: Peering, name: str, asn: object) -> RegisteredAsn:
    """Register a customer ASN on a route-server peering; it gets a new prefix key."""
    ensure_can_write(user=user, subscription=peering.subscription)
    name = str(name or "").strip()
    errors = _name_errors(name)
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
    if number is not None and RegisteredAsn.objects.filter(asn=number).exists():
        errors["asn"] = [_asn_taken(number)]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            registered = RegisteredAsn.objects.create(
                peering=peering, name=name, asn=number, created_by=user
            )
            _log(
                user=user,
                peering=peering,
                operation="Microsoft.Peering/peerings/registeredAsns/write",
                display="Add registered ASN",
                resource_id=registered.resource_id,
                message=f"AS{number} registered as {name}; a prefix key was issued.",
            )
            _registered_asn_milestone(
                peering,
                registered,
                event="added",
                title=f"Registered ASN {name} (AS{number}) added to {peering.name}",
                body="Give its prefix key to the customer; it redeems it in its Peering Service.",
                level=Notification.Level.SUCCESS,
            )
    except IntegrityError:
        # Another request registered the same ASN (or name) between the check and the insert.
        raise ValidationError({"asn": [_asn_taken(number)]}) from None
    return registered


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
        _log(
            user=user,
            peering=peering,
            operation="Microsoft.Peering/peerings/registeredAsns/write",
            display="Rotate prefix key",
            resource_id=locked.resource_id,
            message=f"New prefix key for AS{locked.asn}; {len(affected)} prefix(es) re-validated.",
        )
        _registered_asn_milestone(
            peering,
            locked,
            event="rotated",
            title=f"Prefix key of {locked.name} (AS{locked.asn}) rotated",
            body="The old key no longer works. Give the customer the new key.",
            level=Notification.Level.WARNING,
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
        _log(
            user=user,
            peering=peering,
            operation="Microsoft.Peering/peerings/registeredAsns/delete",
            display="Delete registered ASN",
            resource_id=resource_id,
            message=f"AS{asn} removed; {len(affected)} prefix(es) re-validated.",
        )
        _registered_asn_milestone(
            peering,
            {"name": name, "asn": asn},
            event="removed",
            title=f"Registered ASN {name} (AS{asn}) removed from {peering.name}",
            body=f"{len(affected)} customer prefix(es) used its key.",
            level=Notification.Level.WARNING,
        )
        enqueue_prefix_validation(affected)


# --- Registered prefixes ----------------------------------------------------------------------


def registered_prefix_add(*, user, peering: Peering, name: str, prefix: str) -> RegisteredPrefix:
    """Register an IPv4 prefix on a Direct Peering Service peering; validated in the background."""
    ensure_can_write(user=user, subscription=peering.subscription)
    reason = registered_prefix_unavailable_reason(peering)
    if reason:
        raise ValidationError(reason)
    name = str(name or "").strip()
    errors = _name_errors(name)
    network, problem = parse_public_ipv4(str(prefix or "")[:64])
    if network is None:
        errors["prefix"] = [problem]
    if "name" not in errors and peering.registered_prefixes.filter(name__iexact=name).exists():
        errors["name"] = [f"A registered prefix named '{name}' already exists on this peering."]
    if network is not None and RegisteredPrefix.objects.filter(prefix=str(network)).exists():
        errors["prefix"] = [
            f"{network} is already registered. A prefix may be registered under only one peering."
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            registered = RegisteredPrefix.objects.create(
                peering=peering, name=name, prefix=str(network), created_by=user
            )
            _log(
                user=user,
                peering=peering,
                operation="Microsoft.Peering/peerings/registeredPrefixes/write",
                display="Add registered prefix",
                resource_id=registered.resource_id,
                message=f"{network} registered; validation queued.",
            )
            enqueue_registered_prefix_validation([registered.pk])
    except IntegrityError:
        raise ValidationError(
            {"prefix": [f"{network} was just registered by another request."]}
        ) from None
    return registered


def registered_prefix_revalidate(*, user, registered: RegisteredPrefix) -> RegisteredPrefix:
    """Queue validation again (state Pending until it has run)."""
    ensure_can_write(user=user, subscription=registered.peering.subscription)
    with transaction.atomic():
        RegisteredPrefix.objects.filter(pk=registered.pk).update(
            validation_state=PrefixValidationState.PENDING
        )
        enqueue_registered_prefix_validation([registered.pk])
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
        _log(
            user=user,
            peering=peering,
            operation="Microsoft.Peering/peerings/registeredPrefixes/delete",
            display="Delete registered prefix",
            resource_id=resource_id,
            message=f"{registered.prefix} removed; {len(affected)} prefix(es) re-validated.",
        )
        enqueue_prefix_validation(affected)


# --- The customer's Peering Service ----------------------------------------------------------


def _wrong_keys_in_window(user) -> int:
    since = timezone.now() - WRONG_KEY_WINDOW
    return PrefixKeyAttempt.objects.filter(user=user, created_at__gte=since).count()


def _key_throttled(user) -> bool:
    return _wrong_keys_in_window(user) >= WRONG_KEY_LIMIT


def _clean_prefix_rows(
    *, user, subscription: Subscription, provider: PeeringServiceProvider, rows, existing=()
):
    """Validate prefix rows (Name, Prefix, Prefix key) as far as can be done at once; the key
    and the routes are judged by the background validation. Wrong keys count toward the
    throttle; past it, keys are refused for the rest of the hour."""
    errors: dict[str, list[str]] = {}
    clean: list[dict] = []
    names = {n.lower() for n in existing}
    wrong_keys = 0
    rows = list(rows or [])
    if len(rows) > MAX_PREFIXES_PER_REQUEST:
        return [], {"prefixes": [f"Add at most {MAX_PREFIXES_PER_REQUEST} prefixes at once."]}, 0
    earlier_wrong = _wrong_keys_in_window(user)
    for index, row in enumerate(rows):
        # Each row counts: the wrong keys of this request throttle its later rows too.
        throttled = earlier_wrong + wrong_keys >= WRONG_KEY_LIMIT
        if not isinstance(row, dict):
            errors[f"prefixes.{index}.prefix"] = ["Each prefix needs a name, prefix and key."]
            continue
        name = str(row.get("name") or "").strip()
        prefix = str(row.get("prefix") or "").strip()[:64]
        key = str(row.get("prefix_key") or "").strip()[:64]
        if not (name or prefix or key):
            continue
        key_prefix = f"prefixes.{index}."
        for field, message in _name_errors(name, "name").items():
            errors[key_prefix + field] = message
        if name.lower() in names:
            errors[key_prefix + "name"] = [f"A prefix named '{name}' already exists here."]
        names.add(name.lower())
        network, problem = parse_public_ipv4(prefix)
        if network is None:
            errors[key_prefix + "prefix"] = [problem]
        if not key:
            errors[key_prefix + "prefix_key"] = ["Enter the prefix key your provider gave you."]
        elif throttled:
            errors[key_prefix + "prefix_key"] = [
                "Too many wrong prefix keys in the last hour. Check the key with your provider "
                "and try again later."
            ]
        elif not normalise_key(key) or match_key(provider=provider, key=key) == (None, None):
            wrong_keys += 1
            errors[key_prefix + "prefix_key"] = [
                f"The prefix key does not match a key issued by {provider.name}."
            ]
        clean.append({"name": name, "prefix": prefix, "prefix_key": normalise_key(key) or key})
    if not clean and not errors:
        errors["prefixes"] = ["Add at least one prefix."]
    return clean, errors, wrong_keys


def _count_wrong_keys(*, user, subscription: Subscription, count: int) -> None:
    """Record wrong keys and log the throttle. They are written in the caller's transaction,
    so a caller must not roll it back after a refusal (the portal's views and the API don't
    wrap services in a transaction)."""
    if not count:
        return
    PrefixKeyAttempt.objects.bulk_create(PrefixKeyAttempt(user=user) for _ in range(count))
    if _key_throttled(user):
        activity_record(
            subscription=subscription,
            user=user,
            operation="Microsoft.Peering/peeringServices/prefixes/write",
            operation_display="Prefix key attempts throttled",
            resource_id=subscription.resource_id,
            status=ActivityStatus.FAILED,
            message=(
                f"{WRONG_KEY_LIMIT} or more wrong prefix keys within an hour; further keys are "
                "refused for a while."
            ),
        )
        notify_subscription(
            subscription=subscription,
            title="Prefix keys refused for a while",
            body="Too many wrong prefix keys were entered in the last hour.",
            level=Notification.Level.WARNING,
        )


def peering_service_create(
    *,
    user,
    subscription: Subscription,
    resource_group: ResourceGroup | None = None,
    new_resource_group: str = "",
    region: AzureRegion | None = None,
    name: str,
    location: PeeringServiceLocation | None,
    provider: PeeringServiceProvider | None,
    primary_location: str,
    backup_location: str = "",
    prefixes=(),
) -> PeeringService:
    """Create a Peering Service with its first prefixes (more can be added later)."""
    ensure_can_write(user=user, subscription=subscription)
    errors: dict[str, list[str]] = {}
    name = str(name or "").strip()
    errors.update(_name_errors(name))
    new_resource_group = str(new_resource_group or "").strip()
    if resource_group is None and not new_resource_group:
        errors["resource_group"] = ["Select a resource group or create a new one."]
    if resource_group is not None and resource_group.subscription_id != subscription.pk:
        errors["resource_group"] = ["That resource group is not in this subscription."]
    if new_resource_group:
        errors.update(_name_errors(new_resource_group, "new_resource_group"))
        if ResourceGroup.objects.filter(
            subscription=subscription, name__iexact=new_resource_group
        ).exists():
            errors["new_resource_group"] = [
                f"A resource group named '{new_resource_group}' already exists; select it."
            ]
    if region is None:
        region = resource_group.region if resource_group is not None else None
    if region is None:
        errors["region"] = ["Select a region."]
    if location is None:
        errors["location"] = ["Select the country and state/province of your location."]
    if provider is None:
        errors["provider"] = ["Select your Peering Service provider."]
    else:
        offered = set(provider.peering_locations.values_list("name", flat=True))
        primary_location = str(primary_location or "").strip()
        backup_location = str(backup_location or "").strip()
        if primary_location not in offered:
            errors["primary_location"] = [
                f"Select one of {provider.name}'s peering locations: {', '.join(sorted(offered))}."
            ]
        if backup_location and backup_location not in offered:
            errors["backup_location"] = [
                f"Select one of {provider.name}'s peering locations, or None."
            ]
        elif backup_location and backup_location == primary_location:
            errors["backup_location"] = ["The backup location must differ from the primary."]
    if (
        "name" not in errors
        and resource_group is not None
        and PeeringService.objects.filter(resource_group=resource_group, name__iexact=name).exists()
    ):
        errors["name"] = [f"A Peering Service named '{name}' already exists in this group."]
    wrong = 0
    clean: list[dict] = []
    if provider is not None:
        clean, prefix_errors, wrong = _clean_prefix_rows(
            user=user, subscription=subscription, provider=provider, rows=prefixes
        )
        prefix_errors.pop("prefixes", None)  # prefixes can be added later
        errors.update(prefix_errors)
    if errors:
        _count_wrong_keys(user=user, subscription=subscription, count=wrong)
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            if resource_group is None:
                resource_group = ResourceGroup.objects.create(
                    subscription=subscription, name=new_resource_group, region=region
                )
            service = PeeringService.objects.create(
                subscription=subscription,
                resource_group=resource_group,
                name=name,
                region=region,
                location=location,
                provider=provider,
                primary_location=primary_location,
                backup_location=backup_location,
                created_by=user,
            )
            created = [
                PeeringServicePrefix.objects.create(peering_service=service, created_by=user, **row)
                for row in clean
            ]
            activity_record(
                subscription=subscription,
                user=user,
                operation="Microsoft.Peering/peeringServices/write",
                operation_display="Create Peering Service",
                resource_id=service.resource_id,
                resource_group=resource_group.name,
                message=(
                    f"Provider {provider.name}, primary {primary_location}, backup "
                    f"{backup_location or 'None'}; {len(created)} prefix(es) queued for "
                    "validation."
                ),
            )
            enqueue_prefix_validation([p.pk for p in created])
    except IntegrityError:
        raise ValidationError(
            {"name": [f"'{name}' was just created by another request."]}
        ) from None
    return service


def peering_service_prefix_add(
    *, user, service: PeeringService, rows
) -> list[PeeringServicePrefix]:
    """Add prefixes to a Peering Service; each is Pending until validated."""
    ensure_can_write(user=user, subscription=service.subscription)
    existing = service.prefixes.values_list("name", flat=True)
    clean, errors, wrong = _clean_prefix_rows(
        user=user,
        subscription=service.subscription,
        provider=service.provider,
        rows=rows,
        existing=existing,
    )
    if errors:
        _count_wrong_keys(user=user, subscription=service.subscription, count=wrong)
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            created = [
                PeeringServicePrefix.objects.create(peering_service=service, created_by=user, **row)
                for row in clean
            ]
            for prefix in created:
                activity_record(
                    subscription=service.subscription,
                    user=user,
                    operation="Microsoft.Peering/peeringServices/prefixes/write",
                    operation_display="Add prefix",
                    resource_id=prefix.resource_id,
                    resource_group=service.resource_group.name,
                    status=ActivityStatus.ACCEPTED,
                    message=f"{prefix.prefix} queued for validation.",
                )
            enqueue_prefix_validation([p.pk for p in created])
    except IntegrityError:
        raise ValidationError({"prefixes": ["A prefix with that name was just added."]}) from None
    return created


def peering_service_prefix_revalidate(*, user, prefix: PeeringServicePrefix) -> None:
    ensure_can_write(user=user, subscription=prefix.peering_service.subscription)
    with transaction.atomic():
        PeeringServicePrefix.objects.filter(pk=prefix.pk).update(
            validation_state=PrefixValidationState.PENDING
        )
        enqueue_prefix_validation([prefix.pk])


def peering_service_prefix_delete(*, user, prefix: PeeringServicePrefix) -> None:
    """Delete a prefix (prefixes cannot be edited: delete and add again)."""
    service = prefix.peering_service
    ensure_can_write(user=user, subscription=service.subscription)
    with transaction.atomic():
        resource_id = prefix.resource_id
        prefix.delete()
        activity_record(
            subscription=service.subscription,
            user=user,
            operation="Microsoft.Peering/peeringServices/prefixes/delete",
            operation_display="Delete prefix",
            resource_id=resource_id,
            resource_group=service.resource_group.name,
        )


def peering_service_delete(*, user, service: PeeringService, confirm: str) -> None:
    """Delete a Peering Service and its prefixes; the user types "yes" to confirm."""
    ensure_can_write(user=user, subscription=service.subscription)
    if str(confirm or "").strip().lower() != "yes":
        raise ValidationError({"confirm": ['Type "yes" to confirm the deletion.']})
    with transaction.atomic():
        resource_id, group = service.resource_id, service.resource_group.name
        service.delete()
        activity_record(
            subscription=service.subscription,
            user=user,
            operation="Microsoft.Peering/peeringServices/delete",
            operation_display="Delete Peering Service",
            resource_id=resource_id,
            resource_group=group,
        )

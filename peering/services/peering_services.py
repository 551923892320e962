"""Registered ASNs and prefixes (provider side) and the customer's Peering Service.

The provider registers a customer ASN on its route-server peering (or a prefix on its Direct
Peering Service peering) once a connection is Active, and hands the customer the prefix key.
The customer redeems it by adding a prefix to its Peering Service; validation runs in the
background (`peering.tasks`).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peering.models import (
    PeeringService,
    PeeringServiceLocation,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PrefixKeyAttempt,
    PrefixValidationState,
)
from peering.services.prefix_validation import (
    match_key,
    normalise_key,
    parse_public_ipv4,
)
from peering.services.registered import _name_errors
from peering.tasks import enqueue_prefix_validation
from portal.models import ActivityStatus, AzureRegion, Notification, ResourceGroup, Subscription
from portal.selectors import ensure_can_write
from portal.services import activity_record, notify_subscription

WRONG_KEY_LIMIT = 5


WRONG_KEY_WINDOW = timedelta(hours=1)


MAX_PREFIXES_PER_REQUEST = 20
TOO_MANY_PREFIXES = f"Add at most {MAX_PREFIXES_PER_REQUEST} prefixes at once."
NO_PREFIX = "Add at least one prefix."
PREFIX_KEYS = ("name", "prefix", "prefix_key")


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
    filled = [r for r in rows if not isinstance(r, dict) or any(r.get(f) for f in PREFIX_KEYS)]
    if len(filled) > MAX_PREFIXES_PER_REQUEST:
        return [], {"prefixes": [TOO_MANY_PREFIXES]}, 0
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
        errors["prefixes"] = [NO_PREFIX]
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
        if prefix_errors.get("prefixes") == [NO_PREFIX]:
            prefix_errors.pop("prefixes")  # prefixes can be added later; too many cannot
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

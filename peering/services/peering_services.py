"""Registered ASNs and prefixes (provider side) and the customer's Peering Service.

The provider registers a customer ASN on its route-server peering (or a prefix on its Direct
Peering Service peering) once a connection is Active, and hands the customer the prefix key.
The customer redeems it by adding a prefix to its Peering Service; validation runs in the
background (`peering.tasks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peering.contracts import PeeringServiceInput, PrefixInput
from peering.models import (
    PeeringService,
    PeeringServiceDraft,
    PeeringServiceLocation,
    PeeringServicePrefix,
    PeeringServiceProvider,
    PrefixKeyAttempt,
)
from peering.services.connections import tags_clean
from peering.services.prefix_validation import (
    match_key,
    normalise_key,
    parse_public_ipv4,
)
from peering.services.registered import prefixes_revalidate
from peering.services.wizard import storable
from peering.tasks import enqueue_prefix_validation
from portal.models import ActivityStatus, AzureRegion, Notification, ResourceGroup, Subscription
from portal.selectors import ensure_can_write
from portal.services import (
    activity_about,
    arm_name_errors,
    notify_subscription,
    resource_group_of_new_resource,
    tags_replace,
)

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
        for field, message in arm_name_errors(name, "name").items():
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
        activity_about(
            subscription,
            user=user,
            operation="Microsoft.Peering/peeringServices/prefixes/write",
            display="Prefix key attempts throttled",
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


@dataclass
class ValidatedPeeringService:
    """A Peering Service request that passed every check, with the objects it names."""

    subscription: Subscription
    resource_group: ResourceGroup | None
    new_resource_group: str
    region: AzureRegion
    name: str
    location: PeeringServiceLocation
    provider: PeeringServiceProvider
    primary_location: str
    backup_location: str
    tags: dict[str, str]


def _service_location(text: str) -> PeeringServiceLocation | None:
    """ "State, Country", or a state name that is unique on its own."""
    if not text:
        return None
    state, _, country = text.rpartition(", ")
    if state:
        return PeeringServiceLocation.objects.filter(country=country, state=state).first()
    found = list(PeeringServiceLocation.objects.filter(state=text)[:2])
    return found[0] if len(found) == 1 else None


def peering_service_validate(
    *, user, subscription: Subscription, data: PeeringServiceInput
) -> tuple[ValidatedPeeringService | None, dict[str, list[str]]]:
    """Every check of creating `data` that needs no prefix key, writing nothing (the wizard's
    Review + create, the API's validate). Prefix keys are matched — and wrong ones counted —
    only by `peering_service_create`. Errors are keyed by field (`name`, `resource_group`,
    `new_resource_group`, `region`, `location`, `provider`, `primary_location`,
    `backup_location`, `tags…`)."""
    ensure_can_write(user=user, subscription=subscription)
    errors: dict[str, list[str]] = {}
    name = str(data.name or "").strip()
    errors.update(arm_name_errors(name))
    resource_group: ResourceGroup | None = None
    new_resource_group = ""
    group_name = str(data.resource_group or "").strip()[:64]
    region_name = str(data.location or "").strip()[:40]
    region = AzureRegion.objects.filter(name=region_name).first() if region_name else None
    if data.create_resource_group:
        new_resource_group = group_name
        errors.update(arm_name_errors(new_resource_group, "new_resource_group"))
        if ResourceGroup.objects.filter(
            subscription=subscription, name__iexact=new_resource_group
        ).exists():
            errors["new_resource_group"] = [
                f"A resource group named '{new_resource_group}' already exists; select it."
            ]
    elif not group_name:
        errors["resource_group"] = ["Select a resource group or create a new one."]
    else:
        resource_group = (
            ResourceGroup.objects.select_related("region")
            .filter(subscription=subscription, name__iexact=group_name)
            .first()
        )
        if resource_group is None:
            errors["resource_group"] = ["That resource group is not in this subscription."]
        elif not region_name:
            region = resource_group.region
    if region is None and "resource_group" not in errors:
        errors["region"] = ["Select a region."]
    location = _service_location(str(data.peering_service_location or "").strip()[:140])
    if location is None:
        errors["location"] = ["Select the country and state/province of your location."]
    provider_name = str(data.peering_service_provider or "").strip()[:100]
    provider = (
        PeeringServiceProvider.objects.filter(name__iexact=provider_name).first()
        if provider_name
        else None
    )
    primary_location = str(data.provider_primary_peering_location or "").strip()
    backup_location = str(data.provider_backup_peering_location or "").strip()
    if provider is None:
        errors["provider"] = ["Select your Peering Service provider."]
    else:
        offered = set(provider.peering_locations.values_list("name", flat=True))
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
    tags: dict[str, str] = {}
    try:
        tags = tags_clean(data.tags)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        return None, errors
    return (
        ValidatedPeeringService(
            subscription=subscription,
            resource_group=resource_group,
            new_resource_group=new_resource_group,
            region=region,
            name=name,
            location=location,
            provider=provider,
            primary_location=primary_location,
            backup_location=backup_location,
            tags=tags,
        ),
        errors,
    )


def _prefix_rows(data: PeeringServiceInput) -> list[dict]:
    return [
        {"name": p.name, "prefix": p.prefix, "prefix_key": p.peering_service_prefix_key}
        for p in data.prefixes
    ]


def peering_service_create(
    *, user, subscription: Subscription, data: PeeringServiceInput
) -> PeeringService:
    """Create a Peering Service with its first prefixes (more can be added later): the checks
    of `peering_service_validate`, then each prefix's key is matched against the chosen
    provider's (wrong keys count toward the throttle)."""
    validated, errors = peering_service_validate(user=user, subscription=subscription, data=data)
    wrong = 0
    clean: list[dict] = []
    provider = validated.provider if validated else None
    if provider is None and data.peering_service_provider:
        provider = PeeringServiceProvider.objects.filter(
            name__iexact=str(data.peering_service_provider).strip()[:100]
        ).first()
    if provider is not None:
        clean, prefix_errors, wrong = _clean_prefix_rows(
            user=user, subscription=subscription, provider=provider, rows=_prefix_rows(data)
        )
        if prefix_errors.get("prefixes") == [NO_PREFIX]:
            prefix_errors.pop("prefixes")  # prefixes can be added later; too many cannot
        errors.update(prefix_errors)
    if errors:
        _count_wrong_keys(user=user, subscription=subscription, count=wrong)
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            resource_group = resource_group_of_new_resource(
                validated.resource_group,
                user=user,
                subscription=validated.subscription,
                name=validated.new_resource_group,
                region=validated.region,
                keys={"name": "new_resource_group"},
            )
            service = PeeringService.objects.create(
                subscription=subscription,
                resource_group=resource_group,
                name=validated.name,
                region=validated.region,
                location=validated.location,
                provider=validated.provider,
                primary_location=validated.primary_location,
                backup_location=validated.backup_location,
                tags=validated.tags,
                created_by=user,
            )
            created = [
                PeeringServicePrefix.objects.create(peering_service=service, created_by=user, **row)
                for row in clean
            ]
            activity_about(
                service,
                user=user,
                operation="Microsoft.Peering/peeringServices/write",
                display="Create Peering Service",
                message=(
                    f"Provider {validated.provider.name}, primary {validated.primary_location}, "
                    f"backup {validated.backup_location or 'None'}; {len(created)} prefix(es) "
                    "queued for validation."
                ),
            )
            enqueue_prefix_validation([p.pk for p in created])
    except IntegrityError:
        raise ValidationError(
            {"name": [f"'{validated.name}' was just created by another request."]}
        ) from None
    return service


def peering_service_update(
    *, user, service: PeeringService, data: PeeringServiceInput
) -> PeeringService:
    """ARM PUT on an existing Peering Service. Its location, provider and provider peering
    locations are not self-service once created (Microsoft changes them on request); the tags
    are replaced. Prefixes are resources of their own
    (`peering_service_prefix_create_or_update`)."""
    ensure_can_write(user=user, subscription=service.subscription)
    errors: dict[str, list[str]] = {}
    location = _service_location(str(data.peering_service_location or "").strip()[:140])
    fixed = (
        ("region", data.location, service.region.name),
        ("provider", data.peering_service_provider, service.provider.name),
        ("primary_location", data.provider_primary_peering_location, service.primary_location),
    )
    for key, wanted, current in fixed:
        if wanted and str(wanted).strip().lower() != str(current).lower():
            errors[key] = [
                f"This cannot be changed on an existing Peering Service (it is {current})."
            ]
    if data.peering_service_location and location != service.location:
        errors["location"] = [
            "The location of an existing Peering Service cannot be changed "
            f"(it is {service.location.state}, {service.location.country})."
        ]
    # A body that names the primary location names the backup too ("" for None).
    if data.provider_primary_peering_location and (
        (data.provider_backup_peering_location or "") != service.backup_location
    ):
        errors["backup_location"] = [
            "Changing the backup location is not self-service: write to "
            "peeringservice@microsoft.com with the resource ID and the new location."
        ]
    try:
        tags = tags_clean(data.tags)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if tags != service.tags:
        tags_replace(
            service,
            tags,
            user=user,
            operation="Microsoft.Peering/peeringServices/write",
            display="Update Peering Service tags",
            message=f"Tags: {len(tags)}.",
        )
    return service


def peering_service_create_or_update(
    *, user, subscription: Subscription, data: PeeringServiceInput
) -> tuple[PeeringService, bool]:
    """ARM PUT of a Peering Service: (service, created)."""
    existing = None
    if not data.create_resource_group:
        existing = (
            PeeringService.objects.select_related(
                "subscription", "resource_group", "region", "provider", "location"
            )
            .filter(
                subscription=subscription,
                resource_group__name__iexact=str(data.resource_group or "").strip()[:64],
                name__iexact=str(data.name or "").strip()[:64],
            )
            .first()
        )
    if existing is None:
        return peering_service_create(user=user, subscription=subscription, data=data), True
    return peering_service_update(user=user, service=existing, data=data), False


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
                activity_about(
                    service,
                    user=user,
                    operation="Microsoft.Peering/peeringServices/prefixes/write",
                    display="Add prefix",
                    resource_id=prefix.resource_id,
                    status=ActivityStatus.ACCEPTED,
                    message=f"{prefix.prefix} queued for validation.",
                )
            enqueue_prefix_validation([p.pk for p in created])
    except IntegrityError:
        raise ValidationError({"prefixes": ["A prefix with that name was just added."]}) from None
    return created


def peering_service_prefix_revalidate(*, user, prefix: PeeringServicePrefix) -> None:
    ensure_can_write(user=user, subscription=prefix.peering_service.subscription)
    prefixes_revalidate(PeeringServicePrefix, [prefix.pk])


def peering_service_prefix_delete(*, user, prefix: PeeringServicePrefix) -> None:
    """Delete a prefix (prefixes cannot be edited: delete and add again)."""
    service = prefix.peering_service
    ensure_can_write(user=user, subscription=service.subscription)
    with transaction.atomic():
        resource_id = prefix.resource_id
        prefix.delete()
        activity_about(
            service,
            user=user,
            operation="Microsoft.Peering/peeringServices/prefixes/delete",
            display="Delete prefix",
            resource_id=resource_id,
        )


def peering_service_delete(*, user, service: PeeringService, confirm: str) -> None:
    """Delete a Peering Service and its prefixes; the user types "yes" to confirm."""
    ensure_can_write(user=user, subscription=service.subscription)
    if str(confirm or "").strip().lower() != "yes":
        raise ValidationError({"confirm": ['Type "yes" to confirm the deletion.']})
    with transaction.atomic():
        activity_about(
            service,
            user=user,
            operation="Microsoft.Peering/peeringServices/delete",
            display="Delete Peering Service",
        )
        service.delete()


# --- the Create a peering service connection wizard's draft ---------------------------------

DRAFT_TABS = ("basics", "configuration", "prefixes", "review")


def peering_service_draft_get(*, user) -> PeeringServiceDraft:
    """The user's draft, or an empty unsaved one (reading never creates a row)."""
    draft = PeeringServiceDraft.objects.filter(user=user).first() or PeeringServiceDraft(
        user=user, data={}
    )
    if not isinstance(draft.data, dict):
        draft.data = {}
    return draft


def peering_service_draft_save(
    *,
    user,
    values: dict[str, str],
    rows: list[tuple[int, dict[str, str]]],
    tab: str,
    check: dict | None = None,
) -> PeeringServiceDraft:
    """Keep what the wizard holds now, valid or not: every value as typed (made storable as
    Create a Peering's draft does), the prefix rows, the tab and the last check's outcome."""
    if tab not in DRAFT_TABS:
        raise ValueError(f"Unknown wizard tab {tab!r}.")
    data = {
        "values": {str(k): storable(v) for k, v in values.items()},
        "rows": [[int(i), {str(k): storable(v) for k, v in row.items()}] for i, row in rows],
        "tab": tab,
        "check": check or {},
    }
    with transaction.atomic():
        draft, _ = PeeringServiceDraft.objects.select_for_update().get_or_create(
            user=user, defaults={"data": data}
        )
        if draft.data != data:
            draft.data = data
            draft.save(update_fields=["data", "updated_at"])
    return draft


def peering_service_draft_discard(*, user) -> None:
    """Forget the draft (Discard draft, or after Create)."""
    PeeringServiceDraft.objects.filter(user=user).delete()


def peering_service_prefix_create_or_update(
    *, user, service: PeeringService, data: PrefixInput
) -> tuple[PeeringServicePrefix, bool]:
    """ARM PUT of a Peering Service prefix: add it (`peering_service_prefix_add`, the key is
    matched and the prefix validated in the background), or answer with the one of that name
    when the body is the same. Existing prefixes cannot be modified: delete and add again.
    Errors are keyed `name`, `prefix`, `prefix_key`."""
    ensure_can_write(user=user, subscription=service.subscription)
    name = str(data.name or "").strip()
    existing = service.prefixes.filter(name__iexact=name).first() if name else None
    if existing is None:
        row = {"name": name, "prefix": data.prefix, "prefix_key": data.peering_service_prefix_key}
        try:
            (created,) = peering_service_prefix_add(user=user, service=service, rows=[row])
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            raise ValidationError(
                {key.removeprefix("prefixes.0."): value for key, value in exc.message_dict.items()}
            ) from None
        return created, True
    network, _ = parse_public_ipv4(str(data.prefix or "")[:64])
    key = normalise_key(data.peering_service_prefix_key) if data.peering_service_prefix_key else ""
    errors: dict[str, list[str]] = {}
    if data.prefix and (network is None or str(network) != existing.prefix):
        errors["prefix"] = [
            f"{existing.name} is {existing.prefix}; prefixes cannot be modified. Delete it and "
            "add the new prefix."
        ]
    if data.peering_service_prefix_key and key != str(existing.prefix_key):
        errors["prefix_key"] = ["The prefix key of an existing prefix cannot be changed."]
    if errors:
        raise ValidationError(errors)
    return existing, False

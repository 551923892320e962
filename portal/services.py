"""Writes for tenancy: resource groups, activity log entries, notifications.

Services validate and write; views, admin and the API call them. A rule broken raises
ValidationError keyed by field name, so every caller can show the message next to its field.
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from portal.models import (
    ActivityLog,
    ActivityStatus,
    ApiToken,
    AzureRegion,
    Notification,
    ResourceGroup,
    RoleAssignment,
    Subscription,
)
from portal.permissions import ensure_can_write
from portal.selectors import request_cache_forget
from portal.validators import validate_arm_name


def _caller_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "Microsoft.Peering"
    return user.get_username()


def activity_record(**fields) -> ActivityLog:
    """Append one entry to the subscription's activity log (`activity_entry`'s arguments)."""
    entry = activity_entry(**fields)
    entry.save(force_insert=True)
    return entry


def activity_entry(
    *,
    subscription: Subscription,
    user,
    operation: str,
    operation_display: str,
    resource_id: str,
    status: str = ActivityStatus.SUCCEEDED,
    message: str = "",
    resource_group: str = "",
) -> ActivityLog:
    """An activity log entry as `activity_record` writes it, unsaved: a writer that logs many
    at once (prefix validation in batches) saves them with `activity_record_many`."""
    return ActivityLog(
        subscription=subscription,
        user=user if getattr(user, "is_authenticated", False) else None,
        caller=_caller_name(user),
        operation=operation,
        operation_display=operation_display,
        resource_id=resource_id,
        resource_group=resource_group,
        status=status,
        message=message,
    )


def activity_record_many(entries: list[ActivityLog]) -> list[ActivityLog]:
    """Append entries made by `activity_entry`, in one INSERT."""
    return ActivityLog.objects.bulk_create(entries)


def activity_about(
    resource: Subscription | ResourceGroup | models.Model,
    *,
    user,
    operation: str,
    display: str,
    status: str = ActivityStatus.SUCCEEDED,
    message: str = "",
    resource_id: str = "",
) -> ActivityLog:
    """`activity_record` for an entry about one resource (a subscription, a resource group, a
    tracked resource): its subscription, resource ID and resource group are read from it.
    `resource_id` names a child of it instead (a registered ASN of the peering …)."""
    if isinstance(resource, Subscription):
        subscription, group = resource, ""
    elif isinstance(resource, ResourceGroup):
        subscription, group = resource.subscription, resource.name
    else:
        subscription = resource.subscription
        group = resource.resource_group.name if hasattr(resource, "resource_group") else ""
    return activity_record(
        subscription=subscription,
        user=user,
        operation=operation,
        operation_display=display,
        resource_id=resource_id or resource.resource_id,
        status=status,
        message=message,
        resource_group=group,
    )


def tags_replace(resource, tags: dict, *, user, operation: str, display: str, message: str = ""):
    """Store a resource's new tags (already checked) and log the change, in one transaction."""
    with transaction.atomic():
        resource.tags = tags
        resource.save(update_fields=["tags"])
        activity_about(resource, user=user, operation=operation, display=display, message=message)
    return resource


def notify_subscription(
    *,
    subscription: Subscription,
    title: str,
    body: str = "",
    link: str = "",
    level: str = Notification.Level.INFO,
) -> list[Notification]:
    """Notify everyone holding a role on the subscription (the bell in the top bar)."""
    return notify_subscriptions(
        [{"subscription": subscription, "title": title, "body": body, "link": link, "level": level}]
    )


def notify_subscriptions(notes: list[dict]) -> list[Notification]:
    """Several notifications at once (each a dict of `notify_subscription`'s arguments), each
    to everyone holding a role on its subscription: one query for the holders of all the
    subscriptions, one INSERT."""
    if not notes:
        return []
    User = get_user_model()
    holders: dict[int, list] = {}
    for user in User.objects.filter(
        role_assignments__subscription__in={n["subscription"].pk for n in notes},
        is_active=True,
    ).annotate(holds=models.F("role_assignments__subscription")):
        holders.setdefault(user.holds, []).append(user)
    request_cache_forget("unread")  # the bell of this request's user may count one more
    return Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                subscription=note["subscription"],
                title=note["title"],
                body=note.get("body", ""),
                link=note.get("link", ""),
                level=note.get("level", Notification.Level.INFO),
            )
            for note in notes
            for user in holders.get(note["subscription"].pk, [])
        ]
    )


def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when no ids are given)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(id__in=notification_ids)
    request_cache_forget("unread")  # the bell re-sent with this answer counts afresh
    return qs.update(read_at=timezone.now())


def arm_name_errors(name: str, key: str = "name") -> dict[str, list[str]]:
    """`{key: [messages]}` when `name` breaks the ARM resource-name rule, else {}: the start of
    every create service's error dict."""
    try:
        validate_arm_name(name)
    except ValidationError as exc:
        return {key: exc.messages}
    return {}


def create_unless_refused[T](errors: dict, write: Callable[[], T], *, race: dict) -> T:
    """The end of a create service: the `errors` its checks collected refuse it; otherwise
    `write()` runs in one transaction, and a unique constraint it trips (a concurrent request
    created the same thing between the checks and the insert) refuses it with `race`."""
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        raise ValidationError(race) from None


def resource_group_create(
    *, user, subscription: Subscription, name: str, region: AzureRegion | None
) -> ResourceGroup:
    """Create a resource group; names are unique per subscription, ignoring case."""
    ensure_can_write(user=user, subscription=subscription)
    name = str(name or "").strip()
    errors = arm_name_errors(name)
    taken = (
        f"A resource group named '{name}' already exists in subscription "
        f"'{subscription.display_name}'."
    )
    if region is None:
        errors["region"] = ["Select a region for the resource group."]
    if (
        "name" not in errors
        and ResourceGroup.objects.filter(subscription=subscription, name__iexact=name).exists()
    ):
        errors["name"] = [taken]

    def write() -> ResourceGroup:
        group = ResourceGroup.objects.create(subscription=subscription, name=name, region=region)
        activity_about(
            group,
            user=user,
            operation="Microsoft.Resources/subscriptions/resourceGroups/write",
            display="Create resource group",
        )
        return group

    # Losing a race with a concurrent create of the same name gets the same answer.
    return create_unless_refused(errors, write, race={"name": [taken]})


def resource_group_of_new_resource(
    chosen: ResourceGroup | None,
    *,
    user,
    subscription: Subscription,
    name: str,
    region: AzureRegion | None,
    keys: dict,
) -> ResourceGroup:
    """A new resource's group: the existing one chosen, or else one created together with the
    resource (Create new in a wizard, the API's create flag), always logged as
    `resource_group_create` logs it. Its errors are keyed for the form it came from (`keys`
    maps "name" and "region" to that form's fields); a name that is taken asks the user to
    select that group."""
    if chosen is not None:
        return chosen
    try:
        return resource_group_create(user=user, subscription=subscription, name=name, region=region)
    except ValidationError as exc:
        raise ValidationError(
            {
                keys.get(key, key): [f"A resource group named '{name}' already exists; select it."]
                if key == "name"
                else value
                for key, value in exc.message_dict.items()
            }
        ) from None


# --- API tokens -----------------------------------------------------------------------------

API_TOKEN_PREFIX = "pp_"
API_TOKEN_MAX_DAYS = 366
# last_used_at is written at most this often per token, so a busy script does not turn every
# read into a write.
API_TOKEN_TOUCH_SECONDS = 60


def api_token_digest(raw: str) -> str:
    """The stored form of a token: tokens are 256 random bits, so one SHA-256 suffices."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def api_token_create(
    *, user, name: str, expires_in_days: object, subscription: Subscription | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token; returns it with the raw token, which is never stored.

    A subscription restricts the token to it; the user must hold a role there."""
    name = str(name or "").strip()
    errors = arm_name_errors(name)
    try:
        days = int(str(expires_in_days).strip())
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        errors["expires_in_days"] = [f"Choose an expiry between 1 and {API_TOKEN_MAX_DAYS} days."]
    if (
        subscription is not None
        and not RoleAssignment.objects.filter(user=user, subscription=subscription).exists()
    ):
        errors["subscription"] = ["Choose a subscription you hold a role on."]
    if "name" not in errors and ApiToken.objects.filter(user=user, name__iexact=name).exists():
        errors["name"] = [f"You already have a token named '{name}'."]
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = create_unless_refused(
        errors,
        lambda: ApiToken.objects.create(
            user=user,
            name=name,
            token_hash=api_token_digest(raw),
            prefix=raw[:10],
            subscription=subscription,
            expires_at=timezone.now() + timedelta(days=days),
        ),
        race={"name": [f"You already have a token named '{name}'."]},
    )
    return token, raw


def api_token_revoke(*, user, token: ApiToken) -> ApiToken:
    """Revoke one of the user's own tokens; it stops working at once."""
    if token.user_id != user.pk:
        raise PermissionDenied("This token is not yours.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


class ApiTokenRefused(Exception):
    """Why a bearer token does not authenticate: code and message for the ARM error body."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def api_token_authenticate(*, raw: str) -> ApiToken:
    """The live token for a raw bearer value, with its user; records its use.

    Raises ApiTokenRefused for an unknown, expired or revoked token, or an inactive user."""
    raw = (raw or "").strip()
    if not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 200:
        raise ApiTokenRefused("InvalidAuthenticationToken", "The access token is invalid.")
    token = (
        ApiToken.objects.select_related("user", "subscription")
        .filter(token_hash=api_token_digest(raw))
        .first()
    )
    if token is None or not token.user.is_active:
        raise ApiTokenRefused("InvalidAuthenticationToken", "The access token is invalid.")
    now = timezone.now()
    if token.revoked_at is not None:
        raise ApiTokenRefused("InvalidAuthenticationToken", "The access token has been revoked.")
    if token.expires_at <= now:
        raise ApiTokenRefused(
            "ExpiredAuthenticationToken",
            f"The access token expired at {token.expires_at:%Y-%m-%dT%H:%M:%SZ}.",
        )
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > (
        API_TOKEN_TOUCH_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def resource_group_tags_set(*, user, group: ResourceGroup, tags: dict) -> ResourceGroup:
    """Replace a resource group's tags (ARM PUT on an existing group)."""
    ensure_can_write(user=user, subscription=group.subscription)
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise ValidationError({"tags": ["Tags are names and values, both text."]})
    return tags_replace(
        group,
        tags,
        user=user,
        operation="Microsoft.Resources/subscriptions/resourceGroups/write",
        display="Update resource group",
    )


def resource_group_delete(*, user, group: ResourceGroup) -> None:
    """Delete an empty resource group; one holding resources is refused with what it holds."""
    ensure_can_write(user=user, subscription=group.subscription)
    with transaction.atomic():
        locked = ResourceGroup.objects.select_for_update().get(pk=group.pk)
        held = [
            f"{count} {label}"
            for label, count in (
                ("peering(s)", locked.peerings.count()),
                ("Peering Service(s)", locked.peering_services.count()),
            )
            if count
        ]
        if held:
            raise ValidationError(
                {
                    "name": [
                        f"Resource group '{locked.name}' still holds {' and '.join(held)}; "
                        "delete them first."
                    ]
                }
            )
        activity_about(
            locked,
            user=user,
            operation="Microsoft.Resources/subscriptions/resourceGroups/delete",
            display="Delete resource group",
        )
        locked.delete()


def activity_mark() -> int:
    """The newest activity log id: what `activity_attribute_to_token` counts from."""
    return ActivityLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def activity_attribute_to_token(*, since_id: int, token: ApiToken) -> int:
    """Name the API token in the caller of the entries its user's request just wrote (the
    services log the user; the API adds through which token)."""
    caller = f"{token.user.get_username()} (API token '{token.name}')"[:150]
    return ActivityLog.objects.filter(id__gt=since_id, user=token.user).update(caller=caller)


def resource_group_create_or_update(
    *, user, subscription: Subscription, name: str, region: AzureRegion | None, tags: dict
) -> tuple[ResourceGroup, bool]:
    """ARM PUT of a resource group: create it, or replace the tags of the one of that name
    (ignoring case). Its location cannot change. Returns (group, created)."""
    ensure_can_write(user=user, subscription=subscription)
    existing = (
        ResourceGroup.objects.select_related("subscription", "region")
        .filter(subscription=subscription, name__iexact=str(name or "").strip())
        .first()
    )
    if existing is None:
        with transaction.atomic():
            group = resource_group_create(
                user=user, subscription=subscription, name=name, region=region
            )
            if tags:
                group = resource_group_tags_set(user=user, group=group, tags=tags)
        return group, True
    if region is None or region.pk != existing.region_id:
        raise ValidationError(
            {
                "region": [
                    f"Resource group '{existing.name}' is in {existing.region.name}; the "
                    "location of a resource group cannot change."
                ]
            }
        )
    return resource_group_tags_set(user=user, group=existing, tags=tags or {}), False

"""Writes for tenancy: resource groups, activity log entries, notifications.

Services validate and write; views, admin and the API call them. A rule broken raises
ValidationError keyed by field name, so every caller can show the message next to its field.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.models import (
    ActivityLog,
    ActivityStatus,
    AzureRegion,
    Notification,
    ResourceGroup,
    Subscription,
)
from portal.permissions import ensure_can_write
from portal.validators import validate_arm_name


def _caller_name(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "Microsoft.Peering"
    return user.get_username()


def activity_record(
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
    """Append one entry to the subscription's activity log."""
    return ActivityLog.objects.create(
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


def notify_subscription(
    *,
    subscription: Subscription,
    title: str,
    body: str = "",
    link: str = "",
    level: str = Notification.Level.INFO,
) -> list[Notification]:
    """Notify everyone holding a role on the subscription (the bell in the top bar)."""
    User = get_user_model()
    users = User.objects.filter(role_assignments__subscription=subscription, is_active=True)
    return Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                subscription=subscription,
                title=title,
                body=body,
                link=link,
                level=level,
            )
            for user in users
        ]
    )


def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when no ids are given)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(id__in=notification_ids)
    return qs.update(read_at=timezone.now())


def resource_group_create(
    *, user, subscription: Subscription, name: str, region: AzureRegion | None
) -> ResourceGroup:
    """Create a resource group; names are unique per subscription, ignoring case."""
    ensure_can_write(user=user, subscription=subscription)
    errors: dict[str, list[str]] = {}
    name = str(name or "").strip()
    try:
        validate_arm_name(name)
    except ValidationError as exc:
        errors["name"] = exc.messages
    if region is None:
        errors["region"] = ["Select a region for the resource group."]
    if (
        "name" not in errors
        and ResourceGroup.objects.filter(subscription=subscription, name__iexact=name).exists()
    ):
        errors["name"] = [
            f"A resource group named '{name}' already exists in subscription "
            f"'{subscription.display_name}'."
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            group = ResourceGroup.objects.create(
                subscription=subscription, name=name, region=region
            )
            activity_record(
                subscription=subscription,
                user=user,
                operation="Microsoft.Resources/subscriptions/resourceGroups/write",
                operation_display="Create resource group",
                resource_id=group.resource_id,
                resource_group=group.name,
            )
    except IntegrityError:
        # Lost a race with a concurrent create of the same name: same answer as above.
        raise ValidationError(
            {
                "name": [
                    f"A resource group named '{name}' already exists in subscription "
                    f"'{subscription.display_name}'."
                ]
            }
        ) from None
    return group

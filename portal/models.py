"""Tenancy: subscriptions, role assignments, resource groups, the activity log, notifications.

A subscription is the boundary of everything a person can see. Nothing in the portal reads these
tables directly: views go through `portal.selectors`, writes through `portal.services`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from portal.fields import acting_user, optional_foreign_key
from portal.validators import validate_arm_name


class AzureRegion(models.Model):
    """An Azure region offered for resource groups and resources (reference data)."""

    name = models.SlugField(max_length=40, unique=True, help_text="Programmatic name, e.g. eastus.")
    display_name = models.CharField(max_length=80)
    geography = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class Subscription(models.Model):
    """An Azure-style subscription: the tenancy boundary, identified by a GUID."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=64)
    peering_service_agreement_signed = models.BooleanField(
        default=False,
        help_text="Set by operators once the Peering Service agreement with Microsoft is signed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def resource_id(self) -> str:
        return f"/subscriptions/{self.id}"


class Role(models.TextChoices):
    """Built-in Azure roles the portal honours; Owner and Contributor may write."""

    OWNER = "Owner"
    CONTRIBUTOR = "Contributor"
    READER = "Reader"


WRITE_ROLES = (Role.OWNER, Role.CONTRIBUTOR)


class RoleAssignment(models.Model):
    """A user's role on one subscription. Without one the subscription does not exist for them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "subscription"], name="one_role_per_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="role_assignment_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.subscription}"

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES


class ResourceGroup(models.Model):
    """A named container in a subscription, placed in an Azure region."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="resource_groups"
    )
    name = models.CharField(max_length=63, validators=[validate_arm_name])
    region = models.ForeignKey(AzureRegion, on_delete=models.PROTECT, related_name="+")
    tags = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "subscription", Lower("name"), name="resource_group_name_unique_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def resource_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


class ActivityStatus(models.TextChoices):
    STARTED = "Started"
    ACCEPTED = "Accepted"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class ActivityLog(models.Model):
    """One operation on a resource: who, what, which resource id, the outcome, and when."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="activity"
    )
    user = acting_user()
    caller = models.CharField(max_length=150, help_text="Who initiated it, kept after the user.")
    operation = models.CharField(max_length=120, help_text="ARM operation, e.g. peerAsns/write.")
    operation_display = models.CharField(max_length=120)
    resource_id = models.CharField(max_length=512)
    resource_group = models.CharField(max_length=63, blank=True)
    status = models.CharField(max_length=16, choices=ActivityStatus.choices)
    message = models.TextField(blank=True)
    timestamp = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["subscription", "-timestamp"], name="activity_sub_time"),
            # The Activity log's Status filter, counted on the index alone.
            models.Index(
                fields=["subscription", "status", "timestamp"], name="activity_sub_status"
            ),
            # One resource's entries by time: a peering's received-routes history, who
            # requested a connection.
            models.Index(fields=["resource_id", "timestamp"], name="activity_resource_time"),
        ]
        verbose_name_plural = "activity log"

    def __str__(self) -> str:
        return f"{self.operation_display} ({self.status})"


class Notification(models.Model):
    """An in-portal notification for one user (the bell in the top bar)."""

    class Level(models.TextChoices):
        INFO = "info"
        SUCCESS = "success"
        WARNING = "warning"
        ERROR = "error"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subscription = optional_foreign_key(Subscription, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.title


class ApiToken(models.Model):
    """A personal token for the ARM-shaped API (`Authorization: Bearer <token>`).

    Only a SHA-256 digest is stored: the token itself is shown once, when created. The API acts
    as the token's user with that user's roles, limited to one subscription when one is set.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=63)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters, shown in the list so a person can tell two tokens apart.
    prefix = models.CharField(max_length=12, editable=False)
    subscription = optional_foreign_key(Subscription, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.UniqueConstraint("user", Lower("name"), name="api_token_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

"""Peering Service: the provider's registered ASNs and prefixes (each with a prefix key), the
customer's Peering Service with its prefixes, the routes Microsoft receives, and prefix events."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from peering.validators import ASN_MAX
from portal.validators import validate_arm_name


class PrefixValidationState(models.TextChoices):
    NONE = "None"
    INVALID = "Invalid"
    VERIFIED = "Verified"
    FAILED = "Failed"
    PENDING = "Pending"
    WARNING = "Warning"
    UNKNOWN = "Unknown"


class LearnedType(models.TextChoices):
    NONE = "None"
    VIA_SERVICE_PROVIDER = "ViaServiceProvider"
    VIA_SESSION = "ViaSession"


def new_prefix_key() -> uuid.UUID:
    """A prefix key: a random (version 4) GUID from the operating system's CSPRNG."""
    return uuid.uuid4()


class RegisteredAsn(models.Model):
    """A customer ASN registered on a route-server peering; its prefix key is what the customer
    redeems. An ASN can be registered only once across all peerings."""

    peering = models.ForeignKey(
        "peering.Peering", on_delete=models.CASCADE, related_name="registered_asns"
    )
    name = models.CharField(max_length=63, validators=[validate_arm_name])
    asn = models.PositiveBigIntegerField(verbose_name="ASN")
    prefix_key = models.UUIDField(default=new_prefix_key, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    key_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "registered ASN"
        indexes = [models.Index(fields=["peering", "name", "id"], name="registered_asn_page")]
        constraints = [
            models.UniqueConstraint(fields=["asn"], name="registered_asn_once"),
            models.UniqueConstraint("peering", Lower("name"), name="registered_asn_name_ci"),
            models.CheckConstraint(
                condition=models.Q(asn__gte=1, asn__lte=ASN_MAX), name="registered_asn_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (AS{self.asn})"

    @property
    def resource_id(self) -> str:
        return f"{self.peering.resource_id}/registeredAsns/{self.name}"


class RegisteredPrefix(models.Model):
    """A prefix an ISP partner registers on its Direct Peering Service peering."""

    peering = models.ForeignKey(
        "peering.Peering", on_delete=models.CASCADE, related_name="registered_prefixes"
    )
    name = models.CharField(max_length=63, validators=[validate_arm_name])
    prefix = models.CharField(max_length=18)
    prefix_key = models.UUIDField(default=new_prefix_key, unique=True, editable=False)
    validation_state = models.CharField(
        max_length=16, choices=PrefixValidationState.choices, default=PrefixValidationState.PENDING
    )
    error_message = models.TextField(blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "registered prefixes"
        constraints = [
            # A prefix may be registered under only one peering.
            models.UniqueConstraint(fields=["prefix"], name="registered_prefix_once"),
            models.UniqueConstraint("peering", Lower("name"), name="registered_prefix_name_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def resource_id(self) -> str:
        return f"{self.peering.resource_id}/registeredPrefixes/{self.name}"


class PeeringService(models.Model):
    """A customer's Peering Service: where it is, which provider, at which peering locations."""

    subscription = models.ForeignKey(
        "portal.Subscription", on_delete=models.CASCADE, related_name="peering_services"
    )
    resource_group = models.ForeignKey(
        "portal.ResourceGroup", on_delete=models.PROTECT, related_name="peering_services"
    )
    name = models.CharField(max_length=63, validators=[validate_arm_name])
    region = models.ForeignKey("portal.AzureRegion", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        "peering.PeeringServiceLocation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="customer location",
    )
    provider = models.ForeignKey(
        "peering.PeeringServiceProvider", on_delete=models.PROTECT, related_name="+"
    )
    primary_location = models.CharField(
        max_length=64, verbose_name="provider primary peering location"
    )
    backup_location = models.CharField(
        max_length=64, blank=True, verbose_name="provider backup peering location"
    )
    tags = models.JSONField(default=dict, blank=True)
    provisioning_state = models.CharField(max_length=16, default="Succeeded")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "resource_group", Lower("name"), name="peering_service_name_in_group_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group.name}"
            f"/providers/Microsoft.Peering/peeringServices/{self.name}"
        )


class PeeringServicePrefix(models.Model):
    """A customer prefix redeemed with a prefix key. Prefixes cannot be edited: delete and add."""

    peering_service = models.ForeignKey(
        PeeringService, on_delete=models.CASCADE, related_name="prefixes"
    )
    name = models.CharField(max_length=63, validators=[validate_arm_name])
    prefix = models.CharField(max_length=43, help_text="As typed; validated in the background.")
    # The key as the customer typed it: never shown to anyone else, compared in constant time.
    prefix_key = models.CharField(max_length=64)
    registered_asn = models.ForeignKey(
        RegisteredAsn, on_delete=models.SET_NULL, null=True, blank=True, related_name="prefixes"
    )
    registered_prefix = models.ForeignKey(
        RegisteredPrefix,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer_prefixes",
    )
    validation_state = models.CharField(
        max_length=16, choices=PrefixValidationState.choices, default=PrefixValidationState.PENDING
    )
    learned_type = models.CharField(
        max_length=24, choices=LearnedType.choices, default=LearnedType.NONE
    )
    error_message = models.TextField(blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "Peering Service prefix"
        constraints = [
            models.UniqueConstraint(
                "peering_service", Lower("name"), name="peering_service_prefix_name_ci"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def resource_id(self) -> str:
        return f"{self.peering_service.resource_id}/prefixes/{self.name}"


class PrefixEvent(models.Model):
    """Something that happened to a Peering Service prefix's routes (announcement, withdrawal,
    origin AS change, backup route …), derived from successive route imports."""

    class Level(models.TextChoices):
        INFORMATION = "Information"
        WARNING = "Warning"
        ERROR = "Error"
        CRITICAL = "Critical"

    prefix = models.ForeignKey(
        PeeringServicePrefix, on_delete=models.CASCADE, related_name="events"
    )
    event_type = models.CharField(max_length=64)
    event_level = models.CharField(max_length=16, choices=Level.choices)
    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    timestamp = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-timestamp", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.event_level})"


class ReceivedRoute(models.Model):
    """A route Microsoft receives on a connection, as loaded by `import_received_routes`."""

    connection = models.ForeignKey(
        "peering.PeeringConnection", on_delete=models.CASCADE, related_name="received_routes"
    )
    prefix = models.CharField(max_length=43, db_index=True)
    next_hop = models.GenericIPAddressField()
    as_path = models.CharField(max_length=512, help_text="Space-separated, e.g. '59999 64500'.")
    origin_as = models.PositiveBigIntegerField()
    communities = models.JSONField(default=list, help_text='e.g. ["8075:8007"]')
    origin_as_validation_state = models.CharField(max_length=16, default="Valid")
    rpki_validation_state = models.CharField(max_length=16, default="Valid")
    trust_anchor = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["prefix", "id"]
        indexes = [models.Index(fields=["connection", "prefix"], name="route_conn_prefix")]

    def __str__(self) -> str:
        return f"{self.prefix} via {self.next_hop}"

    @property
    def as_path_list(self) -> list[int]:
        return [int(part) for part in self.as_path.split() if part.isdigit()]


class PrefixKeyAttempt(models.Model):
    """A wrong prefix key typed by a user: the throttle counts these per user per hour."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="key_attempt_user_time")]

    def __str__(self) -> str:
        return f"Wrong prefix key by {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"

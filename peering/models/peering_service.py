"""Peering Service: the provider's registered ASNs and prefixes (each with a prefix key), the
customer's Peering Service with its prefixes, the routes Microsoft receives, and prefix events."""

import functools
import ipaddress
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.db.models.signals import post_save
from django.dispatch import receiver

from peering.enums import LearnedType, PrefixEventLevel, PrefixValidationState
from peering.models.abstracts import (
    ArmResource,
    TrackedResource,
    ValidatedPrefix,
    in_resource_group,
)
from peering.validators import ASN_MAX
from portal.fields import optional_foreign_key


def new_prefix_key() -> uuid.UUID:
    """A prefix key: a random (version 4) GUID from the operating system's CSPRNG."""
    return uuid.uuid4()


class RegisteredAsn(ArmResource):
    """A customer ASN registered on a route-server peering; its prefix key is what the customer
    redeems. An ASN can be registered only once across all peerings."""

    peering = models.ForeignKey(
        "peering.Peering", on_delete=models.CASCADE, related_name="registered_asns"
    )
    asn = models.PositiveBigIntegerField(verbose_name="ASN")
    prefix_key = models.UUIDField(default=new_prefix_key, unique=True, editable=False)
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


class RegisteredPrefix(ValidatedPrefix):
    """A prefix an ISP partner registers on its Direct Peering Service peering."""

    peering = models.ForeignKey(
        "peering.Peering", on_delete=models.CASCADE, related_name="registered_prefixes"
    )
    prefix = models.CharField(max_length=18)
    prefix_key = models.UUIDField(default=new_prefix_key, unique=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "registered prefixes"
        constraints = [
            # A prefix may be registered under only one peering.
            models.UniqueConstraint(fields=["prefix"], name="registered_prefix_once"),
            models.UniqueConstraint("peering", Lower("name"), name="registered_prefix_name_ci"),
        ]

    @property
    def resource_id(self) -> str:
        return f"{self.peering.resource_id}/registeredPrefixes/{self.name}"


class PeeringService(TrackedResource):
    """A customer's Peering Service: where it is, which provider, at which peering locations."""

    ARM_TYPE = "peeringServices"

    subscription, resource_group = in_resource_group("peering_services")
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
    provisioning_state = models.CharField(max_length=16, default="Succeeded")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "resource_group", Lower("name"), name="peering_service_name_in_group_ci"
            ),
        ]


class PeeringServicePrefix(ValidatedPrefix):
    """A customer prefix redeemed with a prefix key. Prefixes cannot be edited: delete and add."""

    peering_service = models.ForeignKey(
        PeeringService, on_delete=models.CASCADE, related_name="prefixes"
    )
    prefix = models.CharField(max_length=43, help_text="As typed; validated in the background.")
    # The key as the customer typed it: never shown to anyone else, compared in constant time.
    prefix_key = models.CharField(max_length=64)
    registered_asn = optional_foreign_key(
        RegisteredAsn, on_delete=models.SET_NULL, related_name="prefixes"
    )
    registered_prefix = optional_foreign_key(
        RegisteredPrefix, on_delete=models.SET_NULL, related_name="customer_prefixes"
    )
    learned_type = models.CharField(
        max_length=24, choices=LearnedType.choices, default=LearnedType.NONE
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "Peering Service prefix"
        constraints = [
            models.UniqueConstraint(
                "peering_service", Lower("name"), name="peering_service_prefix_name_ci"
            ),
        ]

    @property
    def resource_id(self) -> str:
        return f"{self.peering_service.resource_id}/prefixes/{self.name}"


class PrefixEvent(models.Model):
    """Something that happened to a Peering Service prefix's routes (announcement, withdrawal,
    origin AS change, backup route …), derived from successive route imports."""

    # The API's `eventLevel`, with the rest of its vocabulary in peering.enums.
    Level = PrefixEventLevel

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
    """A route Microsoft receives on a connection, as loaded by `import_received_routes`.

    `rpki_validation_state` is the portal's own RFC 6811 verdict against the imported VRPs
    (recomputed when they change); `reported_rpki_state` and `origin_as_validation_state` are
    what the router reported, kept as evidence ('' when the line said nothing)."""

    # Every query names the connection: (connection, prefix) serves them, so the connection
    # and the prefix have no index of their own to maintain on each of a million inserts
    # (`route_prefix` orders the admin's list).
    connection = models.ForeignKey(
        "peering.PeeringConnection",
        on_delete=models.CASCADE,
        related_name="received_routes",
        db_index=False,
    )
    prefix = models.CharField(max_length=43)
    next_hop = models.GenericIPAddressField()
    as_path = models.CharField(
        max_length=512, help_text="Space-separated, e.g. '59999 64500'; an AS_SET as '{1,2}'."
    )
    # The rightmost AS of the path; null when the path ends in an AS_SET (RFC 6811: NONE).
    origin_as = models.PositiveBigIntegerField(null=True, blank=True)
    communities = models.JSONField(default=list, help_text='RFC 1997, e.g. ["8075:8007"]')
    large_communities = models.JSONField(
        default=list, blank=True, help_text='RFC 8092, e.g. ["8075:8007:0"]'
    )
    origin_as_validation_state = models.CharField(max_length=16, blank=True, default="")
    rpki_validation_state = models.CharField(max_length=16, default="NotFound")
    reported_rpki_state = models.CharField(max_length=16, blank=True, default="")
    trust_anchor = models.CharField(max_length=32, blank=True)
    # When the route was first received: a re-import of an unchanged route whose line gives no
    # time keeps it (peering.services.route_sets).
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["prefix", "id"]
        indexes = [
            models.Index(fields=["connection", "prefix"], name="route_conn_prefix"),
            models.Index(fields=["prefix"], name="route_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} via {self.next_hop}"

    @functools.cached_property
    def as_path_list(self) -> tuple[int, ...]:
        """The path's ASNs, nearest first (the AS_SET left out); read by several checks of a
        validation, so split once per instance (an import writes new rows, never a new path)."""
        return tuple(int(part) for part in self.as_path.split() if part.isdigit())

    @property
    def ends_in_as_set(self) -> bool:
        return self.as_path.rstrip().endswith("}")

    @property
    def rpki_disagrees(self) -> bool:
        """The router reported an RPKI state other than the one the portal computed."""
        reported = self.reported_rpki_state
        return reported in ("Valid", "Invalid", "NotFound") and reported != (
            self.rpki_validation_state
        )


class PrefixSpan(models.Model):
    """A Peering Service prefix as an integer range, kept beside it so overlap checks are index
    lookups: covering prefixes by their exact text, covered ones by a range on `start`."""

    prefix = models.OneToOneField(
        PeeringServicePrefix, on_delete=models.CASCADE, primary_key=True, related_name="span"
    )
    cidr = models.CharField(max_length=18)
    start = models.PositiveBigIntegerField()
    end = models.PositiveBigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["cidr"], name="prefix_span_cidr"),
            models.Index(fields=["start", "end"], name="prefix_span_range"),
            # The span's size (end - start): the prefix lengths the spans have are read by a
            # few probes of it, so an overlap check looks up covering spans at those lengths.
            models.Index(models.F("end") - models.F("start"), name="prefix_span_size"),
        ]

    def __str__(self) -> str:
        return self.cidr


class ValidationRun(models.Model):
    """One run of prefix validation with every check's verdict and evidence, newest first: the
    prefix page shows the latest as a checklist."""

    prefix = optional_foreign_key(
        PeeringServicePrefix, on_delete=models.CASCADE, related_name="validation_runs"
    )
    registered_prefix = optional_foreign_key(
        RegisteredPrefix, on_delete=models.CASCADE, related_name="validation_runs"
    )
    state = models.CharField(max_length=16, choices=PrefixValidationState.choices)
    message = models.TextField(blank=True)
    # [{"key", "label", "status": pass|warn|fail|skip, "message", "evidence": [str, ...]}]
    checks = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["prefix", "-id"], name="validation_run_prefix"),
            models.Index(fields=["registered_prefix", "-id"], name="validation_run_registered"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(prefix__isnull=True) ^ models.Q(registered_prefix__isnull=True),
                name="validation_run_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.state} at {self.created_at:%Y-%m-%d %H:%M}"


class PrefixKeyAttempt(models.Model):
    """A wrong prefix key typed by a user: the throttle counts these per user per hour."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="key_attempt_user_time")]

    def __str__(self) -> str:
        return f"Wrong prefix key by {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"


def ipv4_span(text: str) -> tuple[str, int, int] | None:
    """(canonical CIDR, first address, last address) of an IPv4 prefix, or None."""
    try:
        network = ipaddress.ip_network(str(text).strip(), strict=True)
    except ValueError:
        return None
    if network.version != 4:
        return None
    return network.with_prefixlen, int(network.network_address), int(network.broadcast_address)


@receiver(post_save, sender=PeeringServicePrefix, dispatch_uid="prefix_span")
def _keep_prefix_span(
    sender, instance: PeeringServicePrefix, created=False, raw=False, **kwargs
) -> None:
    """A new prefix gets its span (prefixes are never edited, so once at creation is enough;
    a malformed or IPv6 prefix has none and overlaps nothing)."""
    if not created:
        return
    span = ipv4_span(instance.prefix)
    if span is None:
        return
    cidr, start, end = span
    PrefixSpan.objects.update_or_create(
        prefix=instance, defaults={"cidr": cidr, "start": start, "end": end}
    )

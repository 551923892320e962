"""Reference data operators manage: peering metros, their facilities and exchanges, and the
Peering Service providers and customer locations. Loaded by `manage.py load_reference_data`."""

from django.db import models
from django.db.models.functions import Lower

from peering.enums import DirectPeeringType
from peering.models.abstracts import (
    BgpSessionAddresses,
    at_facility_or_exchange,
    session_address_indexes,
)
from portal.fields import optional_foreign_key


class Source(models.TextChoices):
    DOCS = "docs", "Public documentation"
    SAMPLE = "sample", "Sample (unverified)"
    OPERATOR = "operator", "Entered by an operator"


class PeeringLocation(models.Model):
    """A peering metro (ARM `peeringLocation`), e.g. Seattle."""

    name = models.CharField(max_length=64)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 country code.")
    azure_region = optional_foreign_key(
        "portal.AzureRegion", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="peering_location_name_ci")]

    def __str__(self) -> str:
        return self.name


class DirectFacility(models.Model):
    """A facility where Direct (Edge, route server, Voice) connections are made."""

    location = models.ForeignKey(
        PeeringLocation, on_delete=models.CASCADE, related_name="direct_facilities"
    )
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=200, blank=True)
    peeringdb_facility_id = models.PositiveIntegerField(null=True, blank=True)
    direct_peering_types = models.JSONField(
        default=list, help_text=f"Supported types, from {', '.join(DirectPeeringType.values)}."
    )
    bandwidth_offers_mbps = models.JSONField(default=list, help_text="e.g. [10000, 100000]")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.OPERATOR)

    class Meta:
        ordering = ["location__name", "name"]
        verbose_name_plural = "direct facilities"
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="direct_facility_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location.name})"

    @property
    def peeringdb_link(self) -> str:
        if self.peeringdb_facility_id is None:
            return ""
        return f"https://www.peeringdb.com/fac/{self.peeringdb_facility_id}"

    def supports(self, direct_peering_type: str) -> bool:
        return direct_peering_type in (self.direct_peering_types or [])


class Exchange(models.Model):
    """An internet exchange in a metro: its peering LAN and Microsoft's addresses on it."""

    # The LAN per family and Microsoft's address on it, in the order operators read them.
    LAN_FIELDS = ("ipv4_prefix", "microsoft_ipv4_address", "ipv6_prefix", "microsoft_ipv6_address")

    location = models.ForeignKey(
        PeeringLocation, on_delete=models.CASCADE, related_name="exchanges"
    )
    name = models.CharField(max_length=120)
    peeringdb_ix_id = models.PositiveIntegerField(null=True, blank=True)
    ipv4_prefix = models.CharField(max_length=43, help_text="Peering LAN, e.g. 198.32.134.0/24")
    ipv6_prefix = models.CharField(max_length=43, blank=True)
    microsoft_ipv4_address = models.GenericIPAddressField(protocol="IPv4")
    microsoft_ipv6_address = models.GenericIPAddressField(protocol="IPv6", null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.OPERATOR)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="exchange_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location.name})"

    @property
    def peeringdb_link(self) -> str:
        if self.peeringdb_ix_id is None:
            return ""
        return f"https://www.peeringdb.com/ix/{self.peeringdb_ix_id}"


class PeeringServiceProvider(models.Model):
    """A Peering Service partner (an ISP, or an exchange with a route server)."""

    class ProviderKind(models.TextChoices):
        ISP = "isp", "Internet service provider"
        EXCHANGE = "exchange", "Internet exchange with route server"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=ProviderKind.choices)
    asn = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        verbose_name="ASN",
        help_text="The provider's network. Its peerings' registered ASNs and prefixes are the "
        "keys customers of this provider redeem.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="ps_provider_name_ci")]

    def __str__(self) -> str:
        return self.name


class PeeringServiceProviderLocation(models.Model):
    """A peering location where a Peering Service provider connects to Microsoft."""

    provider = models.ForeignKey(
        PeeringServiceProvider, on_delete=models.CASCADE, related_name="peering_locations"
    )
    name = models.CharField(max_length=64)

    class Meta:
        ordering = ["provider__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="ps_provider_location_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider.name}: {self.name}"


class PeeringServiceLocation(models.Model):
    """A customer location for Peering Service: country and state/province."""

    country = models.CharField(max_length=64)
    state = models.CharField(max_length=64)
    azure_region = optional_foreign_key(
        "portal.AzureRegion", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["country", "state"]
        constraints = [
            models.UniqueConstraint(fields=["country", "state"], name="ps_location_unique")
        ]

    def __str__(self) -> str:
        return f"{self.state}, {self.country}"


class LegacyPeering(BgpSessionAddresses):
    """A peering made before the portal existed, not yet an Azure resource.

    Operators load these in admin. When the peer creates a peering of the same kind in the same
    metro with the same ASN, the wizard lists them read-only and converts them with it.
    """

    peer_asn = models.PositiveBigIntegerField(verbose_name="Peer ASN", db_index=True)
    peering_location = models.ForeignKey(
        PeeringLocation, on_delete=models.CASCADE, related_name="legacy_peerings"
    )
    kind = models.CharField(max_length=16, default="Exchange")
    exchange = optional_foreign_key(
        Exchange, on_delete=models.CASCADE, related_name="legacy_peerings"
    )
    direct_facility = optional_foreign_key(
        DirectFacility, on_delete=models.CASCADE, related_name="legacy_peerings"
    )
    bandwidth_mbps = models.PositiveIntegerField(null=True, blank=True)
    converted_to = optional_foreign_key(
        "peering.Peering",
        on_delete=models.SET_NULL,
        related_name="converted_legacy_peerings",
        help_text="The peering resource this legacy connection was converted into.",
    )
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["peering_location__name", "peer_asn", "id"]
        constraints = [
            at_facility_or_exchange("legacy_at_facility_or_exchange"),
        ]
        indexes = session_address_indexes("legacy")

    def __str__(self) -> str:
        place = self.exchange or self.direct_facility
        return f"AS{self.peer_asn} legacy {self.kind} at {place.name if place else '?'}"

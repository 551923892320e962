"""RPKI data the portal validates routes against: the validated ROA payloads (VRPs) and ASPA
objects of the last imported relying-party export (`manage.py import_vrps`), and a log of the
imports with the export's build time."""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from peering.validators import ASN_MAX
from portal.fields import acting_user

#: A VRP set older than this is shown as stale on every page that relies on it.
VRP_MAX_AGE = timedelta(hours=24)


class VrpSet(models.Model):
    """One import of a relying party's export; the newest row describes the VRPs in use."""

    source = models.CharField(max_length=32, help_text="rpki-client, routinator-json, …")
    file_name = models.CharField(max_length=200, blank=True)
    build_time = models.DateTimeField(null=True, blank=True, help_text="As the export says.")
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = acting_user()
    vrp_count = models.PositiveIntegerField(default=0)
    aspa_count = models.PositiveIntegerField(default=0)
    routes_changed = models.PositiveIntegerField(default=0)
    # The prefix lengths the set's VRPs have ([] = not recorded): a route's covering VRPs are
    # looked up among its supernets of these lengths only.
    prefix_lengths = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = "VRP set"

    def __str__(self) -> str:
        return f"{self.vrp_count} VRPs from {self.source} ({self.build_time or self.imported_at})"

    @property
    def age_reference(self):
        return self.build_time or self.imported_at

    @property
    def is_stale(self) -> bool:
        return timezone.now() - self.age_reference > VRP_MAX_AGE


class Vrp(models.Model):
    """A validated ROA payload: `asn` may originate `prefix` and more specifics up to
    `max_length`. AS0 (RFC 6483 §4, RFC 7607) authorises no origin at all."""

    asn = models.PositiveBigIntegerField(verbose_name="ASN")
    prefix = models.CharField(max_length=43)
    max_length = models.PositiveSmallIntegerField()
    trust_anchor = models.CharField(max_length=32, blank=True)
    expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["prefix", "asn", "max_length"]
        verbose_name = "VRP"
        # Covering VRPs are found by their exact prefix (a route has at most 33/129 covering
        # prefixes), so one index on the text serves the lookup on SQLite and PostgreSQL.
        indexes = [models.Index(fields=["prefix"], name="vrp_prefix")]
        constraints = [
            models.CheckConstraint(condition=models.Q(asn__lte=ASN_MAX), name="vrp_asn_range"),
            models.CheckConstraint(condition=models.Q(max_length__lte=128), name="vrp_max_length"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.max_length} AS{self.asn}"


class Aspa(models.Model):
    """An ASPA object: the customer AS attests which ASes are its upstream providers."""

    customer_asn = models.PositiveBigIntegerField(unique=True, verbose_name="customer ASN")
    providers = models.JSONField(default=list, help_text="Provider ASNs, e.g. [3356, 1299].")

    class Meta:
        ordering = ["customer_asn"]
        verbose_name = "ASPA"

    def __str__(self) -> str:
        return f"AS{self.customer_asn} → {', '.join(f'AS{p}' for p in self.providers)}"

"""Peer ASN: a peer's autonomous system associated with a subscription, and its contacts."""

from django.db import models
from django.db.models.functions import Lower

from peering.enums import ContactRole, ValidationState
from peering.models.abstracts import ArmResource
from peering.validators import ASN_MAX
from portal.fields import acting_user


class PeerAsn(ArmResource):
    """ARM `Microsoft.Peering/peerAsns`: a subscription-scoped association of a peer's ASN.

    Microsoft (an operator) approves or rejects it; only Approved ones may request peerings.
    """

    subscription = models.ForeignKey(
        "portal.Subscription", on_delete=models.CASCADE, related_name="peer_asns"
    )
    peer_asn = models.PositiveBigIntegerField(verbose_name="Peer ASN")
    peer_name = models.CharField(max_length=100)
    validation_state = models.CharField(
        max_length=16, choices=ValidationState.choices, default=ValidationState.PENDING
    )
    error_message = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = acting_user()

    class Meta:
        ordering = ["name"]
        verbose_name = "Peer ASN"
        verbose_name_plural = "Peer ASNs"
        constraints = [
            models.UniqueConstraint("subscription", Lower("name"), name="peer_asn_name_unique_ci"),
            models.UniqueConstraint(
                fields=["subscription", "peer_asn"], name="peer_asn_once_per_subscription"
            ),
            models.CheckConstraint(
                condition=models.Q(peer_asn__gte=1, peer_asn__lte=ASN_MAX),
                name="peer_asn_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(validation_state__in=ValidationState.values),
                name="peer_asn_validation_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (AS{self.peer_asn})"

    @property
    def resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}"
            f"/providers/Microsoft.Peering/peerAsns/{self.name}"
        )

    @property
    def contact_emails(self) -> list[str]:
        """The addresses Microsoft writes to about this ASN and its peerings."""
        return [c.email for c in self.contacts.all() if c.email]

    @property
    def is_approved(self) -> bool:
        return self.validation_state == ValidationState.APPROVED


class PeerContact(models.Model):
    """One contact of a Peer ASN (ARM `peerContactDetail`)."""

    peer_asn = models.ForeignKey(PeerAsn, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(max_length=16, choices=ContactRole.choices)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=ContactRole.values), name="peer_contact_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.email}"

"""The record of a peering's life: connection state changes, deprovisioning requests, and the
address pools operators allocate Microsoft-provided session addresses from."""

from django.conf import settings
from django.db import models

from peering.enums import ConnectionState
from portal.fields import acting_user, optional_foreign_key


class Actor(models.TextChoices):
    """Who made a change, or who acts next."""

    PEER = "peer", "Peer"
    OPERATOR = "operator", "Microsoft"
    SYSTEM = "system", "Automation"


class ConnectionTransition(models.Model):
    """One change of a connection's state: from, to, who, when, and a note."""

    connection = models.ForeignKey(
        "peering.PeeringConnection", on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=32, choices=ConnectionState.choices)
    to_state = models.CharField(max_length=32, choices=ConnectionState.choices)
    actor = models.CharField(max_length=16, choices=Actor.choices)
    user = acting_user()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["connection", "created_at"], name="transition_conn_time")]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class DeprovisionRequest(models.Model):
    """A peer's tracked request to remove a peering (not an email)."""

    class State(models.TextChoices):
        REQUESTED = "Requested"
        ACCEPTED = "Accepted"
        DECLINED = "Declined"
        COMPLETED = "Completed"
        WITHDRAWN = "Withdrawn"

    peering = optional_foreign_key(
        "peering.Peering", on_delete=models.SET_NULL, related_name="deprovision_requests"
    )
    subscription = models.ForeignKey(
        "portal.Subscription", on_delete=models.CASCADE, related_name="deprovision_requests"
    )
    # Kept after the peering is removed, so the request stays readable.
    peering_name = models.CharField(max_length=63)
    resource_id = models.CharField(max_length=512)
    state = models.CharField(max_length=16, choices=State.choices, default=State.REQUESTED)
    reason = models.TextField()
    customers_confirmed = models.TextField(
        blank=True, help_text="Customers (registered ASNs) the peer confirmed it is cutting off."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = acting_user()
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request per peering at a time.
            models.UniqueConstraint(
                fields=["peering"],
                condition=models.Q(state__in=["Requested", "Accepted"]),
                name="one_open_deprovision_request",
            ),
        ]

    def __str__(self) -> str:
        return f"Deprovision {self.peering_name} ({self.state})"


class FacilityAddressPool(models.Model):
    """Where operators allocate Microsoft-provided session addresses at a facility: the next
    free /31 from the IPv4 pool and /127 from the IPv6 pool."""

    direct_facility = models.OneToOneField(
        "peering.DirectFacility", on_delete=models.CASCADE, related_name="address_pool"
    )
    ipv4_pool = models.CharField(max_length=18, help_text="e.g. 203.0.113.0/24")
    ipv6_pool = models.CharField(max_length=43, blank=True, help_text="e.g. 2001:db8:8075::/64")

    def __str__(self) -> str:
        return f"Address pool at {self.direct_facility}"

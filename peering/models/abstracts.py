"""Abstract bases: the field sets several resources share, declared once.

No table of their own, and no schema change: each concrete model keeps the same columns.
"""

from django.db import models

from peering.enums import PrefixValidationState
from portal.fields import acting_user
from portal.validators import validate_arm_name

# The BGP session of a connection, in the API's words and order (the model's field names too);
# services, forms and admin use these instead of spelling the list again.
SESSION_PREFIX_FIELDS = ("session_prefix_v4", "session_prefix_v6")
# The four ends of the two sessions.
SESSION_IP_ADDRESS_FIELDS = (
    "peer_session_ipv4_address",
    "microsoft_session_ipv4_address",
    "peer_session_ipv6_address",
    "microsoft_session_ipv6_address",
)
# Per family, the session prefix and both addresses: what Microsoft allocates when it is the
# session address provider.
SESSION_ADDRESS_FIELDS = (
    "session_prefix_v4",
    "peer_session_ipv4_address",
    "microsoft_session_ipv4_address",
    "session_prefix_v6",
    "peer_session_ipv6_address",
    "microsoft_session_ipv6_address",
)
MAX_PREFIX_FIELDS = ("max_prefixes_advertised_v4", "max_prefixes_advertised_v6")
SESSION_FIELDS = (*SESSION_ADDRESS_FIELDS, *MAX_PREFIX_FIELDS)


class ArmResource(models.Model):
    """A named ARM resource (or child resource): its name follows the ARM rule, and the portal
    records when and by whom it was created."""

    name = models.CharField(max_length=63, validators=[validate_arm_name])
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = acting_user()

    class Meta:
        abstract = True


def in_resource_group(related_name: str) -> tuple[models.ForeignKey, models.ForeignKey]:
    """A tracked resource's `subscription` and `resource_group`, as ARM has them: removing the
    subscription removes the resource; a resource group that holds one cannot be removed.
    `related_name` is the resources' name on both (`subscription.peerings` …)."""
    return (
        models.ForeignKey(
            "portal.Subscription", on_delete=models.CASCADE, related_name=related_name
        ),
        models.ForeignKey(
            "portal.ResourceGroup", on_delete=models.PROTECT, related_name=related_name
        ),
    )


class TrackedResource(ArmResource):
    """An ARM tracked resource in a resource group: a region and tags. `ARM_TYPE` is the
    resource type's path segment (`peerings`, `peeringServices`); the concrete model declares
    its `subscription` and `resource_group` with `in_resource_group` (their reverse names
    differ)."""

    ARM_TYPE = ""

    region = models.ForeignKey("portal.AzureRegion", on_delete=models.PROTECT, related_name="+")
    tags = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group.name}"
            f"/providers/Microsoft.Peering/{self.ARM_TYPE}/{self.name}"
        )


class ValidatedPrefix(ArmResource):
    """A prefix Microsoft validates in the background (a registered prefix, a Peering Service
    prefix): its state, the message that explains it, and when it was last checked."""

    validation_state = models.CharField(
        max_length=16, choices=PrefixValidationState.choices, default=PrefixValidationState.PENDING
    )
    error_message = models.TextField(blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


def session_address_indexes(prefix: str) -> list[models.Index]:
    """One index per session address of a `BgpSessionAddresses` model, for the duplicate-address
    check that looks them up exactly (services/addresses.py), named
    `<prefix>_<peer|micr>_<ipv4|ipv6>_ix`."""
    return [
        models.Index(fields=[f], name=f"{prefix}_{f.split('_session_')[0][:4]}_{f[-12:-8]}_ix")
        for f in SESSION_IP_ADDRESS_FIELDS
    ]


def at_facility_or_exchange(name: str) -> models.CheckConstraint:
    """A connection (or legacy peering) is made at a facility (Direct) or an exchange
    (Exchange): exactly one of `direct_facility` and `exchange` is set."""
    return models.CheckConstraint(
        condition=(
            models.Q(direct_facility__isnull=False, exchange__isnull=True)
            | models.Q(direct_facility__isnull=True, exchange__isnull=False)
        ),
        name=name,
    )


class BgpSessionAddresses(models.Model):
    """Both ends of the BGP sessions (IPv4 and IPv6) and the peer's maximum advertised
    prefixes, as a connection (or a legacy peering) holds them."""

    peer_session_ipv4_address = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)
    peer_session_ipv6_address = models.GenericIPAddressField(protocol="IPv6", null=True, blank=True)
    microsoft_session_ipv4_address = models.GenericIPAddressField(
        protocol="IPv4", null=True, blank=True
    )
    microsoft_session_ipv6_address = models.GenericIPAddressField(
        protocol="IPv6", null=True, blank=True
    )
    max_prefixes_advertised_v4 = models.PositiveIntegerField(null=True, blank=True)
    max_prefixes_advertised_v6 = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        abstract = True

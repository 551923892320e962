"""factory-boy factories, one per model."""

import factory
from django.contrib.auth import get_user_model

from peering import models as pm
from peering.enums import (
    ConnectionState,
    ContactRole,
    Kind,
    SessionAddressProvider,
    SkuName,
    ValidationState,
)
from portal import models as portal_models

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.net")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class AzureRegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = portal_models.AzureRegion
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"region{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.title())
    geography = "United States"


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = portal_models.Subscription

    display_name = factory.Sequence(lambda n: f"Subscription {n}")


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = portal_models.RoleAssignment

    user = factory.SubFactory(UserFactory)
    subscription = factory.SubFactory(SubscriptionFactory)
    role = portal_models.Role.OWNER


class ResourceGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = portal_models.ResourceGroup

    subscription = factory.SubFactory(SubscriptionFactory)
    name = factory.Sequence(lambda n: f"rg-{n}")
    region = factory.SubFactory(AzureRegionFactory, name="eastus", display_name="East US")


class ActivityLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = portal_models.ActivityLog

    subscription = factory.SubFactory(SubscriptionFactory)
    caller = "someone"
    operation = "Microsoft.Peering/peerAsns/write"
    operation_display = "Associate Peer ASN"
    resource_id = factory.LazyAttribute(
        lambda o: f"/subscriptions/{o.subscription.pk}/providers/Microsoft.Peering/peerAsns/x"
    )
    status = portal_models.ActivityStatus.SUCCEEDED


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = portal_models.Notification

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Notification {n}")


class PeeringLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeeringLocation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Metro {n}")
    country = "US"


class DirectFacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.DirectFacility

    location = factory.SubFactory(PeeringLocationFactory)
    name = factory.Sequence(lambda n: f"Facility {n}")
    address = "1 Example Street"
    peeringdb_facility_id = factory.Sequence(lambda n: 1000 + n)
    direct_peering_types = factory.LazyFunction(lambda: ["Edge", "IxRs", "Voice"])
    bandwidth_offers_mbps = factory.LazyFunction(lambda: [10000, 100000])


class ExchangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Exchange

    location = factory.SubFactory(PeeringLocationFactory)
    name = factory.Sequence(lambda n: f"Exchange {n}")
    ipv4_prefix = "198.32.134.0/24"
    ipv6_prefix = "2001:504:12::/64"
    microsoft_ipv4_address = "198.32.134.152"
    microsoft_ipv6_address = "2001:504:12::15"


class PeeringServiceProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeeringServiceProvider

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = pm.PeeringServiceProvider.ProviderKind.EXCHANGE


class PeeringServiceProviderLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeeringServiceProviderLocation

    provider = factory.SubFactory(PeeringServiceProviderFactory)
    name = factory.Sequence(lambda n: f"City {n}")


class PeeringServiceLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeeringServiceLocation

    country = "United States"
    state = factory.Sequence(lambda n: f"State {n}")


class PeerAsnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeerAsn

    subscription = factory.SubFactory(SubscriptionFactory)
    name = factory.Sequence(lambda n: f"peer-asn-{n}")
    peer_asn = factory.Sequence(lambda n: 100000 + n)
    peer_name = "Contoso"
    validation_state = ValidationState.PENDING


class PeerContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeerContact

    peer_asn = factory.SubFactory(PeerAsnFactory)
    role = ContactRole.NOC
    email = factory.Sequence(lambda n: f"noc{n}@contoso.example")
    phone = "+1 206 555 0100"


class PeeringFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Peering

    subscription = factory.SubFactory(SubscriptionFactory)
    resource_group = factory.SubFactory(
        ResourceGroupFactory, subscription=factory.SelfAttribute("..subscription")
    )
    name = factory.Sequence(lambda n: f"peering-{n}")
    region = factory.SelfAttribute("resource_group.region")
    kind = Kind.DIRECT
    sku_name = SkuName.PREMIUM_DIRECT_FREE
    direct_peering_type = "IxRs"
    peering_location = factory.SubFactory(PeeringLocationFactory)
    peer_asn = factory.SubFactory(
        PeerAsnFactory,
        subscription=factory.SelfAttribute("..subscription"),
        validation_state=ValidationState.APPROVED,
    )


class PeeringConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeeringConnection

    peering = factory.SubFactory(PeeringFactory)
    direct_facility = factory.SubFactory(
        DirectFacilityFactory, location=factory.SelfAttribute("..peering.peering_location")
    )
    session_address_provider = SessionAddressProvider.PEER
    bandwidth_mbps = 10000
    connection_state = ConnectionState.PENDING_APPROVAL
    session_prefix_v4 = "192.0.2.0/24"
    peer_session_ipv4_address = "192.0.2.10"
    microsoft_session_ipv4_address = "192.0.2.20"
    max_prefixes_advertised_v4 = 1000

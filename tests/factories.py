"""factory-boy factories, one per model."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

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


class ConnectionTransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.ConnectionTransition

    connection = factory.SubFactory(PeeringConnectionFactory)
    from_state = ConnectionState.PENDING_APPROVAL
    to_state = ConnectionState.APPROVED
    actor = pm.Actor.OPERATOR
    user = factory.SubFactory(UserFactory, is_staff=True)
    note = ""


class DeprovisionRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.DeprovisionRequest

    peering = factory.SubFactory(PeeringFactory)
    subscription = factory.SelfAttribute("peering.subscription")
    peering_name = factory.LazyAttribute(lambda o: o.peering.name)
    resource_id = factory.LazyAttribute(lambda o: o.peering.resource_id)
    reason = "We are leaving this metro."
    requested_by = factory.SubFactory(UserFactory)


class FacilityAddressPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.FacilityAddressPool

    direct_facility = factory.SubFactory(DirectFacilityFactory)
    ipv4_pool = "203.0.113.0/24"
    ipv6_pool = "2001:db8:8075::/64"


class LegacyPeeringFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.LegacyPeering

    peer_asn = factory.Sequence(lambda n: 200000 + n)
    peering_location = factory.SubFactory(PeeringLocationFactory)
    kind = Kind.EXCHANGE
    exchange = factory.SubFactory(
        ExchangeFactory, location=factory.SelfAttribute("..peering_location")
    )
    peer_session_ipv4_address = factory.Sequence(lambda n: f"198.32.134.{10 + n % 100}")
    max_prefixes_advertised_v4 = 1000


class PeeringDraftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeeringDraft

    user = factory.SubFactory(UserFactory)
    data = factory.LazyFunction(
        lambda: {"basics": {"name": "peering-draft"}, "configuration": {}, "connections": []}
    )


# --- Peering Service ----------------------------------------------------------------------------


class RegisteredAsnFactory(factory.django.DjangoModelFactory):
    """A customer ASN registered on a route-server (IxRs) peering."""

    class Meta:
        model = pm.RegisteredAsn

    peering = factory.SubFactory(PeeringFactory)
    name = factory.Sequence(lambda n: f"customer-{n}")
    asn = factory.Sequence(lambda n: 150000 + n)  # public 4-byte ASNs


class RegisteredPrefixFactory(factory.django.DjangoModelFactory):
    """A prefix registered on a Direct Premium Free (Edge) Peering Service peering."""

    class Meta:
        model = pm.RegisteredPrefix

    peering = factory.SubFactory(PeeringFactory, direct_peering_type="Edge")
    name = factory.Sequence(lambda n: f"registered-prefix-{n}")
    prefix = factory.Sequence(lambda n: f"45.{100 + n // 256 % 100}.{n % 256}.0/24")


class PeeringServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeeringService

    subscription = factory.SubFactory(SubscriptionFactory)
    resource_group = factory.SubFactory(
        ResourceGroupFactory, subscription=factory.SelfAttribute("..subscription")
    )
    name = factory.Sequence(lambda n: f"peering-service-{n}")
    region = factory.SelfAttribute("resource_group.region")
    location = factory.SubFactory(PeeringServiceLocationFactory)
    provider = factory.SubFactory(PeeringServiceProviderFactory)
    primary_location = "Seattle"
    backup_location = ""


class PeeringServicePrefixFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PeeringServicePrefix

    peering_service = factory.SubFactory(PeeringServiceFactory)
    name = factory.Sequence(lambda n: f"prefix-{n}")
    prefix = factory.Sequence(lambda n: f"45.{200 + n // 256 % 50}.{n % 256}.0/24")
    prefix_key = factory.LazyFunction(lambda: str(uuid.uuid4()))


class PrefixEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PrefixEvent

    prefix = factory.SubFactory(PeeringServicePrefixFactory)
    event_type = "PrefixAnnouncementEvent"
    event_level = pm.PrefixEvent.Level.INFORMATION
    summary = factory.LazyAttribute(lambda o: f"{o.prefix.prefix} announced")
    timestamp = factory.LazyFunction(timezone.now)


class ReceivedRouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.ReceivedRoute

    connection = factory.SubFactory(PeeringConnectionFactory)
    prefix = "45.60.10.0/24"
    next_hop = factory.LazyAttribute(
        lambda o: o.connection.peer_session_ipv4_address or "192.0.2.10"
    )
    as_path = "59999 150000"
    origin_as = factory.LazyAttribute(lambda o: int(o.as_path.split()[-1]))
    communities = factory.LazyFunction(lambda: ["8075:8007"])
    received_at = factory.LazyFunction(timezone.now)


class VrpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Vrp

    asn = 150000
    prefix = "45.60.0.0/16"
    max_length = 24
    trust_anchor = "arin"


class AspaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Aspa

    customer_asn = factory.Sequence(lambda n: 150500 + n)
    providers = factory.LazyFunction(lambda: [59999])


class VrpSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.VrpSet

    source = "rpki-client"
    build_time = factory.LazyFunction(timezone.now)
    vrp_count = 1


class ValidationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.ValidationRun

    prefix = factory.SubFactory(PeeringServicePrefixFactory)
    state = "Verified"
    checks = factory.LazyFunction(
        lambda: [{"key": "format", "label": "IPv4", "status": "pass", "evidence": []}]
    )


class PrefixKeyAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PrefixKeyAttempt

    user = factory.SubFactory(UserFactory)


# --- A provider with its peerings, connections and routes (Peering Service tests) ------------

PROVIDER_ASN = 59999
CUSTOMER_ASN = 150001
CUSTOMER_PREFIX = "45.60.10.0/24"


@dataclass
class ProviderWorld:
    """A route-server provider: two Active connections in the primary metro, one in the backup
    metro, a registered customer ASN and (optionally) the customer's prefix received on every
    connection with a clean path and the 8075:8007 community."""

    provider: pm.PeeringServiceProvider
    subscription: portal_models.Subscription
    peer_asn: pm.PeerAsn
    peering: pm.Peering
    backup_peering: pm.Peering
    primary_connections: list
    backup_connections: list
    registered: pm.RegisteredAsn

    @property
    def connections(self) -> list:
        return self.primary_connections + self.backup_connections

    def announce(self, prefix: str = CUSTOMER_PREFIX, connections=None, **route) -> list:
        """Routes for `prefix` on the given connections (default: all of them)."""
        origin = route.pop("origin_as", self.registered.asn)
        route.setdefault("as_path", f"{self.peer_asn.peer_asn} {origin}")
        return [
            ReceivedRouteFactory(
                connection=connection,
                prefix=prefix,
                next_hop=connection.peer_session_ipv4_address,
                origin_as=origin,
                **route,
            )
            for connection in (self.connections if connections is None else connections)
        ]


def provider_world(
    *,
    subscription=None,
    name: str = "Contoso IX",
    provider_asn: int = PROVIDER_ASN,
    customer_asn: int = CUSTOMER_ASN,
    primary: str = "Seattle",
    backup: str = "Ashburn",
    direct_peering_type: str = "IxRs",
    announce: bool = True,
    roa: bool = True,
) -> ProviderWorld:
    subscription = subscription or SubscriptionFactory(display_name=name)
    provider = PeeringServiceProviderFactory(
        name=name,
        asn=provider_asn,
        kind=pm.PeeringServiceProvider.ProviderKind.EXCHANGE
        if direct_peering_type == "IxRs"
        else pm.PeeringServiceProvider.ProviderKind.ISP,
    )
    for metro in (primary, backup):
        PeeringServiceProviderLocationFactory(provider=provider, name=metro)
    peer_asn = PeerAsnFactory(
        subscription=subscription,
        peer_asn=provider_asn,
        peer_name=name,
        validation_state=ValidationState.APPROVED,
    )
    group = ResourceGroupFactory(subscription=subscription)
    peerings, connections = [], []
    # Peer addresses per metro: unique across worlds so tests can name them.
    base = {primary: 10, backup: 50}
    for metro, count in ((primary, 2), (backup, 1)):
        location = PeeringLocationFactory(name=metro)
        peering = PeeringFactory(
            subscription=subscription,
            resource_group=group,
            name=f"{name.lower().replace(' ', '-')}-{metro.lower()}",
            peer_asn=peer_asn,
            peering_location=location,
            direct_peering_type=direct_peering_type,
        )
        facility = DirectFacilityFactory(location=location)
        third = provider_asn % 200
        rows = [
            PeeringConnectionFactory(
                peering=peering,
                direct_facility=facility,
                connection_state=ConnectionState.ACTIVE,
                use_for_peering_service=True,
                session_prefix_v4=f"206.81.{third}.0/24",
                peer_session_ipv4_address=f"206.81.{third}.{base[metro] + i}",
                microsoft_session_ipv4_address=f"206.81.{third}.{base[metro] + 100 + i}",
            )
            for i in range(count)
        ]
        peerings.append(peering)
        connections.append(rows)
    registered = RegisteredAsnFactory(peering=peerings[0], name="fabrikam", asn=customer_asn)
    if roa:
        # The customer holds a ROA for its test address space (any length), so a clean
        # announcement is RPKI Valid.
        VrpFactory(asn=customer_asn, prefix="45.0.0.0/8", max_length=32)
    world = ProviderWorld(
        provider=provider,
        subscription=subscription,
        peer_asn=peer_asn,
        peering=peerings[0],
        backup_peering=peerings[1],
        primary_connections=connections[0],
        backup_connections=connections[1],
        registered=registered,
    )
    if announce:
        world.announce()
    return world


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A live API token; its raw value is unknown (use portal.services.api_token_create)."""

    class Meta:
        model = portal_models.ApiToken

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"token-{n}")
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    prefix = "pp_xxxxxxx"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


def isp_world(*, announce: bool = False) -> ProviderWorld:
    """An ISP provider (Kordia Test, AS59998) on a Direct Edge peering — bilateral sessions —
    with customer AS150003 and the registered prefix 45.70.0.0/16 (`world.registered_prefix`)."""
    world = provider_world(
        name="Kordia Test",
        provider_asn=59998,
        customer_asn=150003,
        direct_peering_type="Edge",
        announce=announce,
    )
    world.registered_prefix = RegisteredPrefixFactory(
        peering=world.peering, name="isp-block", prefix="45.70.0.0/16"
    )
    return world


# Route-server sessions use an exchange's peering LAN (issue 10): the LANs the tests' route-server
# connections are on, as exchanges of their metro. Microsoft's address on each is the .254.
ROUTE_SERVER_LANS = (
    ("192.0.2.0/24", "2001:db8:1::/64"),
    ("198.51.100.0/24", "2001:db8:2::/64"),
    ("203.0.113.0/24", "2001:db8:3::/64"),
)


def route_server_lans(location) -> list:
    """Exchanges in `location` whose LANs are the documentation ranges the tests use."""
    return [
        ExchangeFactory(
            location=location,
            name=f"LAN {v4}",
            ipv4_prefix=v4,
            ipv6_prefix=v6,
            microsoft_ipv4_address=v4.replace("0/24", "254"),
            microsoft_ipv6_address=v6.replace("/64", "fe"),
        )
        for v4, v6 in ROUTE_SERVER_LANS
    ]

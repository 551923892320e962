"""`manage.py seed_demo`: the demo world, built through the services.

Loads the reference data, then makes sure these exist (creating only what is missing, so a second
run changes nothing):

- users `operator` (Microsoft's peering team: staff and superuser), `exchange` (Owner of
  "Contoso IX", an exchange provider with a route server), `customer` (Owner of "Fabrikam", a
  customer of the exchange), `other` (Owner of "Northwind Exchange", a second exchange provider,
  to show tenant isolation) and `reader` (Reader on "Contoso IX"), all with password
  `peering-demo`. An existing user's password is left alone unless --reset-passwords is given;
- the three subscriptions with stable ids (uuid5 of a fixed namespace and the name), so demo URLs
  stay the same from one database to the next;
- a resource group per subscription, created with `resource_group_create`;
- an Approved Peer ASN for each exchange provider, associated with `peer_asn_create` by its owner
  and approved with `peer_asn_approve` by the operator (the contacts get the approval email);
- Contoso IX's signed Peering Service agreement;
- the Peering Service story: Contoso IX as a Peering Service provider (an exchange with a route
  server, AS59999, in Seattle and Ashburn); its route-server peering `contoso-ix-seattle`, created
  with `peering_create` by `exchange` with two connections at the Westin Building Exchange, moved
  to Active with Established IPv4 sessions by the operator (`connection_transition`,
  `session_state_set`); Fabrikam's ASN registered on it (`registered_asn_add`), and the routes
  Microsoft receives for Fabrikam's prefix on both connections (`received_routes_import`).
  Fabrikam's own Peering Service is not created: the customer does that in the demo, with the
  prefix key shown on the peering's Registered ASNs.
"""

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from peering.contracts import BgpSessionInput, ConnectionInput, PeeringInput
from peering.enums import (
    ConnectionState,
    ContactRole,
    DirectPeeringType,
    Kind,
    SessionState,
    SkuName,
    ValidationState,
)
from peering.models import (
    DirectFacility,
    PeerAsn,
    Peering,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
    RegisteredAsn,
)
from peering.services.lifecycle import connection_transition, session_state_set
from peering.services.peer_asns import peer_asn_approve, peer_asn_create
from peering.services.peerings import peering_create
from peering.services.registered import registered_asn_add
from peering.services.routes import parse_route, received_routes_import
from portal.models import AzureRegion, ResourceGroup, Role, RoleAssignment, Subscription
from portal.services import resource_group_create

DEMO_PASSWORD = "peering-demo"
# Fixed forever: subscription ids are uuid5(DEMO_NAMESPACE, display name).
DEMO_NAMESPACE = uuid.UUID("fdec5c0c-df45-5c47-9c6a-9b2a517b542f")

CONTOSO_IX = "Contoso IX"
FABRIKAM = "Fabrikam"
NORTHWIND = "Northwind Exchange"


def demo_subscription_id(display_name: str) -> uuid.UUID:
    """The stable id of a demo subscription."""
    return uuid.uuid5(DEMO_NAMESPACE, display_name)


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    first_name: str
    last_name: str
    description: str
    is_operator: bool = False


@dataclass(frozen=True)
class DemoPeerAsn:
    subscription: str
    owner: str
    name: str
    asn: int
    peer_name: str
    contacts: tuple[dict, ...]


USERS = (
    DemoUser(
        "operator",
        "operator@peering.example",
        "Olivia",
        "Operator",
        "Microsoft peering operator (staff, superuser): /admin/",
        is_operator=True,
    ),
    DemoUser(
        "exchange",
        "noc@contoso-ix.example",
        "Elena",
        "Exchange",
        f"Owner of '{CONTOSO_IX}', an exchange provider with a route server",
    ),
    DemoUser(
        "customer",
        "network@fabrikam.example",
        "Carlos",
        "Customer",
        f"Owner of '{FABRIKAM}', a customer of Contoso IX (Peering Service)",
    ),
    DemoUser(
        "other",
        "noc@northwind.example",
        "Oscar",
        "Other",
        f"Owner of '{NORTHWIND}', a second exchange provider (tenant isolation)",
    ),
    DemoUser(
        "reader",
        "reader@contoso-ix.example",
        "Rita",
        "Reader",
        f"Reader on '{CONTOSO_IX}' (can look, cannot change)",
    ),
)

# (subscription, Peering Service agreement signed)
SUBSCRIPTIONS = ((CONTOSO_IX, True), (FABRIKAM, False), (NORTHWIND, False))

ROLES = (
    ("exchange", CONTOSO_IX, Role.OWNER),
    ("customer", FABRIKAM, Role.OWNER),
    ("other", NORTHWIND, Role.OWNER),
    ("reader", CONTOSO_IX, Role.READER),
)

# (subscription, the owner who creates it, name, region)
RESOURCE_GROUPS = (
    (CONTOSO_IX, "exchange", "contoso-ix-peering", "eastus"),
    (FABRIKAM, "customer", "fabrikam-network", "eastus"),
    (NORTHWIND, "other", "northwind-peering", "northcentralus"),
)

# Public ASNs: the service refuses documentation, private and reserved ranges.
PEER_ASNS = (
    DemoPeerAsn(
        subscription=CONTOSO_IX,
        owner="exchange",
        name="contoso-ix-asn",
        asn=59999,
        peer_name="Contoso IX",
        contacts=(
            {
                "role": ContactRole.NOC,
                "email": "noc@contoso-ix.example",
                "phone": "+1 206 555 0100",
            },
            {"role": ContactRole.POLICY, "email": "peering@contoso-ix.example", "phone": ""},
        ),
    ),
    DemoPeerAsn(
        subscription=NORTHWIND,
        owner="other",
        name="northwind-asn",
        asn=63999,
        peer_name="Northwind Exchange",
        contacts=(
            {"role": ContactRole.NOC, "email": "noc@northwind.example", "phone": "+1 312 555 0199"},
        ),
    ),
)


# --- The Peering Service story ------------------------------------------------------------------

CONTOSO_IX_ASN = 59999  # Contoso IX's Peer ASN above: the provider's network
PROVIDER_LOCATIONS = ("Seattle", "Ashburn")
PEERING_NAME = "contoso-ix-seattle"
PEERING_METRO = "Seattle"
PEERING_FACILITY = "Westin Building Exchange"
# Contoso IX's route-server LAN in Seattle: one route server (peer) address and one Microsoft
# router address per connection, all inside the session prefix.
SESSION_PREFIX = "206.81.80.0/22"
CONNECTIONS = (
    {"peer": "206.81.80.40", "microsoft": "206.81.80.113"},
    {"peer": "206.81.80.41", "microsoft": "206.81.80.114"},
)
# Fabrikam, the exchange's customer: a public ASN and a public prefix (documentation ASNs and
# ranges such as 192.0.2.0/24 are refused by validation).
FABRIKAM_ASN = 62713
FABRIKAM_REGISTERED_NAME = "fabrikam"
FABRIKAM_PREFIX = "45.60.10.0/24"
# The operator's happy path from a new connection to Active.
TO_ACTIVE = (
    ConnectionState.PENDING_APPROVAL,
    ConnectionState.APPROVED,
    ConnectionState.PROVISIONING_STARTED,
    ConnectionState.PROVISIONING_COMPLETED,
    ConnectionState.VALIDATING,
    ConnectionState.ACTIVE,
)


class Command(BaseCommand):
    help = (
        "Create the demo users, subscriptions, resource groups, Approved Peer ASNs and the "
        "Peering Service story (Contoso IX's route-server peering, a registered ASN, routes) "
        f"(password '{DEMO_PASSWORD}'). Idempotent: running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=f"Set every demo user's password back to '{DEMO_PASSWORD}'.",
        )

    def handle(self, *args, reset_passwords: bool = False, **options):
        call_command("load_reference_data", stdout=self.stdout, stderr=self.stderr)
        try:
            with transaction.atomic():
                users = self._users(reset_passwords=reset_passwords)
                subscriptions = self._subscriptions()
                self._roles(users, subscriptions)
                self._resource_groups(users, subscriptions)
                self._peer_asns(users, subscriptions)
                self._peering_service_provider()
                peering = self._route_server_peering(users, subscriptions)
                self._registered_asn(users, peering)
                self._received_routes(users, peering)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(f"The demo data was refused: {' '.join(messages)}") from exc
        self._print_logins(subscriptions)

    # --- steps ------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.stdout.write(f"  {text}")

    def _users(self, *, reset_passwords: bool) -> dict:
        User = get_user_model()
        users = {}
        for spec in USERS:
            user, created = User.objects.get_or_create(
                username=spec.username,
                defaults={
                    "email": spec.email,
                    "first_name": spec.first_name,
                    "last_name": spec.last_name,
                    "is_staff": spec.is_operator,
                    "is_superuser": spec.is_operator,
                },
            )
            changed = []
            if created or reset_passwords:
                user.set_password(DEMO_PASSWORD)
                changed.append("password")
            if spec.is_operator and not (user.is_staff and user.is_superuser and user.is_active):
                user.is_staff = user.is_superuser = user.is_active = True
                changed += ["is_staff", "is_superuser", "is_active"]
            if changed:
                user.save(update_fields=None if created else changed)
            if created:
                self._say(f"Created user {spec.username}.")
            elif "password" in changed:
                self._say(f"Reset the password of {spec.username}.")
            users[spec.username] = user
        return users

    def _subscriptions(self) -> dict:
        subscriptions = {}
        for name, agreement_signed in SUBSCRIPTIONS:
            subscription, created = Subscription.objects.get_or_create(
                id=demo_subscription_id(name),
                defaults={
                    "display_name": name,
                    "peering_service_agreement_signed": agreement_signed,
                },
            )
            if created:
                self._say(f"Created subscription {name} ({subscription.id}).")
            elif agreement_signed and not subscription.peering_service_agreement_signed:
                # The demo relies on Contoso IX's signed agreement (Use for Peering Service).
                subscription.peering_service_agreement_signed = True
                subscription.save(update_fields=["peering_service_agreement_signed"])
                self._say(f"Recorded the Peering Service agreement of {name}.")
            subscriptions[name] = subscription
        return subscriptions

    def _roles(self, users: dict, subscriptions: dict) -> None:
        for username, subscription_name, role in ROLES:
            assignment, created = RoleAssignment.objects.get_or_create(
                user=users[username],
                subscription=subscriptions[subscription_name],
                defaults={"role": role},
            )
            if created:
                self._say(f"Made {username} {role} of {subscription_name}.")
            elif assignment.role != role:
                assignment.role = role
                assignment.save(update_fields=["role"])
                self._say(f"Made {username} {role} of {subscription_name} (was another role).")

    def _resource_groups(self, users: dict, subscriptions: dict) -> None:
        for subscription_name, owner, name, region_name in RESOURCE_GROUPS:
            subscription = subscriptions[subscription_name]
            if ResourceGroup.objects.filter(subscription=subscription, name__iexact=name).exists():
                continue
            region = AzureRegion.objects.filter(name=region_name).first()
            if region is None:
                raise CommandError(f"Region {region_name} is missing from the reference data.")
            resource_group_create(
                user=users[owner], subscription=subscription, name=name, region=region
            )
            self._say(f"Created resource group {name} in {subscription_name}.")

    def _peer_asns(self, users: dict, subscriptions: dict) -> None:
        operator = users["operator"]
        for spec in PEER_ASNS:
            subscription = subscriptions[spec.subscription]
            peer_asn = PeerAsn.objects.filter(
                subscription=subscription, name__iexact=spec.name
            ).first()
            if peer_asn is None:
                peer_asn = peer_asn_create(
                    user=users[spec.owner],
                    subscription=subscription,
                    name=spec.name,
                    peer_asn=spec.asn,
                    peer_name=spec.peer_name,
                    contacts=[dict(contact) for contact in spec.contacts],
                )
                self._say(f"Associated Peer ASN {spec.name} (AS{spec.asn}) with {subscription}.")
            if peer_asn.validation_state in (ValidationState.NONE, ValidationState.PENDING):
                peer_asn_approve(peer_asn=peer_asn, operator=operator)
                self._say(f"Approved Peer ASN {spec.name} as {operator.username}.")
            elif peer_asn.validation_state != ValidationState.APPROVED:
                # An operator rejected it on purpose while demonstrating: leave that decision.
                self._say(f"Peer ASN {spec.name} is {peer_asn.validation_state}; left as it is.")

    def _peering_service_provider(self) -> PeeringServiceProvider:
        """Contoso IX as a Peering Service provider (demo only: not in the reference data)."""
        provider = PeeringServiceProvider.objects.filter(name__iexact=CONTOSO_IX).first()
        if provider is None:
            provider = PeeringServiceProvider.objects.create(
                name=CONTOSO_IX,
                kind=PeeringServiceProvider.ProviderKind.EXCHANGE,
                asn=CONTOSO_IX_ASN,
            )
            self._say(f"Created Peering Service provider {CONTOSO_IX} (AS{CONTOSO_IX_ASN}).")
        elif provider.asn != CONTOSO_IX_ASN:
            provider.asn = CONTOSO_IX_ASN
            provider.save(update_fields=["asn"])
            self._say(f"Set the ASN of Peering Service provider {CONTOSO_IX} to {CONTOSO_IX_ASN}.")
        for name in PROVIDER_LOCATIONS:
            _, created = PeeringServiceProviderLocation.objects.get_or_create(
                provider=provider, name=name
            )
            if created:
                self._say(f"Added peering location {name} to provider {CONTOSO_IX}.")
        return provider

    def _route_server_peering(self, users: dict, subscriptions: dict) -> Peering:
        """Contoso IX's route-server peering in Seattle, Active with Established sessions."""
        subscription = subscriptions[CONTOSO_IX]
        peering = Peering.objects.filter(
            subscription=subscription, name__iexact=PEERING_NAME
        ).first()
        created = peering is None
        if created:
            facility = DirectFacility.objects.filter(
                location__name=PEERING_METRO, name=PEERING_FACILITY
            ).first()
            if facility is None:
                raise CommandError(
                    f"{PEERING_FACILITY} ({PEERING_METRO}) is missing from the reference data."
                )
            peering = peering_create(
                user=users["exchange"],
                subscription=subscription,
                data=PeeringInput(
                    name=PEERING_NAME,
                    resource_group="contoso-ix-peering",
                    kind=Kind.DIRECT,
                    sku_name=SkuName.PREMIUM_DIRECT_FREE,
                    direct_peering_type=DirectPeeringType.IX_RS,
                    peering_location=PEERING_METRO,
                    peer_asn="contoso-ix-asn",
                    connections=[
                        ConnectionInput(
                            facility_id=facility.pk,
                            bandwidth_in_mbps=10000,
                            use_for_peering_service=True,
                            bgp_session=BgpSessionInput(
                                session_prefix_v4=SESSION_PREFIX,
                                peer_session_ipv4_address=row["peer"],
                                microsoft_session_ipv4_address=row["microsoft"],
                                max_prefixes_advertised_v4=20000,
                            ),
                        )
                        for row in CONNECTIONS
                    ],
                ),
            )
            self._say(
                f"Created route-server peering {PEERING_NAME} in {PEERING_METRO} "
                f"({len(CONNECTIONS)} connections) as exchange."
            )
        operator = users["operator"]
        for connection in peering.connections.order_by("id"):
            state = connection.connection_state
            if state == ConnectionState.ACTIVE or state not in TO_ACTIVE:
                # Active already, or an operator moved it elsewhere while demonstrating.
                continue
            for to_state in TO_ACTIVE[TO_ACTIVE.index(state) + 1 :]:
                connection = connection_transition(
                    connection=connection, to_state=to_state, user=operator
                )
            if connection.peer_session_ipv4_address:
                connection = session_state_set(
                    connection=connection,
                    family=4,
                    state=SessionState.ESTABLISHED,
                    operator=operator,
                )
            self._say(
                f"Moved the connection {connection.peer_session_ipv4_address} of {PEERING_NAME} "
                "to Active (IPv4 session Established) as operator."
            )
        return peering

    def _registered_asn(self, users: dict, peering: Peering) -> None:
        if RegisteredAsn.objects.filter(asn=FABRIKAM_ASN).exists():
            return  # registered once across all peerings
        if peering.registered_asns.filter(name__iexact=FABRIKAM_REGISTERED_NAME).exists():
            return  # the demo re-registered Fabrikam under another ASN: leave it
        registered_asn_add(
            user=users["exchange"],
            peering=peering,
            name=FABRIKAM_REGISTERED_NAME,
            asn=FABRIKAM_ASN,
        )
        self._say(f"Registered Fabrikam's AS{FABRIKAM_ASN} on {PEERING_NAME} as exchange.")

    def _received_routes(self, users: dict, peering: Peering) -> None:
        """Fabrikam's prefix, received from the route server on every connection, with the ROA
        Fabrikam publishes for it (a one-VRP set, unless an operator imported real VRPs)."""
        from peering.models import VrpSet
        from peering.services.rpki import vrps_import

        now = timezone.now()
        if not VrpSet.objects.exists():
            vrps_import(
                data={
                    "metadata": {"buildtime": now.isoformat()},
                    "roas": [{"asn": FABRIKAM_ASN, "prefix": FABRIKAM_PREFIX, "maxLength": 24}],
                },
                operator=users["operator"],
                file_name="seed_demo",
            )
        for connection in peering.connections.order_by("id"):
            if connection.received_routes.exists():
                continue  # loaded before (or by an operator): an import replaces, so leave it
            route = parse_route(
                {
                    "prefix": FABRIKAM_PREFIX,
                    "next_hop": connection.peer_session_ipv4_address,
                    "as_path": f"{CONTOSO_IX_ASN} {FABRIKAM_ASN}",
                    "communities": ["8075:8007"],
                    "rpki_validation_state": "Valid",
                    "trust_anchor": "Arin",
                },
                line=1,
                now=now,
            )
            received_routes_import(
                connection=connection, routes=[route], operator=users["operator"]
            )
            self._say(
                f"Loaded the received route {FABRIKAM_PREFIX} on "
                f"{connection.peer_session_ipv4_address} ({PEERING_NAME})."
            )

    def _print_logins(self, subscriptions: dict) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo ready. Sign in with:"))
        width = max(len(spec.username) for spec in USERS)
        self.stdout.write(f"  {'Username':<{width}}  {'Password':<12}  Who")
        self.stdout.write(f"  {'-' * width}  {'-' * 12}  {'-' * 40}")
        for spec in USERS:
            self.stdout.write(
                f"  {spec.username:<{width}}  {DEMO_PASSWORD:<12}  {spec.description}"
            )
        self.stdout.write("")
        for name, subscription in subscriptions.items():
            self.stdout.write(f"  Subscription {name}: {subscription.id}")
        self.stdout.write(
            "  (Passwords are set when a user is created; --reset-passwords sets them again.)"
        )
        self.stdout.write("")
        self.stdout.write("Peering Service demo:")
        self.stdout.write(
            f"  1. Sign in as exchange: the prefix key of {FABRIKAM} (AS{FABRIKAM_ASN}) is on "
            f"{CONTOSO_IX}'s peering {PEERING_NAME} → Registered ASNs."
        )
        self.stdout.write(
            f"  2. Sign in as customer: Peering Services → Create, provider {CONTOSO_IX}, "
            f"primary {PEERING_METRO}, backup None, prefix {FABRIKAM_PREFIX} with that key."
        )

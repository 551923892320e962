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
- Contoso IX's signed Peering Service agreement.
"""

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from peering.enums import ContactRole, ValidationState
from peering.models import PeerAsn
from peering.services import peer_asn_approve, peer_asn_create
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


class Command(BaseCommand):
    help = (
        "Create the demo users, subscriptions, resource groups and Approved Peer ASNs "
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

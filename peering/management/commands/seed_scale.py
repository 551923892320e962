"""`manage.py seed_scale`: a real exchange's size in one subscription, for `make bench`.

Builds, in the subscription named by --subscription (created with a stable id if missing, the
user --user made its Owner):

- --resource-groups resource groups, --peer-asns Approved Peer ASNs;
- --peerings peerings (`scale-00000` …) with --connections each, spread over the groups, Peer
  ASNs, kinds and connection states; Active ones carry distinct session /31s;
- `scale-detail`: one peering with 16 connections (the Overview and Connections blades);
- `scale-rs-50` and `scale-rs-2000`: route-server peerings with 50 and 2,000 registered ASNs,
  the rest of --registered-asns spread over the other route-server peerings;
- --activity activity log rows and --peering-services Peering Services.

Bulk inserts in batches, rows matched on their natural keys (names, ASNs), so a second run
creates nothing and an interrupted run resumes. Every database constraint holds: names are
unique (case-insensitive) where the schema says so, ASNs are in range and unique, a connection
is at a facility xor an exchange, states are valid values.
"""

import ipaddress
import uuid
from itertools import cycle, islice

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models.functions import Lower

from peering import enums
from peering.models import (
    DirectFacility,
    Exchange,
    PeerAsn,
    Peering,
    PeeringConnection,
    PeeringService,
    PeeringServiceLocation,
    PeeringServiceProvider,
    RegisteredAsn,
)
from portal.models import (
    ActivityLog,
    ActivityStatus,
    AzureRegion,
    ResourceGroup,
    Role,
    RoleAssignment,
    Subscription,
)

BATCH = 2000
SCALE_NAMESPACE = uuid.UUID("5c0a1e00-7d1c-4b6e-9a55-0b8f3c2f1e11")
DETAIL = "scale-detail"
RS_SMALL, RS_BIG = "scale-rs-50", "scale-rs-2000"
FIRST_ASN = 396000  # public 32-bit ASNs, well clear of the demo's
SESSION_SPACE = ipaddress.ip_network("100.64.0.0/10")
# The mix of states a busy exchange shows; most connections are Active.
STATES = [enums.ConnectionState.ACTIVE] * 5 + [
    enums.ConnectionState.PENDING_APPROVAL,
    enums.ConnectionState.APPROVED,
    enums.ConnectionState.PROVISIONING_STARTED,
    enums.ConnectionState.VALIDATING,
    enums.ConnectionState.EXTERNAL_BLOCKER,
]


def scale_subscription_id(display_name: str) -> uuid.UUID:
    return uuid.uuid5(SCALE_NAMESPACE, display_name)


def _missing(model, field: str, wanted: list[str], **scope) -> list[str]:
    """The names of `wanted` not yet stored (case-insensitive) within `scope`."""
    have = {
        value.lower()
        for value in model.objects.filter(**scope)
        .annotate(_low=Lower(field))
        .values_list("_low", flat=True)
    }
    return [name for name in wanted if name.lower() not in have]


class Command(BaseCommand):
    help = "Build a large dataset (10k peerings, 40k connections, 10k registered ASNs) in bulk."

    def add_arguments(self, parser):
        parser.add_argument("--subscription", default="Scale IX")
        parser.add_argument("--user", default="scale")
        parser.add_argument("--password", default="scale-bench-password")
        parser.add_argument("--peerings", type=int, default=10000)
        parser.add_argument("--connections", type=int, default=4)
        parser.add_argument("--registered-asns", type=int, default=10000)
        parser.add_argument("--resource-groups", type=int, default=100)
        parser.add_argument("--peer-asns", type=int, default=500)
        parser.add_argument("--activity", type=int, default=10000)
        parser.add_argument("--peering-services", type=int, default=1000)
        parser.add_argument(
            "--asn-offset",
            type=int,
            default=0,
            help="Added to every registered ASN: registered ASNs are unique across all "
            "subscriptions, so a second dataset needs its own range.",
        )

    def handle(self, *args, **options):
        if not AzureRegion.objects.exists() or not DirectFacility.objects.exists():
            call_command("load_reference_data", verbosity=0)
        facility = DirectFacility.objects.select_related("location").order_by("id").first()
        exchange = Exchange.objects.filter(location=facility.location).order_by("id").first()
        if facility is None or exchange is None:
            raise CommandError("The reference data has no metro with a facility and an exchange.")
        self.facility, self.exchange = facility, exchange
        self.metro = facility.location
        self.region = self.metro.azure_region or AzureRegion.objects.order_by("name").first()
        with transaction.atomic():
            self._tenant(options)
            self._groups_and_asns(options)
        self._peerings(options)
        with transaction.atomic():
            self._registered_asns(options)
            self._activity(options)
            self._peering_services(options)
        self._analyze()
        counts = {
            "peerings": Peering.objects.filter(subscription=self.subscription).count(),
            "connections": PeeringConnection.objects.filter(
                peering__subscription=self.subscription
            ).count(),
            "registered ASNs": RegisteredAsn.objects.filter(
                peering__subscription=self.subscription
            ).count(),
        }
        summary = ", ".join(f"{count} {label}" for label, count in counts.items())
        self.stdout.write(f"{self.subscription.display_name} ({self.subscription.pk}): {summary}")

    def _analyze(self):
        """Fresh planner statistics (and, on PostgreSQL, the visibility map index-only scans
        need): right after a bulk load the planner would still think the tables are empty."""
        tables = [
            model._meta.db_table
            for model in (Peering, PeeringConnection, RegisteredAsn, PeerAsn, ActivityLog)
        ] + [ResourceGroup._meta.db_table, PeeringService._meta.db_table]
        with connection.cursor() as cursor:
            for table in tables:
                quoted = connection.ops.quote_name(table)
                if connection.vendor == "postgresql" and not connection.in_atomic_block:
                    cursor.execute(f"VACUUM ANALYZE {quoted}")
                else:
                    cursor.execute(f"ANALYZE {quoted}")

    # --- pieces --------------------------------------------------------------------------------

    def _tenant(self, options):
        name = options["subscription"]
        self.subscription, _ = Subscription.objects.get_or_create(
            pk=scale_subscription_id(name), defaults={"display_name": name}
        )
        user_model = get_user_model()
        self.user, created = user_model.objects.get_or_create(
            username=options["user"], defaults={"email": f"{options['user']}@example.net"}
        )
        if created:
            self.user.set_password(options["password"])
            self.user.save(update_fields=["password"])
        RoleAssignment.objects.get_or_create(
            user=self.user, subscription=self.subscription, defaults={"role": Role.OWNER}
        )

    def _groups_and_asns(self, options):
        names = [f"scale-rg-{n:03d}" for n in range(options["resource_groups"])]
        ResourceGroup.objects.bulk_create(
            ResourceGroup(subscription=self.subscription, name=name, region=self.region)
            for name in _missing(ResourceGroup, "name", names, subscription=self.subscription)
        )
        self.groups = list(
            ResourceGroup.objects.filter(subscription=self.subscription, name__in=names).order_by(
                "name"
            )
        )
        asn_names = [f"scale-asn-{n:04d}" for n in range(options["peer_asns"])]
        PeerAsn.objects.bulk_create(
            (
                PeerAsn(
                    subscription=self.subscription,
                    name=name,
                    peer_asn=FIRST_ASN + int(name.rsplit("-", 1)[1]),
                    peer_name=f"Scale network {name.rsplit('-', 1)[1]}",
                    validation_state=enums.ValidationState.APPROVED,
                )
                for name in _missing(PeerAsn, "name", asn_names, subscription=self.subscription)
            ),
            batch_size=BATCH,
        )
        self.peer_asns = list(
            PeerAsn.objects.filter(subscription=self.subscription, name__in=asn_names).order_by(
                "name"
            )
        )

    def _peering(self, name: str, index: int, *, route_server: bool = False) -> Peering:
        exchange = not route_server and index % 4 == 3
        return Peering(
            subscription=self.subscription,
            resource_group=self.groups[index % len(self.groups)],
            name=name,
            region=self.region,
            kind=enums.Kind.EXCHANGE if exchange else enums.Kind.DIRECT,
            sku_name=enums.SkuName.BASIC_EXCHANGE_FREE
            if exchange
            else enums.SkuName.PREMIUM_DIRECT_FREE,
            peering_location=self.metro,
            direct_peering_type=""
            if exchange
            else (enums.DirectPeeringType.IX_RS if route_server or index % 4 == 0 else "Edge"),
            peer_asn=self.peer_asns[index % len(self.peer_asns)],
            created_by=self.user,
        )

    def _connections(self, peering: Peering, count: int, offset: int):
        for n in range(count):
            state = STATES[(offset + n) % len(STATES)]
            connection = PeeringConnection(
                peering=peering,
                session_address_provider=enums.SessionAddressProvider.MICROSOFT,
                bandwidth_mbps=10000,
                provisioned_bandwidth_mbps=10000 if state == enums.ConnectionState.ACTIVE else 0,
                connection_state=state,
            )
            if peering.kind == enums.Kind.EXCHANGE:
                connection.exchange = self.exchange
            else:
                connection.direct_facility = self.facility
            if state == enums.ConnectionState.ACTIVE:
                # A distinct /31 per connection: (peering id, n) never repeats.
                base = SESSION_SPACE.network_address + 2 * (peering.pk * 16 + n)
                connection.session_prefix_v4 = f"{base}/31"
                connection.microsoft_session_ipv4_address = str(base)
                connection.peer_session_ipv4_address = str(base + 1)
                connection.session_state_v4 = enums.SessionState.ESTABLISHED
            yield connection

    def _peerings(self, options):
        wanted = [(f"scale-{n:05d}", n, options["connections"]) for n in range(options["peerings"])]
        wanted += [(DETAIL, 1, 16), (RS_SMALL, 0, 2), (RS_BIG, 0, 2)]
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            by_name = {name: (index, count) for name, index, count in chunk}
            missing = _missing(Peering, "name", list(by_name), subscription=self.subscription)
            if not missing:
                continue
            with transaction.atomic():
                Peering.objects.bulk_create(
                    self._peering(name, by_name[name][0], route_server=name.startswith("scale-rs"))
                    for name in missing
                )
                created = Peering.objects.filter(subscription=self.subscription, name__in=missing)
                PeeringConnection.objects.bulk_create(
                    (
                        connection
                        for peering in created
                        for connection in self._connections(
                            peering, by_name[peering.name][1], by_name[peering.name][0]
                        )
                    ),
                    batch_size=BATCH,
                )
            self.stdout.write(f"  peerings {start + len(chunk)}/{len(wanted)}")

    def _registered_asns(self, options):
        total = options["registered_asns"]
        small = Peering.objects.get(subscription=self.subscription, name=RS_SMALL)
        big = Peering.objects.get(subscription=self.subscription, name=RS_BIG)
        others = list(
            Peering.objects.filter(
                subscription=self.subscription,
                direct_peering_type=enums.DirectPeeringType.IX_RS,
                name__startswith="scale-0",
            ).order_by("name")
        )
        targets = [small] * min(50, total) + [big] * min(2000, max(total - 50, 0))
        rest = max(total - len(targets), 0)
        targets += list(islice(cycle(others), rest)) if others else []
        first = FIRST_ASN * 10 + options["asn_offset"]
        existing = set(
            RegisteredAsn.objects.filter(asn__gte=first, asn__lt=first + total).values_list(
                "asn", flat=True
            )
        )
        RegisteredAsn.objects.bulk_create(
            (
                RegisteredAsn(
                    peering=peering,
                    name=f"customer-{n:05d}",
                    asn=first + n,
                    created_by=self.user,
                )
                for n, peering in enumerate(targets)
                if first + n not in existing
            ),
            batch_size=BATCH,
        )

    def _activity(self, options):
        have = ActivityLog.objects.filter(
            subscription=self.subscription, operation="Microsoft.Peering/peerings/scale"
        ).count()
        statuses = [ActivityStatus.SUCCEEDED] * 3 + [ActivityStatus.FAILED]
        ActivityLog.objects.bulk_create(
            (
                ActivityLog(
                    subscription=self.subscription,
                    user=self.user,
                    caller=self.user.username,
                    operation="Microsoft.Peering/peerings/scale",
                    operation_display="Create or update peering",
                    resource_id=(
                        f"/subscriptions/{self.subscription.pk}/resourceGroups/"
                        f"{self.groups[n % len(self.groups)].name}/providers/"
                        f"Microsoft.Peering/peerings/scale-{n % options['peerings']:05d}"
                    ),
                    resource_group=self.groups[n % len(self.groups)].name,
                    status=statuses[n % len(statuses)],
                )
                for n in range(have, options["activity"])
            ),
            batch_size=BATCH,
        )

    def _peering_services(self, options):
        location = PeeringServiceLocation.objects.order_by("id").first()
        provider = PeeringServiceProvider.objects.order_by("id").first()
        if location is None or provider is None:
            return
        names = [f"scale-ps-{n:04d}" for n in range(options["peering_services"])]
        wanted = {name: self.groups[n % len(self.groups)] for n, name in enumerate(names)}
        missing = _missing(PeeringService, "name", names, subscription=self.subscription)
        PeeringService.objects.bulk_create(
            (
                PeeringService(
                    subscription=self.subscription,
                    resource_group=wanted[name],
                    name=name,
                    region=self.region,
                    location=location,
                    provider=provider,
                    primary_location=self.metro.name,
                    created_by=self.user,
                )
                for name in missing
            ),
            batch_size=BATCH,
        )

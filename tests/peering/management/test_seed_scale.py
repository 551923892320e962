"""seed_scale builds its dataset in bulk, inside every constraint, and a second run adds
nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from peering.enums import DirectPeeringType
from peering.management.commands.seed_scale import DETAIL, RS_BIG, RS_SMALL
from peering.models import PeerAsn, Peering, PeeringConnection, RegisteredAsn
from portal.models import ActivityLog, Role, RoleAssignment

pytestmark = pytest.mark.django_db

ARGS = [
    "--subscription=Seeded",
    "--user=seeded",
    "--peerings=40",
    "--registered-asns=120",
    "--resource-groups=4",
    "--peer-asns=5",
    "--activity=30",
    "--peering-services=3",
]


def _counts():
    return (
        Peering.objects.count(),
        PeeringConnection.objects.count(),
        RegisteredAsn.objects.count(),
        PeerAsn.objects.count(),
        ActivityLog.objects.count(),
    )


def test_seed_scale_builds_the_dataset_and_is_idempotent():
    call_command("seed_scale", *ARGS, stdout=StringIO())
    first = _counts()
    # 40 peerings with 4 connections, the 16-connection one and two route servers with 2.
    assert first[:2] == (43, 40 * 4 + 16 + 2 + 2)
    assert first[2:] == (120, 5, 30)
    call_command("seed_scale", *ARGS, stdout=StringIO())
    assert _counts() == first

    assert RoleAssignment.objects.get(user__username="seeded").role == Role.OWNER
    assert Peering.objects.get(name=DETAIL).connections.count() == 16
    assert RegisteredAsn.objects.filter(peering__name=RS_SMALL).count() == 50
    assert RegisteredAsn.objects.filter(peering__name=RS_BIG).count() == 70
    # Registered ASNs only on route-server peerings; a connection is at a facility xor an
    # exchange; Active connections have distinct session addresses.
    assert not RegisteredAsn.objects.exclude(peering__direct_peering_type=DirectPeeringType.IX_RS)
    assert not PeeringConnection.objects.filter(direct_facility=None, exchange=None)
    addresses = list(
        PeeringConnection.objects.exclude(peer_session_ipv4_address=None).values_list(
            "peer_session_ipv4_address", flat=True
        )
    )
    assert addresses and len(addresses) == len(set(addresses))


def test_a_second_dataset_takes_its_own_registered_asns():
    call_command("seed_scale", *ARGS, stdout=StringIO())
    call_command(
        "seed_scale",
        *[arg.replace("Seeded", "Other").replace("seeded", "other") for arg in ARGS],
        "--asn-offset=100000",
        stdout=StringIO(),
    )
    assert RegisteredAsn.objects.count() == 240

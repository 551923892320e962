"""Races in the peering lifecycle, on PostgreSQL where the rows are really locked.

Two operators acting on one connection, two peers taking one address at one facility, two
deprovisioning requests for one peering: one wins, the other gets a clear ValidationError (never
an IntegrityError or a server error), and exactly one record is written.
"""

import contextlib
import importlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from peering.enums import ConnectionState as S
from peering.enums import Kind, SkuName
from peering.models import ConnectionTransition, DeprovisionRequest, PeeringConnection
from peering.services.connections import connection_add, connection_update
from peering.services.deprovision import (
    deprovision_accept,
    deprovision_decline,
    deprovision_request,
)
from peering.services.lifecycle import connection_allocate_addresses, connection_transition
from portal.models import ActivityLog, Role
from tests import factories
from tests.concurrency.test_peer_asns import _AtomicAfterBarrier, run_together, split

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent unique checks need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def metro(db):
    return factories.PeeringLocationFactory(name="Seattle")


@pytest.fixture
def facility(metro):
    return factories.DirectFacilityFactory(
        location=metro, name="Equinix SE2", direct_peering_types=["Edge", "IxRs", "Voice"]
    )


def edge_peering(subscription, metro, name="contoso-edge"):
    peering = factories.PeeringFactory(
        subscription=subscription,
        name=name,
        kind=Kind.DIRECT,
        sku_name=SkuName.BASIC_DIRECT_FREE,
        direct_peering_type="Edge",
        peering_location=metro,
    )
    factories.PeerContactFactory(peer_asn=peering.peer_asn, email=f"noc@{name}.example")
    return peering


def test_approve_and_mark_failed_at_once(subscription, operator, metro, facility, mailoutbox):
    second_operator = factories.UserFactory(username="operator2", is_staff=True)
    conn = factories.PeeringConnectionFactory(
        peering=edge_peering(subscription, metro), direct_facility=facility
    )
    seen_by_first = PeeringConnection.objects.get(pk=conn.pk)
    seen_by_second = PeeringConnection.objects.get(pk=conn.pk)

    results = run_together(
        lambda: connection_transition(connection=seen_by_first, to_state=S.APPROVED, user=operator),
        lambda: connection_transition(
            connection=seen_by_second,
            to_state=S.PROVISIONING_FAILED,
            user=second_operator,
            note="No LOA from the colo.",
        ),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, PeeringConnection)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert "since you loaded it" in losses[0].messages[0]
    assert f"changed from PendingApproval to {wins[0].connection_state}" in losses[0].messages[0]
    conn.refresh_from_db()
    assert conn.connection_state == wins[0].connection_state
    transition = ConnectionTransition.objects.get()
    assert transition.to_state == conn.connection_state
    assert ActivityLog.objects.count() == 1
    assert len(mailoutbox) == 1  # both moves are milestones; only the winner's is sent


def test_the_same_move_twice_at_once(subscription, operator, metro, facility):
    second_operator = factories.UserFactory(username="operator2", is_staff=True)
    conn = factories.PeeringConnectionFactory(
        peering=edge_peering(subscription, metro), direct_facility=facility
    )
    results = run_together(
        lambda: connection_transition(connection=conn, to_state=S.APPROVED, user=operator),
        lambda: connection_transition(connection=conn, to_state=S.APPROVED, user=second_operator),
        barrier=threading.Barrier(2),
    )
    wins, losses = split(results, PeeringConnection)
    assert len(wins) == 1 and len(losses) == 1, results
    assert type(losses[0]) is ValidationError, results
    assert ConnectionTransition.objects.count() == 1


def _peer(subscription, username):
    user = factories.UserFactory(username=username)
    factories.RoleAssignmentFactory(user=user, subscription=subscription, role=Role.OWNER)
    return user


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "both-pass-the-check"])
def test_two_peers_take_the_same_address_at_once(
    subscription, other_subscription, metro, facility, monkeypatch, forced
):
    first = edge_peering(subscription, metro, "contoso-edge")
    second = edge_peering(other_subscription, metro, "northwind-edge")
    # Each peering already has a connection elsewhere, so the facility row is the only lock
    # the two requests share.
    elsewhere = factories.DirectFacilityFactory(location=metro, name="Westin")
    for n, peering in enumerate((first, second)):
        factories.PeeringConnectionFactory(
            peering=peering,
            direct_facility=elsewhere,
            session_prefix_v4=f"192.0.2.{8 + 2 * n}/31",
            peer_session_ipv4_address=f"192.0.2.{8 + 2 * n}",
            microsoft_session_ipv4_address=f"192.0.2.{9 + 2 * n}",
        )
    if forced:
        monkeypatch.setattr(
            "peering.services.connections.transaction", _AtomicAfterBarrier(threading.Barrier(2))
        )
    row = {
        "facility": str(facility.pk),
        "session_address_provider": "Peer",
        "bandwidth_mbps": "10000",
        "session_prefix_v4": "203.0.113.0/31",
        "max_prefixes_advertised_v4": "1000",
    }
    alice = _peer(subscription, "alice")
    bob = _peer(other_subscription, "bob")

    results = run_together(
        lambda: connection_add(user=alice, peering=first, row=dict(row)),
        lambda: connection_add(user=bob, peering=second, row=dict(row)),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, PeeringConnection)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert "already used at Equinix SE2" in losses[0].message_dict["peer_session_ipv4_address"][0]
    assert PeeringConnection.objects.filter(direct_facility=facility).count() == 1
    assert ActivityLog.objects.filter(operation_display="Add connection").count() == 1


def test_two_deprovision_requests_at_once(subscription, owner, metro, facility):
    """The peering row lock serialises them (a forced interleaving cannot pass it: the second
    request waits on the lock); the unique constraint would catch what got past."""
    peering = edge_peering(subscription, metro)
    factories.PeeringConnectionFactory(
        peering=peering, direct_facility=facility, connection_state=S.ACTIVE
    )
    contributor = _peer(subscription, "contributor")

    results = run_together(
        lambda: deprovision_request(user=owner, peering=peering, reason="Leaving the metro."),
        lambda: deprovision_request(user=contributor, peering=peering, reason="Cost cutting."),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, DeprovisionRequest)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert "already open" in losses[0].messages[0]
    assert DeprovisionRequest.objects.count() == 1
    assert ActivityLog.objects.filter(operation_display="Request deprovisioning").count() == 1


def test_accept_and_decline_at_once(subscription, owner, operator, metro, facility, mailoutbox):
    second_operator = factories.UserFactory(username="operator2", is_staff=True)
    peering = edge_peering(subscription, metro)
    conn = factories.PeeringConnectionFactory(
        peering=peering, direct_facility=facility, connection_state=S.ACTIVE
    )
    request = deprovision_request(user=owner, peering=peering, reason="Leaving the metro.")
    mailoutbox.clear()

    results = run_together(
        lambda: deprovision_accept(operator=operator, request=request),
        lambda: deprovision_decline(operator=second_operator, request=request, reason="No."),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, DeprovisionRequest)
    assert len(wins) == 1 and len(losses) == 1, results
    assert type(losses[0]) is ValidationError, results
    request.refresh_from_db()
    conn.refresh_from_db()
    assert request.state == wins[0].state
    if request.state == DeprovisionRequest.State.ACCEPTED:
        assert conn.connection_state == S.PENDING_REMOVE
        assert ConnectionTransition.objects.count() == 1
    else:
        assert conn.connection_state == S.ACTIVE
        assert ConnectionTransition.objects.count() == 0
    assert len(mailoutbox) == 1


def test_two_allocations_at_one_facility_at_once(subscription, operator, metro, facility):
    second_operator = factories.UserFactory(username="operator2", is_staff=True)
    factories.FacilityAddressPoolFactory(
        direct_facility=facility, ipv4_pool="203.0.113.0/24", ipv6_pool=""
    )
    peering = edge_peering(subscription, metro)
    conns = [
        factories.PeeringConnectionFactory(
            peering=peering,
            direct_facility=facility,
            session_address_provider="Microsoft",
            session_prefix_v4="",
            peer_session_ipv4_address=None,
            microsoft_session_ipv4_address=None,
        )
        for _ in range(2)
    ]

    results = run_together(
        lambda: connection_allocate_addresses(connection=conns[0], operator=operator),
        lambda: connection_allocate_addresses(connection=conns[1], operator=second_operator),
        barrier=threading.Barrier(2),
    )

    wins, _ = split(results, PeeringConnection)
    assert len(wins) == 2, results
    prefixes = sorted(
        PeeringConnection.objects.filter(pk__in=[c.pk for c in conns]).values_list(
            "session_prefix_v4", flat=True
        )
    )
    assert prefixes == ["203.0.113.0/31", "203.0.113.2/31"]


# --- address checks that no shared lock serialises ----------------------------------------------


def _pause_after(target: str, monkeypatch, barrier: threading.Barrier) -> None:
    """Wrap the address check `target` so each thread waits, after checking, until the other
    has checked too — the worst interleaving, made certain. If a lock keeps the other thread
    from getting there, the wait gives up after a moment and the thread goes on: with a proper
    lock the test passes."""
    module_path, name = target.rsplit(".", 1)
    module = importlib.import_module(module_path)
    original = getattr(module, name)

    def checked_then_wait(*args, **kwargs):
        result = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return result

    monkeypatch.setattr(module, name, checked_then_wait)


def test_adding_a_session_and_a_connection_with_the_same_address_at_once(
    subscription, other_subscription, metro, facility, monkeypatch
):
    mine = edge_peering(subscription, metro, "contoso-edge")
    theirs = edge_peering(other_subscription, metro, "northwind-edge")
    active = factories.PeeringConnectionFactory(
        peering=mine,
        direct_facility=facility,
        connection_state=S.ACTIVE,
        session_prefix_v4="192.0.2.0/31",
        peer_session_ipv4_address="192.0.2.0",
        microsoft_session_ipv4_address="192.0.2.1",
    )
    factories.PeeringConnectionFactory(
        peering=theirs,
        direct_facility=factories.DirectFacilityFactory(location=metro, name="Westin"),
        session_prefix_v4="192.0.2.8/31",
        peer_session_ipv4_address="192.0.2.8",
        microsoft_session_ipv4_address="192.0.2.9",
    )
    _pause_after(
        "peering.services.connections.connections_check_addresses",
        monkeypatch,
        threading.Barrier(2),
    )
    alice = _peer(subscription, "alice")
    bob = _peer(other_subscription, "bob")
    v6 = {"session_prefix_v6": "2001:db8:1::/127", "max_prefixes_advertised_v6": "100"}

    results = run_together(
        lambda: connection_update(user=alice, connection=active, data=dict(v6)),
        lambda: connection_add(
            user=bob,
            peering=theirs,
            row={
                "facility": str(facility.pk),
                "session_address_provider": "Peer",
                "bandwidth_mbps": "10000",
                "session_prefix_v4": "192.0.2.2/31",
                "max_prefixes_advertised_v4": "1000",
                **v6,
            },
        ),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, PeeringConnection)
    assert len(wins) == 1 and len(losses) == 1, results
    assert type(losses[0]) is ValidationError, results
    holders = PeeringConnection.objects.filter(
        direct_facility=facility, peer_session_ipv6_address="2001:db8:1::"
    )
    assert holders.count() == 1


def test_two_operators_type_the_same_prefix_at_once(
    subscription, operator, metro, facility, monkeypatch
):
    second_operator = factories.UserFactory(username="operator2", is_staff=True)
    peering = edge_peering(subscription, metro)
    conns = [
        factories.PeeringConnectionFactory(
            peering=peering,
            direct_facility=facility,
            session_address_provider="Microsoft",
            session_prefix_v4="",
            peer_session_ipv4_address=None,
            microsoft_session_ipv4_address=None,
        )
        for _ in range(2)
    ]
    _pause_after("peering.services.lifecycle.addresses_used_at", monkeypatch, threading.Barrier(2))

    results = run_together(
        lambda: connection_allocate_addresses(
            connection=conns[0], operator=operator, session_prefix_v4="198.51.100.0/31"
        ),
        lambda: connection_allocate_addresses(
            connection=conns[1], operator=second_operator, session_prefix_v4="198.51.100.0/31"
        ),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, PeeringConnection)
    assert len(wins) == 1 and len(losses) == 1, results
    assert type(losses[0]) is ValidationError, results
    assert PeeringConnection.objects.filter(peer_session_ipv4_address="198.51.100.0").count() == 1

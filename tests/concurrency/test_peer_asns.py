"""Races between two requests, on PostgreSQL where the rows are really locked.

Each test lines two threads up on a Barrier; each thread has its own database connection and
closes it at the end. The loser of every race gets a ValidationError, never an IntegrityError.
"""

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from peering.enums import ValidationState
from peering.models import PeerAsn, PeerContact
from peering.services.peer_asns import peer_asn_approve, peer_asn_create, peer_asn_reject
from portal.models import ActivityLog, ResourceGroup
from portal.services import resource_group_create
from tests import factories

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent unique checks need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 20


def run_together(*calls: Callable[[], object], barrier: threading.Barrier) -> list:
    """Run each call in its own thread, all released at once; return results or exceptions."""
    results: list = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            results[index] = call()
        except BaseException as exc:  # the test inspects whatever happened
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 2)
        assert not thread.is_alive(), "a thread is stuck (deadlock?)"
    return results


def split(results: list, kind: type) -> tuple[list, list]:
    wins = [r for r in results if isinstance(r, kind)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) + len(losses) == len(results), results
    return wins, losses


class _AtomicAfterBarrier:
    """Stands in for `django.db.transaction` in a service module: `atomic()` first waits until
    every thread has got there, so all of them have passed their "does it exist?" checks before
    any inserts — the worst interleaving, made certain instead of likely."""

    def __init__(self, barrier: threading.Barrier):
        self._barrier = barrier

    def atomic(self, *args, **kwargs):
        self._barrier.wait(timeout=TIMEOUT)
        return transaction.atomic(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(transaction, name)


def _create_peer_asn(user, subscription, name: str, asn: int) -> Callable[[], PeerAsn]:
    return lambda: peer_asn_create(
        user=user,
        subscription=subscription,
        name=name,
        peer_asn=asn,
        peer_name="Contoso",
        contacts=[{"role": "Noc", "email": f"noc{asn}@contoso.net", "phone": ""}],
    )


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "both-pass-the-check"])
def test_same_peer_asn_name_at_once(owner, subscription, monkeypatch, forced):
    if forced:
        monkeypatch.setattr(
            "peering.services.peer_asns.transaction", _AtomicAfterBarrier(threading.Barrier(2))
        )
    results = run_together(
        _create_peer_asn(owner, subscription, "contoso-asn", 13335),
        _create_peer_asn(owner, subscription, "Contoso-ASN", 8075),
        barrier=threading.Barrier(2),
    )
    wins, losses = split(results, PeerAsn)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert set(losses[0].message_dict) == {"name"}
    assert PeerAsn.objects.count() == 1
    assert PeerContact.objects.count() == 1  # the loser's contacts rolled back with it
    assert ActivityLog.objects.count() == 1


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "both-pass-the-check"])
def test_same_asn_twice_at_once(owner, subscription, monkeypatch, forced):
    if forced:
        monkeypatch.setattr(
            "peering.services.peer_asns.transaction", _AtomicAfterBarrier(threading.Barrier(2))
        )
    results = run_together(
        _create_peer_asn(owner, subscription, "first", 13335),
        _create_peer_asn(owner, subscription, "second", 13335),
        barrier=threading.Barrier(2),
    )
    wins, losses = split(results, PeerAsn)
    assert len(wins) == 1 and len(losses) == 1, results
    assert type(losses[0]) is ValidationError, results
    assert PeerAsn.objects.count() == 1


def test_two_operators_approve_at_once(subscription, operator, mailoutbox):
    second_operator = factories.UserFactory(username="operator2", is_staff=True)
    peer_asn = factories.PeerAsnFactory(subscription=subscription, peer_asn=13335)
    factories.PeerContactFactory(peer_asn=peer_asn, email="noc@contoso.net")

    results = run_together(
        lambda: peer_asn_approve(peer_asn=peer_asn, operator=operator),
        lambda: peer_asn_approve(peer_asn=peer_asn, operator=second_operator),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, PeerAsn)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert "changed from Pending to Approved" in losses[0].messages[0]
    peer_asn.refresh_from_db()
    assert peer_asn.validation_state == ValidationState.APPROVED
    assert peer_asn.decided_by == wins[0].decided_by
    assert ActivityLog.objects.filter(operation__endswith="validate/action").count() == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["noc@contoso.net"]


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "both-pass-the-check"])
def test_resource_groups_differing_only_in_case(owner, subscription, region, monkeypatch, forced):
    if forced:
        monkeypatch.setattr(
            "portal.services.transaction", _AtomicAfterBarrier(threading.Barrier(2))
        )
    results = run_together(
        lambda: resource_group_create(
            user=owner, subscription=subscription, name="rg-edge", region=region
        ),
        lambda: resource_group_create(
            user=owner, subscription=subscription, name="RG-Edge", region=region
        ),
        barrier=threading.Barrier(2),
    )
    wins, losses = split(results, ResourceGroup)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert set(losses[0].message_dict) == {"name"}
    assert ResourceGroup.objects.count() == 1
    assert ActivityLog.objects.count() == 1


def test_approve_and_reject_at_once(subscription, operator, mailoutbox):
    second_operator = factories.UserFactory(username="operator2", is_staff=True)
    peer_asn = factories.PeerAsnFactory(subscription=subscription, peer_asn=13335)
    factories.PeerContactFactory(peer_asn=peer_asn, email="noc@contoso.net")

    results = run_together(
        lambda: peer_asn_approve(peer_asn=peer_asn, operator=operator),
        lambda: peer_asn_reject(peer_asn=peer_asn, operator=second_operator, reason="No LOA"),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, PeerAsn)
    assert len(wins) == 1 and len(losses) == 1, results
    assert type(losses[0]) is ValidationError, results
    peer_asn.refresh_from_db()
    assert peer_asn.validation_state == wins[0].validation_state
    assert len(mailoutbox) == 1

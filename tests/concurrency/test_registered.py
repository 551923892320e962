"""Races on the provider side of Peering Service, on PostgreSQL where rows are really locked.

Same pattern as tests/test_concurrency.py: two threads released together by a Barrier, each
with its own connection; "both-pass-the-check" makes both threads finish their "is it taken?"
queries before either inserts. The loser gets a ValidationError, never an IntegrityError.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from peering.models import RegisteredAsn, RegisteredPrefix
from peering.services.registered import (
    registered_asn_add,
    registered_asn_rotate_key,
    registered_prefix_add,
)
from portal.models import ActivityLog
from tests import factories
from tests.concurrency.test_peer_asns import _AtomicAfterBarrier, run_together, split

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent unique checks need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

SERVICE = "peering.services.registered.transaction"


@pytest.fixture
def two_exchanges(subscription, other_subscription, owner, outsider):
    """Contoso IX (Owner `owner`) and Northwind Exchange (Owner `outsider`), each with a
    route-server peering with Active connections."""
    contoso = factories.provider_world(subscription=subscription, announce=False)
    northwind = factories.provider_world(
        subscription=other_subscription,
        name="Northwind Exchange",
        provider_asn=63999,
        customer_asn=150002,
        announce=False,
    )
    return (owner, contoso.peering), (outsider, northwind.peering)


@pytest.fixture
def two_isps(subscription, other_subscription, owner, outsider):
    """Two ISP partners, each with a Direct Premium Free Edge peering used for Peering Service."""
    first = factories.provider_world(
        subscription=subscription,
        name="First ISP",
        provider_asn=59998,
        direct_peering_type="Edge",
        announce=False,
    )
    second = factories.provider_world(
        subscription=other_subscription,
        name="Second ISP",
        provider_asn=63998,
        customer_asn=150004,
        direct_peering_type="Edge",
        announce=False,
    )
    return (owner, first.peering), (outsider, second.peering)


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "both-pass-the-check"])
def test_same_customer_asn_registered_at_once_on_two_peerings(two_exchanges, monkeypatch, forced):
    if forced:
        monkeypatch.setattr(SERVICE, _AtomicAfterBarrier(threading.Barrier(2)))
    before = ActivityLog.objects.count()
    (user_a, peering_a), (user_b, peering_b) = two_exchanges

    results = run_together(
        lambda: registered_asn_add(user=user_a, peering=peering_a, name="tailspin", asn=150500),
        lambda: registered_asn_add(user=user_b, peering=peering_b, name="tailspin", asn=150500),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, RegisteredAsn)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert set(losses[0].message_dict) == {"asn"}
    assert "AS150500 is already registered" in losses[0].message_dict["asn"][0]
    assert RegisteredAsn.objects.filter(asn=150500).count() == 1
    assert ActivityLog.objects.count() == before + 1  # the loser's log entry rolled back


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "both-pass-the-check"])
def test_same_name_at_once_on_one_peering(two_exchanges, monkeypatch, forced):
    if forced:
        monkeypatch.setattr(SERVICE, _AtomicAfterBarrier(threading.Barrier(2)))
    (user, peering), _ = two_exchanges

    results = run_together(
        lambda: registered_asn_add(user=user, peering=peering, name="tailspin", asn=150500),
        lambda: registered_asn_add(user=user, peering=peering, name="TAILSPIN", asn=150501),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, RegisteredAsn)
    assert len(wins) == 1 and len(losses) == 1, results
    assert type(losses[0]) is ValidationError, results
    assert RegisteredAsn.objects.filter(peering=peering, name__iexact="tailspin").count() == 1


@pytest.mark.parametrize("forced", [False, True], ids=["natural", "both-pass-the-check"])
def test_same_registered_prefix_at_once(two_isps, monkeypatch, forced):
    if forced:
        monkeypatch.setattr(SERVICE, _AtomicAfterBarrier(threading.Barrier(2)))
    (user_a, peering_a), (user_b, peering_b) = two_isps

    results = run_together(
        lambda: registered_prefix_add(
            user=user_a, peering=peering_a, name="block", prefix="45.70.0.0/16"
        ),
        lambda: registered_prefix_add(
            user=user_b, peering=peering_b, name="block", prefix="45.70.0.0/16"
        ),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, RegisteredPrefix)
    assert len(wins) == 1, results
    assert len(losses) == 1 and type(losses[0]) is ValidationError, results
    assert set(losses[0].message_dict) == {"prefix"}
    assert RegisteredPrefix.objects.filter(prefix="45.70.0.0/16").count() == 1
    # The winner's validation ran after its commit (immediate task backend).
    winner = RegisteredPrefix.objects.get()
    assert winner.validation_state == "Failed"  # nothing announces it


def test_two_rotations_at_once_leave_one_working_key(two_exchanges, subscription):
    (user, peering), _ = two_exchanges
    registered = RegisteredAsn.objects.get(peering=peering)
    old_key = registered.prefix_key

    results = run_together(
        lambda: registered_asn_rotate_key(user=user, registered=registered),
        lambda: registered_asn_rotate_key(user=user, registered=registered),
        barrier=threading.Barrier(2),
    )

    wins, losses = split(results, RegisteredAsn)
    assert len(wins) == 2 and not losses, results  # serialised by the row lock
    registered.refresh_from_db()
    assert registered.prefix_key != old_key
    assert registered.prefix_key in {w.prefix_key for w in wins}
    assert ActivityLog.objects.filter(operation_display="Rotate prefix key").count() == 2

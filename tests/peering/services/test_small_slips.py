"""Issue 12 item 7: a reject reason does not end in "..", and an Exchange peering's
"approved" notification does not talk about a Direct LOA."""

import pytest

from peering.enums import ConnectionState as S
from peering.enums import ContactRole, Kind, SkuName, ValidationState
from peering.models import Actor
from peering.services.lifecycle import connection_transition, next_step
from peering.services.peerings import peer_asn_unusable_reason
from portal.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("ASN not in PeeringDB.", "failed validation: ASN not in PeeringDB."),
        ("ASN not in PeeringDB", "failed validation: ASN not in PeeringDB."),
        ("Is this your ASN?", "failed validation: Is this your ASN?"),
        ("", "failed validation: see the Peer ASN for details."),
    ],
)
def test_failed_peer_asn_reason_ends_in_one_period(subscription, reason, shown):
    peer_asn = factories.PeerAsnFactory(
        subscription=subscription, validation_state=ValidationState.FAILED, error_message=reason
    )
    text = peer_asn_unusable_reason(peer_asn)
    assert text.endswith(shown)
    assert ".." not in text


def _approve(subscription, operator, *, kind, mailoutbox, capture):
    exchange = None
    extra = {}
    peering = factories.PeeringFactory(
        subscription=subscription,
        kind=kind,
        sku_name=SkuName.BASIC_EXCHANGE_FREE
        if kind == Kind.EXCHANGE
        else SkuName.BASIC_DIRECT_FREE,
        direct_peering_type="" if kind == Kind.EXCHANGE else "Edge",
    )
    factories.PeerContactFactory(
        peer_asn=peering.peer_asn, role=ContactRole.NOC, email="noc@contoso.example"
    )
    if kind == Kind.EXCHANGE:
        exchange = factories.ExchangeFactory(location=peering.peering_location)
        extra = {"direct_facility": None, "exchange": exchange}
    connection = factories.PeeringConnectionFactory(
        peering=peering, connection_state=S.PENDING_APPROVAL, **extra
    )
    with capture(execute=True):
        connection_transition(
            connection=connection, to_state=S.APPROVED, user=operator, actor=Actor.OPERATOR
        )
    notification = Notification.objects.filter(title__contains="approved").latest("id")
    return notification.body, mailoutbox[-1].body


@pytest.mark.parametrize(
    ("kind", "says", "never"),
    [
        # An Exchange connection has no cross-connect, so no LOA.
        (Kind.EXCHANGE, ["at the exchange"], ["LOA", "cross-connect"]),
        (Kind.DIRECT, ["LOA"], []),
    ],
)
def test_approved_next_step_fits_the_peerings_kind(
    subscription, owner, operator, mailoutbox, django_capture_on_commit_callbacks, kind, says, never
):
    body, email = _approve(
        subscription,
        operator,
        kind=kind,
        mailoutbox=mailoutbox,
        capture=django_capture_on_commit_callbacks,
    )
    for text in (body, email):
        assert all(word in text for word in says)
        assert not any(word in text for word in never)


def test_next_step_depends_on_kind_only_where_it_differs():
    assert "exchange" in next_step(S.APPROVED, kind=Kind.EXCHANGE).action
    assert "LOA" in next_step(S.APPROVED, kind=Kind.DIRECT).action
    assert next_step(S.VALIDATING, kind=Kind.EXCHANGE) == next_step(S.VALIDATING, kind=Kind.DIRECT)
    assert next_step("NoSuchState", kind=Kind.DIRECT) is None

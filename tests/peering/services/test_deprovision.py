"""Deprovisioning (peering.services.deprovision): the peer's tracked request, the operator's
accept / decline / complete, in that order only.

Refused while Microsoft is changing a connection (REMOVAL_BLOCKED); one open request per
peering; on accept every connection goes PendingRemove and the peering Deleting; on complete the
peering goes, the request and the Activity log stay. Emails go once, after commit.
"""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict

from peering.enums import ConnectionState as S
from peering.enums import Kind, ProvisioningState, SessionState, SkuName
from peering.models import (
    Actor,
    ConnectionTransition,
    DeprovisionRequest,
    LegacyPeering,
    Peering,
    PeeringConnection,
)
from peering.services.connections import connection_add
from peering.services.deprovision import (
    customers_using,
    deprovision_accept,
    deprovision_complete,
    deprovision_decline,
    deprovision_request,
)
from peering.services.lifecycle import REMOVAL_BLOCKED
from portal.models import ActivityLog, ActivityStatus, Notification, Role
from tests import factories

Open = DeprovisionRequest.State
CONTACTS = ["noc@contoso.net", "policy@contoso.net"]
REASON = "We are leaving the Seattle metro."


@pytest.fixture
def world(subscription, owner, reader, outsider, operator):
    contributor = factories.UserFactory(username="contributor")
    factories.RoleAssignmentFactory(
        user=contributor, subscription=subscription, role=Role.CONTRIBUTOR
    )
    metro = factories.PeeringLocationFactory(name="Seattle")
    ix = factories.ExchangeFactory(location=metro, name="Equinix Seattle")
    peering = factories.PeeringFactory(
        subscription=subscription,
        name="contoso-ix",
        kind=Kind.EXCHANGE,
        sku_name=SkuName.BASIC_EXCHANGE_FREE,
        direct_peering_type="",
        peering_location=metro,
    )
    for email in CONTACTS:
        factories.PeerContactFactory(peer_asn=peering.peer_asn, email=email)

    def connection(state=S.ACTIVE, n=10, **kwargs):
        values = {
            "peering": peering,
            "direct_facility": None,
            "exchange": ix,
            "session_address_provider": "",
            "bandwidth_mbps": None,
            "connection_state": state,
            "session_prefix_v4": "198.32.134.0/24",
            "peer_session_ipv4_address": f"198.32.134.{n}",
            "microsoft_session_ipv4_address": "198.32.134.152",
            "session_state_v4": SessionState.ESTABLISHED,
        }
        values.update(kwargs)
        return factories.PeeringConnectionFactory(**values)

    w = SimpleNamespace(
        subscription=subscription,
        owner=owner,
        contributor=contributor,
        reader=reader,
        outsider=outsider,
        operator=operator,
        metro=metro,
        ix=ix,
        peering=peering,
        connection=connection,
    )
    w.first = connection(S.ACTIVE, 10)
    w.second = connection(S.PENDING_APPROVAL, 11, session_state_v4=SessionState.PENDING_ADD)
    return w


def snapshot():
    return (
        [model_to_dict(c) for c in PeeringConnection.objects.order_by("pk")],
        [model_to_dict(p) for p in Peering.objects.order_by("pk")],
        [model_to_dict(r) for r in DeprovisionRequest.objects.order_by("pk")],
        ActivityLog.objects.count(),
        ConnectionTransition.objects.count(),
        Notification.objects.count(),
    )


@pytest.fixture
def unchanged(world):
    class Unchanged:
        def __enter__(self):
            self.before = snapshot()
            return self

        def __exit__(self, *exc):
            assert snapshot() == self.before
            return False

    return Unchanged


def request_it(world, user=None, reason=REASON):
    return deprovision_request(user=user or world.owner, peering=world.peering, reason=reason)


# --- the request ------------------------------------------------------------------------------


def test_request_is_tracked(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request = request_it(world, reason=f"  {REASON}  ")
        assert mailoutbox == []
    request.refresh_from_db()
    assert request.state == Open.REQUESTED
    assert request.peering == world.peering
    assert request.subscription == world.subscription
    assert request.peering_name == "contoso-ix"
    assert request.resource_id == world.peering.resource_id
    assert request.reason == REASON
    assert request.requested_by == world.owner
    assert request.customers_confirmed == ""
    assert request.decided_by is None and request.completed_at is None
    # Nothing moves until Microsoft accepts.
    assert set(world.peering.connections.values_list("connection_state", flat=True)) == {
        S.ACTIVE,
        S.PENDING_APPROVAL,
    }
    world.peering.refresh_from_db()
    assert world.peering.provisioning_state == ProvisioningState.SUCCEEDED
    log = ActivityLog.objects.get()
    assert log.operation == "Microsoft.Peering/peerings/deprovision/action"
    assert log.status == ActivityStatus.ACCEPTED
    assert log.user == world.owner and REASON in log.message
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == CONTACTS
    assert "Deprovisioning requested: contoso-ix" in mailoutbox[0].subject
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "contributor",
        "owner",
        "reader",
    ]


def test_contributor_may_request(world):
    assert request_it(world, user=world.contributor).requested_by == world.contributor


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 2001, "bell\x07"])
def test_request_needs_a_plain_reason(world, unchanged, reason):
    with unchanged(), pytest.raises(ValidationError) as exc:
        request_it(world, reason=reason)
    assert "reason" in exc.value.message_dict


@pytest.mark.parametrize("state", sorted(REMOVAL_BLOCKED))
def test_request_refused_while_a_connection_is_being_changed(world, unchanged, state):
    world.connection(state, 12)
    with unchanged(), pytest.raises(ValidationError, match=f"while a connection is {state}"):
        request_it(world)


@pytest.mark.parametrize(
    "state", [s for s in S.values if s not in REMOVAL_BLOCKED], ids=lambda s: s
)
def test_request_allowed_in_every_other_state(world, state):
    world.connection(state, 12)
    assert request_it(world).state == Open.REQUESTED


def test_one_open_request_at_a_time(world, unchanged):
    request_it(world)
    with unchanged(), pytest.raises(ValidationError, match="already open"):
        request_it(world, reason="Again.")


def test_one_open_request_while_accepted(world, unchanged):
    deprovision_accept(operator=world.operator, request=request_it(world))
    with unchanged(), pytest.raises(ValidationError):
        request_it(world, reason="Again.")


def test_a_new_request_after_a_decline(world):
    first = request_it(world)
    deprovision_decline(operator=world.operator, request=first, reason="Contract runs to June.")
    second = request_it(world, reason="Now it is June.")
    assert second.pk != first.pk
    assert DeprovisionRequest.objects.count() == 2


@pytest.mark.parametrize("who", ["reader", "outsider", "operator"])
def test_request_denied_without_a_write_role(world, unchanged, who):
    with unchanged(), pytest.raises(PermissionDenied):
        request_it(world, user=getattr(world, who))


def test_customers_using_is_empty_without_registered_asns(world):
    assert customers_using(world.peering) == []


def test_request_names_customers_and_needs_confirmation(world, unchanged):
    rs = factories.PeeringFactory(
        subscription=world.subscription, name="contoso-rs", peering_location=world.metro
    )
    registered = factories.RegisteredAsnFactory(peering=rs, name="fabrikam", asn=150123)
    factories.PeeringServicePrefixFactory(
        registered_asn=registered, prefix_key=str(registered.prefix_key)
    )
    assert customers_using(rs) == ["fabrikam (AS150123)"]
    with unchanged(), pytest.raises(ValidationError) as exc:
        deprovision_request(user=world.owner, peering=rs, reason=REASON)
    assert "fabrikam (AS150123)" in exc.value.message_dict["confirm_customers"][0]
    request = deprovision_request(
        user=world.owner, peering=rs, reason=REASON, confirm_customers=True
    )
    assert request.customers_confirmed == "fabrikam (AS150123)"


def test_confirmation_flow_with_customers(world, monkeypatch, unchanged):
    """The confirmation logic itself, with the customers list stubbed."""
    monkeypatch.setattr(
        "peering.services.deprovision.customers_using", lambda peering: ["Fabrikam (AS150123)"]
    )
    with unchanged(), pytest.raises(ValidationError) as exc:
        request_it(world)
    assert "Fabrikam (AS150123)" in exc.value.message_dict["confirm_customers"][0]
    request = deprovision_request(
        user=world.owner, peering=world.peering, reason=REASON, confirm_customers=True
    )
    assert request.customers_confirmed == "Fabrikam (AS150123)"


# --- accept -----------------------------------------------------------------------------------


def test_accept_moves_every_connection_to_pending_remove(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    gone_already = world.connection(S.PENDING_REMOVE, 13)
    request = request_it(world)
    logs_before = ActivityLog.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = deprovision_accept(operator=world.operator, request=request)
        assert mailoutbox == []

    request.refresh_from_db()
    assert request.state == accepted.state == Open.ACCEPTED
    assert request.decided_by == world.operator and request.decided_at is not None
    world.peering.refresh_from_db()
    assert world.peering.provisioning_state == ProvisioningState.DELETING
    for connection in (world.first, world.second, gone_already):
        connection.refresh_from_db()
        assert connection.connection_state == S.PENDING_REMOVE
    for connection in (world.first, world.second):
        assert connection.session_state_v4 == SessionState.PENDING_REMOVE
    transitions = ConnectionTransition.objects.order_by("connection_id")
    assert [(t.connection_id, t.from_state, t.to_state) for t in transitions] == [
        (world.first.pk, S.ACTIVE, S.PENDING_REMOVE),
        (world.second.pk, S.PENDING_APPROVAL, S.PENDING_REMOVE),
    ]
    assert all(t.user == world.operator and t.actor == Actor.OPERATOR for t in transitions)
    displays = list(
        ActivityLog.objects.order_by("id")[logs_before:].values_list("operation_display", flat=True)
    )
    assert displays == [
        "Update connection state",
        "Update connection state",
        "Accept deprovisioning",
    ]
    # Each connection being removed is a milestone: one email per connection, after commit.
    assert len(mailoutbox) == 2
    assert all(mail.to == CONTACTS for mail in mailoutbox)


def test_accept_refused_if_a_connection_started_provisioning_meanwhile(
    world, unchanged, mailoutbox, django_capture_on_commit_callbacks
):
    request = request_it(world)
    world.connection(S.PROVISIONING_STARTED, 14)  # added after the request (by an operator)
    mailoutbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        unchanged(),
        pytest.raises(ValidationError, match="ProvisioningStarted"),
    ):
        deprovision_accept(operator=world.operator, request=request)
    # The first connection's "being removed" email was rolled back with it.
    assert callbacks == [] and mailoutbox == []
    # The first connection was not half-moved.
    world.first.refresh_from_db()
    assert world.first.connection_state == S.ACTIVE


def test_no_new_connections_once_accepted(world, unchanged):
    deprovision_accept(operator=world.operator, request=request_it(world))
    with unchanged(), pytest.raises(ValidationError, match="being removed"):
        connection_add(
            user=world.owner,
            peering=world.peering,
            row={"facility": str(world.ix.pk), "peer_session_ipv4_address": "198.32.134.40"},
        )


def test_accept_twice_is_refused(world, unchanged):
    request = request_it(world)
    deprovision_accept(operator=world.operator, request=request)
    with unchanged(), pytest.raises(ValidationError, match="This request is Accepted"):
        deprovision_accept(operator=world.operator, request=request)


def test_accept_after_decline_is_refused(world, unchanged):
    request = request_it(world)
    deprovision_decline(operator=world.operator, request=request, reason="No.")
    with unchanged(), pytest.raises(ValidationError, match="This request is Declined"):
        deprovision_accept(operator=world.operator, request=request)


# --- decline ----------------------------------------------------------------------------------


def test_decline_with_a_reason(world, mailoutbox, django_capture_on_commit_callbacks):
    request = request_it(world)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        declined = deprovision_decline(
            operator=world.operator, request=request, reason="  The contract runs to June. "
        )
        assert mailoutbox == []
    request.refresh_from_db()
    assert request.state == declined.state == Open.DECLINED
    assert request.decline_reason == "The contract runs to June."
    assert request.decided_by == world.operator and request.decided_at is not None
    world.peering.refresh_from_db()
    assert world.peering.provisioning_state == ProvisioningState.SUCCEEDED
    world.first.refresh_from_db()
    assert world.first.connection_state == S.ACTIVE
    assert ConnectionTransition.objects.count() == 0
    log = ActivityLog.objects.latest("id")
    assert log.operation_display == "Decline deprovisioning"
    assert log.status == ActivityStatus.FAILED
    assert "The contract runs to June." in log.message
    assert len(mailoutbox) == 1 and mailoutbox[0].to == CONTACTS
    assert "declined" in mailoutbox[0].subject
    assert "The contract runs to June." in mailoutbox[0].body
    assert Notification.objects.count() == 3


@pytest.mark.parametrize("reason", ["", "  ", None, "x" * 2001, "tab\x0bvertical"])
def test_decline_needs_a_plain_reason(world, unchanged, reason):
    request = request_it(world)
    with unchanged(), pytest.raises(ValidationError) as exc:
        deprovision_decline(operator=world.operator, request=request, reason=reason)
    assert "reason" in exc.value.message_dict


def test_decline_after_accept_is_refused(world, unchanged):
    request = request_it(world)
    deprovision_accept(operator=world.operator, request=request)
    with unchanged(), pytest.raises(ValidationError, match="This request is Accepted"):
        deprovision_decline(operator=world.operator, request=request, reason="Changed my mind.")


# --- complete ---------------------------------------------------------------------------------


def test_complete_removes_the_peering_and_keeps_the_record(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    legacy = factories.LegacyPeeringFactory(
        peering_location=world.metro, exchange=world.ix, converted_to=world.peering
    )
    unrelated_legacy = factories.LegacyPeeringFactory(
        peering_location=world.metro, exchange=world.ix
    )
    request = request_it(world)
    deprovision_accept(operator=world.operator, request=request)
    resource_id = world.peering.resource_id
    logs_before = ActivityLog.objects.count()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        completed = deprovision_complete(operator=world.operator, request=request)
        assert mailoutbox == []

    assert not Peering.objects.filter(pk=world.peering.pk).exists()
    assert not PeeringConnection.objects.filter(peering_id=world.peering.pk).exists()
    assert not LegacyPeering.objects.filter(pk=legacy.pk).exists()
    assert LegacyPeering.objects.filter(pk=unrelated_legacy.pk).exists()
    request.refresh_from_db()
    assert request.state == completed.state == Open.COMPLETED
    assert request.peering is None
    assert request.resource_id == resource_id
    assert request.peering_name == "contoso-ix"
    assert request.completed_at is not None
    assert request.reason == REASON
    # The Activity log keeps every entry, plus the deletion.
    assert ActivityLog.objects.count() == logs_before + 1
    log = ActivityLog.objects.latest("id")
    assert log.operation == "Microsoft.Peering/peerings/delete"
    assert log.resource_id == resource_id
    assert log.user == world.operator
    assert ActivityLog.objects.filter(resource_id=resource_id).count() == logs_before + 1
    assert len(mailoutbox) == 1 and mailoutbox[0].to == CONTACTS
    assert "Peering removed: contoso-ix" in mailoutbox[0].subject
    assert Notification.objects.filter(title="Peering contoso-ix removed").count() == 3


def test_after_completion_the_name_can_be_used_again(world):
    request = request_it(world)
    deprovision_accept(operator=world.operator, request=request)
    deprovision_complete(operator=world.operator, request=request)
    again = factories.PeeringFactory(
        subscription=world.subscription,
        resource_group=world.peering.resource_group,
        name="contoso-ix",
    )
    # The old request does not count as open for the new peering.
    assert request_it(SimpleNamespace(owner=world.owner, peering=again)).state == Open.REQUESTED


def test_complete_before_accept_is_refused(world, unchanged):
    request = request_it(world)
    with unchanged(), pytest.raises(ValidationError, match="This request is Requested"):
        deprovision_complete(operator=world.operator, request=request)


def test_complete_twice_is_refused(world):
    request = request_it(world)
    deprovision_accept(operator=world.operator, request=request)
    deprovision_complete(operator=world.operator, request=request)
    before = (ActivityLog.objects.count(), DeprovisionRequest.objects.get().state)
    with pytest.raises(ValidationError, match="This request is Completed"):
        deprovision_complete(operator=world.operator, request=request)
    assert (ActivityLog.objects.count(), DeprovisionRequest.objects.get().state) == before


def test_complete_a_declined_request_is_refused(world, unchanged):
    request = request_it(world)
    deprovision_decline(operator=world.operator, request=request, reason="No.")
    with unchanged(), pytest.raises(ValidationError, match="This request is Declined"):
        deprovision_complete(operator=world.operator, request=request)


# --- only operators decide ----------------------------------------------------------------------


@pytest.fixture(params=["owner", "reader", "outsider", "inactive_staff", "anonymous"])
def non_operator(request, world):
    from django.contrib.auth.models import AnonymousUser

    if request.param == "inactive_staff":
        return factories.UserFactory(username="former", is_staff=True, is_active=False)
    if request.param == "anonymous":
        return AnonymousUser()
    return getattr(world, request.param)


def test_accept_is_for_operators(world, unchanged, non_operator):
    request = request_it(world)
    with unchanged(), pytest.raises(PermissionDenied):
        deprovision_accept(operator=non_operator, request=request)


def test_decline_is_for_operators(world, unchanged, non_operator):
    request = request_it(world)
    with unchanged(), pytest.raises(PermissionDenied):
        deprovision_decline(operator=non_operator, request=request, reason="No.")


def test_complete_is_for_operators(world, unchanged, non_operator):
    request = request_it(world)
    deprovision_accept(operator=world.operator, request=request)
    with unchanged(), pytest.raises(PermissionDenied):
        deprovision_complete(operator=non_operator, request=request)

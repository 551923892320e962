"""The connection state machine (peering.services.lifecycle) and the operator's tools around it.

Every (from, to) pair of ConnectionState values is tried: the moves TRANSITIONS allows succeed
for the right actor and leave a ConnectionTransition plus an Activity log row; every other pair
is refused with a ValidationError and changes nothing. Milestones notify the subscription's users
and email the Peer ASN contacts once, after commit.
"""

import itertools
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict

from peering.enums import ConnectionState as S
from peering.enums import ContactRole, Kind, SessionAddressProvider, SessionState, SkuName
from peering.models import Actor, ConnectionTransition, PeeringConnection
from peering.services.lifecycle import (
    MILESTONES,
    NEEDS_NOTE,
    NEXT_STEPS,
    REMOVAL_BLOCKED,
    TRANSITIONS,
    allowed_transitions,
    awaiting_operator_states,
    connection_allocate_addresses,
    connection_transition,
    operator_queue,
    session_state_set,
)
from portal.models import ActivityLog, ActivityStatus, Notification, Role
from tests import factories

STATES = list(S.values)
ALL_PAIRS = list(itertools.product(STATES, STATES))
ALLOWED = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS.get(a, {})]
REFUSED = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS.get(a, {})]
CONTACTS = ["noc@contoso.net", "policy@contoso.net"]


def pair_id(pair):
    return f"{pair[0]}->{pair[1]}"


def needs_note(from_state, to_state) -> bool:
    return to_state in NEEDS_NOTE or (
        from_state == S.TYPE_CHANGE_REQUESTED and to_state == S.ACTIVE
    )


@pytest.fixture
def world(subscription, owner, reader, outsider, operator):
    contributor = factories.UserFactory(username="contributor")
    factories.RoleAssignmentFactory(
        user=contributor, subscription=subscription, role=Role.CONTRIBUTOR
    )
    metro = factories.PeeringLocationFactory(name="Seattle")
    facility = factories.DirectFacilityFactory(location=metro, name="Equinix SE2")
    peering = factories.PeeringFactory(
        subscription=subscription,
        name="contoso-sea",
        peering_location=metro,
        kind=Kind.DIRECT,
        sku_name=SkuName.BASIC_DIRECT_FREE,
        direct_peering_type="Edge",
    )
    factories.PeerContactFactory(peer_asn=peering.peer_asn, role=ContactRole.NOC, email=CONTACTS[0])
    factories.PeerContactFactory(
        peer_asn=peering.peer_asn, role=ContactRole.POLICY, email=CONTACTS[1]
    )
    # A contact without an email is not mailed.
    factories.PeerContactFactory(peer_asn=peering.peer_asn, role=ContactRole.OTHER, email="")
    return SimpleNamespace(
        subscription=subscription,
        owner=owner,
        contributor=contributor,
        reader=reader,
        outsider=outsider,
        operator=operator,
        metro=metro,
        facility=facility,
        peering=peering,
    )


def make_connection(world, state=S.PENDING_APPROVAL, **kwargs) -> PeeringConnection:
    values = {
        "peering": world.peering,
        "direct_facility": world.facility,
        "connection_state": state,
        "session_prefix_v4": "192.0.2.0/31",
        "peer_session_ipv4_address": "192.0.2.0",
        "microsoft_session_ipv4_address": "192.0.2.1",
        "session_state_v4": SessionState.PENDING_ADD,
        "bandwidth_mbps": 20000,
        "error_message": "An old problem." if state in NEEDS_NOTE else "",
    }
    values.update(kwargs)
    return factories.PeeringConnectionFactory(**values)


def counts() -> tuple[int, int, int]:
    return (
        ConnectionTransition.objects.count(),
        ActivityLog.objects.count(),
        Notification.objects.count(),
    )


def row(connection) -> dict:
    fresh = PeeringConnection.objects.get(pk=connection.pk)
    data = model_to_dict(fresh)
    data["updated_at"] = fresh.updated_at
    return data


def user_for(world, actor):
    return world.operator if actor == Actor.OPERATOR else world.owner


# --- the table itself -----------------------------------------------------------------------


def test_every_state_has_a_row_and_a_next_step():
    assert set(TRANSITIONS) == set(STATES)
    assert set(NEXT_STEPS) == set(STATES)
    for moves in TRANSITIONS.values():
        assert set(moves) <= set(STATES)
        assert set(moves.values()) <= {Actor.OPERATOR, Actor.PEER}


def test_no_state_moves_to_itself_and_pending_remove_is_final():
    assert all(a != b for a, b in ALLOWED)
    assert TRANSITIONS[S.PENDING_REMOVE] == {}


def test_removal_blocked_is_exactly_the_states_without_a_way_to_pending_remove():
    expected = {S.PROVISIONING_STARTED, S.PROVISIONING_COMPLETED, S.TYPE_CHANGE_IN_PROGRESS}
    assert expected == REMOVAL_BLOCKED


def test_the_peer_only_requests_a_type_change():
    peer_moves = [(a, b) for a, b in ALLOWED if TRANSITIONS[a][b] == Actor.PEER]
    assert peer_moves == [(S.ACTIVE, S.TYPE_CHANGE_REQUESTED)]


def test_allowed_transitions_filters_by_actor():
    assert allowed_transitions(S.ACTIVE) == [
        S.TYPE_CHANGE_REQUESTED,
        S.EXTERNAL_BLOCKER,
        S.PENDING_REMOVE,
    ]
    assert allowed_transitions(S.ACTIVE, actor=Actor.PEER) == [S.TYPE_CHANGE_REQUESTED]
    assert allowed_transitions(S.ACTIVE, actor=Actor.OPERATOR) == [
        S.EXTERNAL_BLOCKER,
        S.PENDING_REMOVE,
    ]
    assert allowed_transitions(S.PENDING_REMOVE) == []
    assert allowed_transitions("Nonsense") == []


def test_awaiting_operator_states_are_those_where_microsoft_acts_next():
    states = set(awaiting_operator_states())
    assert states == {s for s, step in NEXT_STEPS.items() if step.actor == Actor.OPERATOR}
    assert S.PENDING_APPROVAL in states and S.VALIDATING in states
    assert S.APPROVED not in states  # the peer configures BGP next
    assert S.ACTIVE not in states


# --- every (from, to) pair ----------------------------------------------------------------


@pytest.mark.parametrize("pair", ALLOWED, ids=pair_id)
def test_allowed_move_succeeds_and_is_recorded(world, pair):
    from_state, to_state = pair
    actor = TRANSITIONS[from_state][to_state]
    user = user_for(world, actor)
    connection = make_connection(world, from_state)
    note = "Cross-connect not ready." if needs_note(from_state, to_state) else ""
    before_transitions, before_activity, _ = counts()

    moved = connection_transition(
        connection=connection, to_state=to_state, user=user, actor=actor, note=note
    )

    assert moved.connection_state == to_state
    connection.refresh_from_db()
    assert connection.connection_state == to_state
    transition = ConnectionTransition.objects.get()
    assert before_transitions == 0
    assert (transition.connection_id, transition.from_state, transition.to_state) == (
        connection.pk,
        from_state,
        to_state,
    )
    assert (transition.user, transition.actor, transition.note) == (user, actor, note)
    assert transition.created_at is not None
    assert ActivityLog.objects.count() == before_activity + 1
    log = ActivityLog.objects.latest("id")
    assert log.subscription == world.subscription
    assert log.user == user
    assert log.operation == "Microsoft.Peering/peerings/connections/write"
    assert log.resource_id == world.peering.resource_id
    assert log.resource_group == world.peering.resource_group.name
    assert f"{from_state} → {to_state}" in log.message
    assert log.status == (
        ActivityStatus.FAILED if to_state in NEEDS_NOTE else ActivityStatus.SUCCEEDED
    )


@pytest.mark.parametrize("actor", [Actor.OPERATOR, Actor.PEER])
@pytest.mark.parametrize("pair", REFUSED, ids=pair_id)
def test_move_not_in_the_table_is_refused_and_changes_nothing(world, pair, actor):
    from_state, to_state = pair
    connection = make_connection(world, from_state)
    before, before_counts = row(connection), counts()

    with pytest.raises(ValidationError) as exc:
        connection_transition(
            connection=connection,
            to_state=to_state,
            user=user_for(world, actor),
            actor=actor,
            note="Because.",
        )

    assert exc.value.message_dict["to_state"][0].startswith(
        f"A connection cannot go from {from_state} to {to_state}."
    )
    assert row(connection) == before
    assert counts() == before_counts


@pytest.mark.parametrize("pair", ALLOWED, ids=pair_id)
def test_the_other_actor_is_denied(world, pair):
    """The peer cannot make an operator's move; the operator cannot request a type change."""
    from_state, to_state = pair
    right = TRANSITIONS[from_state][to_state]
    wrong = Actor.PEER if right == Actor.OPERATOR else Actor.OPERATOR
    connection = make_connection(world, from_state)
    before, before_counts = row(connection), counts()

    with pytest.raises(PermissionDenied, match=f"from {from_state} to {to_state}"):
        connection_transition(
            connection=connection,
            to_state=to_state,
            user=user_for(world, wrong),
            actor=wrong,
            note="Trying.",
        )

    assert row(connection) == before
    assert counts() == before_counts


def test_operator_cannot_request_the_type_change_as_the_peer(world):
    """An operator holds no role on the subscription: acting as the peer is denied too."""
    connection = make_connection(world, S.ACTIVE)
    with pytest.raises(PermissionDenied):
        connection_transition(
            connection=connection,
            to_state=S.TYPE_CHANGE_REQUESTED,
            user=world.operator,
            actor=Actor.PEER,
        )
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("who", ["owner", "contributor", "reader", "outsider", "inactive_staff"])
def test_non_operator_claiming_the_operator_actor_is_denied(world, who):
    user = (
        factories.UserFactory(username="gone", is_staff=True, is_active=False)
        if who == "inactive_staff"
        else getattr(world, who)
    )
    connection = make_connection(world, S.PENDING_APPROVAL)
    with pytest.raises(PermissionDenied, match="Only Microsoft operators"):
        connection_transition(
            connection=connection, to_state=S.APPROVED, user=user, actor=Actor.OPERATOR
        )
    connection.refresh_from_db()
    assert connection.connection_state == S.PENDING_APPROVAL
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_reader_and_outsider_cannot_request_a_type_change(world, who):
    connection = make_connection(world, S.ACTIVE)
    with pytest.raises(PermissionDenied):
        connection_transition(
            connection=connection,
            to_state=S.TYPE_CHANGE_REQUESTED,
            user=getattr(world, who),
            actor=Actor.PEER,
        )
    assert counts() == (0, 0, 0)


def test_contributor_may_request_a_type_change(world):
    connection = make_connection(world, S.ACTIVE)
    connection_transition(
        connection=connection,
        to_state=S.TYPE_CHANGE_REQUESTED,
        user=world.contributor,
        actor=Actor.PEER,
    )
    assert ConnectionTransition.objects.get().user == world.contributor


def test_system_and_unknown_actors_make_no_move(world):
    connection = make_connection(world, S.PENDING_APPROVAL)
    with pytest.raises(PermissionDenied):
        connection_transition(
            connection=connection, to_state=S.APPROVED, user=world.operator, actor=Actor.SYSTEM
        )
    with pytest.raises(PermissionDenied, match="Unknown actor"):
        connection_transition(
            connection=connection, to_state=S.APPROVED, user=world.operator, actor="robot"
        )
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("to_state", ["Live", "", "active", "x" * 500])
def test_unknown_target_state_is_refused(world, to_state):
    connection = make_connection(world, S.PENDING_APPROVAL)
    with pytest.raises(ValidationError) as exc:
        connection_transition(connection=connection, to_state=to_state, user=world.operator)
    assert "is not a connection state" in exc.value.message_dict["to_state"][0]
    assert counts() == (0, 0, 0)


def test_stale_object_is_refused(world):
    """Two operators loaded PendingApproval; the first approved; the second's move is refused."""
    connection = make_connection(world, S.PENDING_APPROVAL)
    seen_by_second = PeeringConnection.objects.get(pk=connection.pk)
    connection_transition(connection=connection, to_state=S.APPROVED, user=world.operator)
    after_first = row(connection), counts()

    # Mark failed is allowed from Approved too, but not from what the second operator saw.
    with pytest.raises(ValidationError, match="changed from PendingApproval to Approved"):
        connection_transition(
            connection=seen_by_second,
            to_state=S.PROVISIONING_FAILED,
            user=world.operator,
            note="No LOA.",
        )

    assert (row(connection), counts()) == after_first
    assert ConnectionTransition.objects.count() == 1


def test_the_callers_object_is_left_as_it_was(world):
    connection = make_connection(world, S.PENDING_APPROVAL)
    moved = connection_transition(connection=connection, to_state=S.APPROVED, user=world.operator)
    assert moved is not connection
    assert connection.connection_state == S.PENDING_APPROVAL
    assert moved.connection_state == S.APPROVED


# --- notes and error messages -----------------------------------------------------------------


@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
@pytest.mark.parametrize("pair", [p for p in ALLOWED if needs_note(*p)], ids=pair_id)
def test_moves_that_need_a_note_refuse_an_empty_one(world, pair, note):
    from_state, to_state = pair
    connection = make_connection(world, from_state)
    before = row(connection)
    with pytest.raises(ValidationError) as exc:
        connection_transition(
            connection=connection, to_state=to_state, user=world.operator, note=note
        )
    assert "note" in exc.value.message_dict
    assert row(connection) == before
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("to_state", sorted(NEEDS_NOTE))
def test_the_note_becomes_the_error_message(world, to_state):
    connection = make_connection(world, S.APPROVED)
    moved = connection_transition(
        connection=connection,
        to_state=to_state,
        user=world.operator,
        note="  The cross-connect at Equinix SE2 is not patched.  ",
    )
    assert moved.error_message == "The cross-connect at Equinix SE2 is not patched."
    connection.refresh_from_db()
    assert connection.error_message == "The cross-connect at Equinix SE2 is not patched."
    assert ConnectionTransition.objects.get().note == connection.error_message


@pytest.mark.parametrize(
    "pair",
    [p for p in ALLOWED if p[0] in NEEDS_NOTE and p[1] not in NEEDS_NOTE | {S.PENDING_REMOVE}],
    ids=pair_id,
)
def test_leaving_a_note_state_clears_the_error_message(world, pair):
    from_state, to_state = pair
    connection = make_connection(world, from_state, error_message="Blocked by the colo.")
    moved = connection_transition(connection=connection, to_state=to_state, user=world.operator)
    assert moved.error_message == ""
    connection.refresh_from_db()
    assert connection.error_message == ""


@pytest.mark.parametrize("from_state", sorted(NEEDS_NOTE))
def test_removal_keeps_the_last_error_message(world, from_state):
    """PendingRemove is the one exit that keeps the message (the reason stays visible)."""
    connection = make_connection(world, from_state, error_message="Blocked by the colo.")
    moved = connection_transition(
        connection=connection, to_state=S.PENDING_REMOVE, user=world.operator
    )
    assert moved.error_message == "Blocked by the colo."


def test_note_on_an_ordinary_move_is_kept_but_not_an_error(world):
    connection = make_connection(world, S.PENDING_APPROVAL)
    moved = connection_transition(
        connection=connection, to_state=S.APPROVED, user=world.operator, note="LOA received."
    )
    assert moved.error_message == ""
    assert ConnectionTransition.objects.get().note == "LOA received."


@pytest.mark.parametrize("note", ["x" * 2001, "bell\x07", "nul\x00byte"])
def test_bad_notes_are_refused(world, note):
    connection = make_connection(world, S.APPROVED)
    with pytest.raises(ValidationError) as exc:
        connection_transition(
            connection=connection, to_state=S.PROVISIONING_FAILED, user=world.operator, note=note
        )
    assert "note" in exc.value.message_dict
    assert counts() == (0, 0, 0)


def test_multiline_note_is_accepted(world):
    connection = make_connection(world, S.APPROVED)
    note = "Line one.\nLine two.\r\n\tIndented."
    moved = connection_transition(
        connection=connection, to_state=S.PROVISIONING_FAILED, user=world.operator, note=note
    )
    assert moved.error_message == note


def test_rejecting_a_type_change_needs_a_reason(world):
    connection = make_connection(world, S.TYPE_CHANGE_REQUESTED)
    with pytest.raises(ValidationError) as exc:
        connection_transition(connection=connection, to_state=S.ACTIVE, user=world.operator)
    assert "note" in exc.value.message_dict
    moved = connection_transition(
        connection=connection, to_state=S.ACTIVE, user=world.operator, note="No agreement."
    )
    assert moved.connection_state == S.ACTIVE
    assert ConnectionTransition.objects.get().note == "No agreement."


# --- side effects of particular moves -------------------------------------------------------


def test_active_after_validating_records_the_provisioned_bandwidth(world):
    connection = make_connection(world, S.VALIDATING, bandwidth_mbps=30000)
    assert connection.provisioned_bandwidth_mbps == 0
    moved = connection_transition(connection=connection, to_state=S.ACTIVE, user=world.operator)
    assert moved.provisioned_bandwidth_mbps == 30000
    connection.refresh_from_db()
    assert connection.provisioned_bandwidth_mbps == 30000


def test_exchange_connection_without_bandwidth_keeps_zero(world):
    exchange = factories.ExchangeFactory(location=world.metro)
    connection = make_connection(
        world,
        S.VALIDATING,
        direct_facility=None,
        exchange=exchange,
        bandwidth_mbps=None,
        session_prefix_v4="198.32.134.0/24",
        peer_session_ipv4_address="198.32.134.9",
        microsoft_session_ipv4_address="198.32.134.152",
    )
    moved = connection_transition(connection=connection, to_state=S.ACTIVE, user=world.operator)
    assert moved.provisioned_bandwidth_mbps == 0


def test_type_change_request_rejected_keeps_the_provisioned_bandwidth(world):
    connection = make_connection(
        world, S.TYPE_CHANGE_REQUESTED, bandwidth_mbps=40000, provisioned_bandwidth_mbps=20000
    )
    moved = connection_transition(
        connection=connection, to_state=S.ACTIVE, user=world.operator, note="Not now."
    )
    assert moved.provisioned_bandwidth_mbps == 20000


def test_active_after_a_blocker_records_the_provisioned_bandwidth(world):
    connection = make_connection(world, S.VALIDATING, bandwidth_mbps=30000)
    blocked = connection_transition(
        connection=connection,
        to_state=S.EXTERNAL_BLOCKER,
        user=world.operator,
        note="Peer's router down.",
    )
    moved = connection_transition(connection=blocked, to_state=S.ACTIVE, user=world.operator)
    assert moved.provisioned_bandwidth_mbps == 30000


def test_type_change_in_progress_sets_use_for_peering_service(world):
    connection = make_connection(world, S.TYPE_CHANGE_REQUESTED)
    assert not connection.use_for_peering_service
    moved = connection_transition(
        connection=connection, to_state=S.TYPE_CHANGE_IN_PROGRESS, user=world.operator
    )
    assert moved.use_for_peering_service
    connection.refresh_from_db()
    assert connection.use_for_peering_service


@pytest.mark.parametrize(
    ("v4", "v6", "expected_v4", "expected_v6"),
    [
        (
            SessionState.ESTABLISHED,
            SessionState.PENDING_ADD,
            SessionState.PENDING_REMOVE,
            SessionState.PENDING_REMOVE,
        ),
        (SessionState.IDLE, SessionState.NONE, SessionState.PENDING_REMOVE, SessionState.NONE),
        (SessionState.NONE, SessionState.NONE, SessionState.NONE, SessionState.NONE),
    ],
)
def test_pending_remove_marks_existing_sessions_pending_remove(
    world, v4, v6, expected_v4, expected_v6
):
    connection = make_connection(
        world,
        S.ACTIVE,
        session_prefix_v6="2001:db8::/127",
        peer_session_ipv6_address="2001:db8::",
        microsoft_session_ipv6_address="2001:db8::1",
        session_state_v4=v4,
        session_state_v6=v6,
    )
    moved = connection_transition(
        connection=connection, to_state=S.PENDING_REMOVE, user=world.operator
    )
    connection.refresh_from_db()
    for obj in (moved, connection):
        assert (obj.session_state_v4, obj.session_state_v6) == (expected_v4, expected_v6)


def test_other_moves_leave_sessions_alone(world):
    connection = make_connection(world, S.VALIDATING, session_state_v4=SessionState.ESTABLISHED)
    moved = connection_transition(connection=connection, to_state=S.ACTIVE, user=world.operator)
    assert moved.session_state_v4 == SessionState.ESTABLISHED


def test_a_full_provisioning_run_leaves_a_timeline(world):
    connection = make_connection(world, S.PENDING_APPROVAL)
    path = [S.APPROVED, S.PROVISIONING_STARTED, S.PROVISIONING_COMPLETED, S.VALIDATING, S.ACTIVE]
    for state in path:
        connection = connection_transition(
            connection=connection, to_state=state, user=world.operator
        )
    timeline = list(connection.transitions.values_list("from_state", "to_state"))
    assert timeline == list(zip([S.PENDING_APPROVAL, *path[:-1]], path, strict=True))


def test_anonymous_user_is_denied(world):
    from django.contrib.auth.models import AnonymousUser

    connection = make_connection(world, S.PENDING_APPROVAL)
    for actor in (Actor.OPERATOR, Actor.PEER):
        with pytest.raises(PermissionDenied):
            connection_transition(
                connection=connection, to_state=S.APPROVED, user=AnonymousUser(), actor=actor
            )
    with pytest.raises(PermissionDenied):
        connection_transition(connection=connection, to_state=S.APPROVED, user=None)
    assert counts() == (0, 0, 0)


# --- milestones: notifications and emails ---------------------------------------------------


def reach(to_state):
    """A (from, actor) pair that reaches `to_state`."""
    for from_state, moves in TRANSITIONS.items():
        if to_state in moves:
            return from_state, moves[to_state]
    raise AssertionError(to_state)


@pytest.mark.parametrize("to_state", list(MILESTONES))
def test_milestone_notifies_every_role_holder_and_emails_contacts_once_after_commit(
    world, to_state, mailoutbox, django_capture_on_commit_callbacks
):
    from_state, actor = reach(to_state)
    connection = make_connection(world, from_state)
    factories.PeeringConnectionFactory(  # another tenant's connection: nobody there hears
        peering=factories.PeeringFactory(subscription=factories.SubscriptionFactory()),
    )
    note = "Something broke." if needs_note(from_state, to_state) else ""

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        connection_transition(
            connection=connection,
            to_state=to_state,
            user=user_for(world, actor),
            actor=actor,
            note=note,
        )
        assert mailoutbox == []  # nothing is sent before the commit

    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == sorted(CONTACTS)
    assert world.peering.name in mail.subject or world.peering.name in mail.body
    notified = Notification.objects.filter(subscription=world.subscription)
    assert sorted(notified.values_list("user__username", flat=True)) == [
        "contributor",
        "owner",
        "reader",
    ]
    word, level = MILESTONES[to_state]
    for notification in notified:
        assert word in notification.title
        assert notification.level == level
        assert notification.link.endswith(f"/{world.peering.name}/") or world.peering.name in (
            notification.link
        )
    assert not Notification.objects.filter(user__in=[world.outsider, world.operator]).exists()


@pytest.mark.parametrize("pair", [p for p in ALLOWED if p[1] not in MILESTONES], ids=pair_id)
def test_other_moves_notify_nobody(world, pair, mailoutbox, django_capture_on_commit_callbacks):
    from_state, to_state = pair
    actor = TRANSITIONS[from_state][to_state]
    connection = make_connection(world, from_state)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        connection_transition(
            connection=connection,
            to_state=to_state,
            user=user_for(world, actor),
            actor=actor,
            note="n" if needs_note(*pair) else "",
        )
    assert callbacks == []
    assert mailoutbox == []
    assert Notification.objects.count() == 0


def test_refused_move_sends_nothing(world, mailoutbox, django_capture_on_commit_callbacks):
    connection = make_connection(world, S.PROVISIONING_STARTED)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        connection_transition(connection=connection, to_state=S.PENDING_REMOVE, user=world.operator)
    assert callbacks == [] and mailoutbox == []
    assert Notification.objects.count() == 0


def test_without_contact_emails_only_the_notification(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    world.peering.peer_asn.contacts.update(email="")
    connection = make_connection(world, S.PENDING_APPROVAL)
    with django_capture_on_commit_callbacks(execute=True):
        connection_transition(connection=connection, to_state=S.APPROVED, user=world.operator)
    assert mailoutbox == []
    assert Notification.objects.count() == 3


# --- session states -----------------------------------------------------------------------------


def test_session_state_set_records_the_state_and_an_activity(world):
    connection = make_connection(world, S.VALIDATING)
    updated = session_state_set(
        connection=connection, family=4, state=SessionState.ESTABLISHED, operator=world.operator
    )
    assert updated.session_state_v4 == SessionState.ESTABLISHED
    connection.refresh_from_db()
    assert connection.session_state_v4 == SessionState.ESTABLISHED
    assert connection.connection_state == S.VALIDATING  # the connection state is untouched
    log = ActivityLog.objects.get()
    assert log.operation_display == "Update session state"
    assert "IPv4 session" in log.message and "PendingAdd → Established" in log.message
    assert ConnectionTransition.objects.count() == 0


@pytest.mark.parametrize("who", ["owner", "reader", "outsider", "inactive_staff", "anonymous"])
def test_session_state_set_is_for_operators(world, who):
    from django.contrib.auth.models import AnonymousUser

    user = {
        "inactive_staff": lambda: factories.UserFactory(
            username="x", is_staff=True, is_active=False
        ),
        "anonymous": AnonymousUser,
    }.get(who, lambda: getattr(world, who))()
    connection = make_connection(world, S.VALIDATING)
    with pytest.raises(PermissionDenied):
        session_state_set(
            connection=connection, family=4, state=SessionState.ESTABLISHED, operator=user
        )
    connection.refresh_from_db()
    assert connection.session_state_v4 == SessionState.PENDING_ADD
    assert ActivityLog.objects.count() == 0


@pytest.mark.parametrize(
    ("family", "state", "key"),
    [
        (5, SessionState.ESTABLISHED, "family"),
        ("4", SessionState.ESTABLISHED, "family"),
        (4, "Up", "state"),
        (4, "established", "state"),
        (6, SessionState.ESTABLISHED, "state"),  # no IPv6 session
    ],
)
def test_session_state_set_refuses_bad_input(world, family, state, key):
    connection = make_connection(world, S.VALIDATING)
    before = row(connection)
    with pytest.raises(ValidationError) as exc:
        session_state_set(
            connection=connection, family=family, state=state, operator=world.operator
        )
    assert key in exc.value.message_dict
    assert row(connection) == before
    assert ActivityLog.objects.count() == 0


def test_session_state_none_is_allowed_without_a_session(world):
    connection = make_connection(world, S.VALIDATING)
    updated = session_state_set(
        connection=connection, family=6, state=SessionState.NONE, operator=world.operator
    )
    assert updated.session_state_v6 == SessionState.NONE


def test_session_state_on_a_prefix_only_session(world):
    """A Microsoft-provided session with only its prefix typed so far still has a session."""
    connection = make_connection(
        world,
        S.APPROVED,
        session_prefix_v6="2001:db8::/127",
        peer_session_ipv6_address=None,
        microsoft_session_ipv6_address=None,
    )
    updated = session_state_set(
        connection=connection, family=6, state=SessionState.IDLE, operator=world.operator
    )
    assert updated.session_state_v6 == SessionState.IDLE


# --- Microsoft-provided session addresses ------------------------------------------------------


@pytest.fixture
def pool(world):
    return factories.FacilityAddressPoolFactory(
        direct_facility=world.facility, ipv4_pool="203.0.113.0/29", ipv6_pool="2001:db8:8075::/125"
    )


def microsoft_connection(world, state=S.APPROVED, facility=None, **kwargs):
    values = {
        "direct_facility": facility or world.facility,
        "session_address_provider": SessionAddressProvider.MICROSOFT,
        "session_prefix_v4": "",
        "peer_session_ipv4_address": None,
        "microsoft_session_ipv4_address": None,
    }
    values.update(kwargs)
    return make_connection(world, state, **values)


def peer_connection_at(world, prefix, peer, microsoft, facility=None, **kwargs):
    return make_connection(
        world,
        S.ACTIVE,
        direct_facility=facility or world.facility,
        session_prefix_v4=prefix,
        peer_session_ipv4_address=peer,
        microsoft_session_ipv4_address=microsoft,
        **kwargs,
    )


def test_allocates_the_first_free_31_and_127(
    world, pool, mailoutbox, django_capture_on_commit_callbacks
):
    connection = microsoft_connection(world)
    with django_capture_on_commit_callbacks(execute=True):
        allocated = connection_allocate_addresses(connection=connection, operator=world.operator)
    connection.refresh_from_db()
    for obj in (allocated, connection):
        assert obj.session_prefix_v4 == "203.0.113.0/31"
        assert obj.peer_session_ipv4_address == "203.0.113.0"
        assert obj.microsoft_session_ipv4_address == "203.0.113.1"
        assert obj.session_prefix_v6 == "2001:db8:8075::/127"
        assert obj.peer_session_ipv6_address == "2001:db8:8075::"
        assert obj.microsoft_session_ipv6_address == "2001:db8:8075::1"
    assert connection.connection_state == S.APPROVED
    log = ActivityLog.objects.get()
    assert log.operation_display == "Allocate session addresses"
    assert "203.0.113.0/31" in log.message
    assert Notification.objects.filter(subscription=world.subscription).count() == 3
    assert len(mailoutbox) == 1 and mailoutbox[0].to == sorted(CONTACTS)


def test_allocation_skips_addresses_used_at_the_facility(world, pool):
    # .0/.1 are taken; .3 and .6 are taken by a peer-provided /29 session: .0/31 and .2/31
    # each contain a used address, .4/31 is the first wholly free one.
    peer_connection_at(world, "203.0.113.0/31", "203.0.113.0", "203.0.113.1")
    peer_connection_at(
        world,
        "203.0.113.0/29",
        "203.0.113.3",
        "203.0.113.6",
        session_prefix_v6="2001:db8:8075::/127",
        peer_session_ipv6_address="2001:db8:8075::",
        microsoft_session_ipv6_address="2001:db8:8075::1",
    )
    # Addresses at another facility do not count.
    other = factories.DirectFacilityFactory(location=world.metro, name="Westin")
    peer_connection_at(world, "203.0.113.4/31", "203.0.113.4", "203.0.113.5", facility=other)

    allocated = connection_allocate_addresses(
        connection=microsoft_connection(world), operator=world.operator
    )

    assert allocated.session_prefix_v4 == "203.0.113.4/31"
    assert allocated.session_prefix_v6 == "2001:db8:8075::2/127"
    assert allocated.peer_session_ipv6_address == "2001:db8:8075::2"


def test_two_allocations_in_a_row_get_different_subnets(world, pool):
    first = connection_allocate_addresses(
        connection=microsoft_connection(world), operator=world.operator
    )
    second = connection_allocate_addresses(
        connection=microsoft_connection(world), operator=world.operator
    )
    assert first.session_prefix_v4 == "203.0.113.0/31"
    assert second.session_prefix_v4 == "203.0.113.2/31"


def test_reallocating_a_connection_may_reuse_its_own_subnet(world, pool):
    connection = microsoft_connection(world)
    first = connection_allocate_addresses(connection=connection, operator=world.operator)
    again = connection_allocate_addresses(connection=connection, operator=world.operator)
    assert again.session_prefix_v4 == first.session_prefix_v4


@pytest.mark.parametrize(
    ("typed_v4", "typed_v6", "expected"),
    [
        ("198.51.100.0/31", "", ("198.51.100.0/31", "198.51.100.0", "198.51.100.1")),
        ("198.51.100.4/30", "", ("198.51.100.4/30", "198.51.100.5", "198.51.100.6")),
        (" 198.51.100.8/31 ", "", ("198.51.100.8/31", "198.51.100.8", "198.51.100.9")),
    ],
)
def test_typed_ipv4_prefix(world, pool, typed_v4, typed_v6, expected):
    allocated = connection_allocate_addresses(
        connection=microsoft_connection(world),
        operator=world.operator,
        session_prefix_v4=typed_v4,
        session_prefix_v6=typed_v6,
    )
    assert (
        allocated.session_prefix_v4,
        allocated.peer_session_ipv4_address,
        allocated.microsoft_session_ipv4_address,
    ) == expected
    assert allocated.session_prefix_v6 == "2001:db8:8075::/127"  # IPv6 still from the pool


def test_typed_prefixes_without_a_pool(world):
    allocated = connection_allocate_addresses(
        connection=microsoft_connection(world),
        operator=world.operator,
        session_prefix_v4="198.51.100.0/31",
        session_prefix_v6="2001:db8:1::4/126",
    )
    assert allocated.session_prefix_v4 == "198.51.100.0/31"
    assert allocated.peer_session_ipv6_address == "2001:db8:1::5"
    assert allocated.microsoft_session_ipv6_address == "2001:db8:1::6"


def test_ipv4_only_pool_skips_ipv6(world):
    factories.FacilityAddressPoolFactory(
        direct_facility=world.facility, ipv4_pool="203.0.113.0/24", ipv6_pool=""
    )
    allocated = connection_allocate_addresses(
        connection=microsoft_connection(world), operator=world.operator
    )
    assert allocated.session_prefix_v4 == "203.0.113.0/31"
    assert allocated.session_prefix_v6 == ""
    assert allocated.peer_session_ipv6_address is None


@pytest.mark.parametrize(
    ("typed_v4", "typed_v6", "key", "message"),
    [
        ("198.51.100.0/29", "", "session_prefix_v4", "/31"),
        ("198.51.100.1/31", "", "session_prefix_v4", "host bits"),
        ("2001:db8::/127", "", "session_prefix_v4", "IPv6 prefix"),
        ("198.51.100.0", "", "session_prefix_v4", "CIDR"),
        ("", "198.51.100.0/31", "session_prefix_v6", "IPv4 prefix"),
        ("", "2001:db8::/64", "session_prefix_v6", "/127"),
    ],
)
def test_typed_prefix_must_be_a_point_to_point_subnet(
    world, pool, typed_v4, typed_v6, key, message
):
    connection = microsoft_connection(world)
    before = row(connection)
    with pytest.raises(ValidationError) as exc:
        connection_allocate_addresses(
            connection=connection,
            operator=world.operator,
            session_prefix_v4=typed_v4,
            session_prefix_v6=typed_v6,
        )
    assert message in " ".join(exc.value.message_dict[key])
    assert row(connection) == before
    assert ActivityLog.objects.count() == 0


def test_typed_prefix_that_clashes_is_refused(world, pool):
    peer_connection_at(world, "198.51.100.0/31", "198.51.100.0", "198.51.100.1")
    connection = microsoft_connection(world)
    before = row(connection)
    with pytest.raises(ValidationError) as exc:
        connection_allocate_addresses(
            connection=connection, operator=world.operator, session_prefix_v4="198.51.100.0/30"
        )
    assert "198.51.100.1 is already used" in exc.value.message_dict["session_prefix_v4"][0]
    assert row(connection) == before
    assert ActivityLog.objects.count() == 0


def test_the_same_prefix_at_another_facility_is_fine(world, pool):
    other = factories.DirectFacilityFactory(location=world.metro, name="Westin")
    peer_connection_at(world, "198.51.100.0/31", "198.51.100.0", "198.51.100.1", facility=other)
    allocated = connection_allocate_addresses(
        connection=microsoft_connection(world),
        operator=world.operator,
        session_prefix_v4="198.51.100.0/31",
    )
    assert allocated.peer_session_ipv4_address == "198.51.100.0"


def test_allocation_skips_addresses_of_unconverted_legacy_peerings(world, pool):
    factories.LegacyPeeringFactory(
        peering_location=world.metro,
        kind=Kind.DIRECT,
        exchange=None,
        direct_facility=world.facility,
        peer_session_ipv4_address="203.0.113.0",
        microsoft_session_ipv4_address="203.0.113.1",
    )
    allocated = connection_allocate_addresses(
        connection=microsoft_connection(world), operator=world.operator
    )
    assert allocated.session_prefix_v4 == "203.0.113.2/31"


def test_no_pool_and_nothing_typed_is_refused(world):
    connection = microsoft_connection(world)
    with pytest.raises(ValidationError) as exc:
        connection_allocate_addresses(connection=connection, operator=world.operator)
    assert "has no IPv4 address pool" in exc.value.message_dict["session_prefix_v4"][0]
    assert ActivityLog.objects.count() == 0
    connection.refresh_from_db()
    assert connection.session_prefix_v4 == ""


def test_exhausted_pool_is_refused(world):
    factories.FacilityAddressPoolFactory(
        direct_facility=world.facility, ipv4_pool="203.0.113.0/30", ipv6_pool=""
    )
    peer_connection_at(world, "203.0.113.0/31", "203.0.113.0", "203.0.113.1")
    peer_connection_at(world, "203.0.113.2/31", "203.0.113.2", "203.0.113.3")
    connection = microsoft_connection(world)
    with pytest.raises(ValidationError) as exc:
        connection_allocate_addresses(connection=connection, operator=world.operator)
    assert "exhausted" in exc.value.message_dict["session_prefix_v4"][0]
    assert ActivityLog.objects.count() == 0


def test_exhausted_ipv6_pool_refuses_the_whole_allocation(world):
    factories.FacilityAddressPoolFactory(
        direct_facility=world.facility, ipv4_pool="203.0.113.0/24", ipv6_pool="2001:db8::/127"
    )
    make_connection(
        world,
        S.ACTIVE,
        session_prefix_v4="192.0.2.8/31",
        peer_session_ipv4_address="192.0.2.8",
        microsoft_session_ipv4_address="192.0.2.9",
        session_prefix_v6="2001:db8::/127",
        peer_session_ipv6_address="2001:db8::",
        microsoft_session_ipv6_address="2001:db8::1",
    )
    connection = microsoft_connection(world)
    with pytest.raises(ValidationError) as exc:
        connection_allocate_addresses(connection=connection, operator=world.operator)
    assert "exhausted" in exc.value.message_dict["session_prefix_v6"][0]
    connection.refresh_from_db()
    assert connection.session_prefix_v4 == ""  # IPv4 was not half-allocated


def test_peer_provided_connection_gets_no_addresses(world, pool):
    connection = make_connection(world, S.APPROVED)
    before = row(connection)
    with pytest.raises(ValidationError, match="session address provider is Microsoft"):
        connection_allocate_addresses(connection=connection, operator=world.operator)
    assert row(connection) == before
    assert ActivityLog.objects.count() == 0


def test_exchange_connection_gets_no_addresses(world):
    exchange = factories.ExchangeFactory(location=world.metro)
    connection = make_connection(
        world,
        S.APPROVED,
        direct_facility=None,
        exchange=exchange,
        session_address_provider="",
        session_prefix_v4="198.32.134.0/24",
        peer_session_ipv4_address="198.32.134.9",
        microsoft_session_ipv4_address="198.32.134.152",
    )
    with pytest.raises(ValidationError, match="session address provider is Microsoft"):
        connection_allocate_addresses(connection=connection, operator=world.operator)


def test_connection_being_removed_gets_no_addresses(world, pool):
    connection = microsoft_connection(world, S.PENDING_REMOVE)
    with pytest.raises(ValidationError, match="being removed"):
        connection_allocate_addresses(connection=connection, operator=world.operator)


@pytest.mark.parametrize("who", ["owner", "reader", "outsider"])
def test_allocation_is_for_operators(world, pool, who):
    connection = microsoft_connection(world)
    with pytest.raises(PermissionDenied):
        connection_allocate_addresses(connection=connection, operator=getattr(world, who))
    connection.refresh_from_db()
    assert connection.session_prefix_v4 == ""


# --- the operators' queue -----------------------------------------------------------------------


def test_operator_queue_lists_connections_waiting_on_microsoft(world):
    for state in STATES:
        make_connection(world, state)
    states = [c.connection_state for c in operator_queue()]
    assert sorted(states) == sorted(awaiting_operator_states())
    assert S.APPROVED not in states and S.ACTIVE not in states


def test_operator_queue_is_oldest_change_first(world):
    first = make_connection(world, S.PENDING_APPROVAL)
    second = make_connection(world, S.VALIDATING)
    assert [c.pk for c in operator_queue()] == [first.pk, second.pk]
    # A move puts the connection at the back of the queue.
    connection_transition(connection=first, to_state=S.PENDING_REMOVE, user=world.operator)
    assert [c.pk for c in operator_queue()] == [second.pk, first.pk]


@pytest.mark.parametrize(
    ("blocked_in", "to_state", "allowed"),
    [
        (S.PENDING_APPROVAL, S.PENDING_APPROVAL, True),
        (S.PENDING_APPROVAL, S.APPROVED, True),
        (S.PENDING_APPROVAL, S.ACTIVE, False),
        (S.APPROVED, S.VALIDATING, False),
        (S.VALIDATING, S.ACTIVE, True),
        (S.VALIDATING, S.PENDING_REMOVE, True),
        (S.ACTIVE, S.ACTIVE, True),
    ],
)
def test_a_blocked_connection_resumes_where_it_was_never_skipping_ahead(
    world, blocked_in, to_state, allowed
):
    connection = make_connection(world, blocked_in)
    blocked = connection_transition(
        connection=connection, to_state=S.EXTERNAL_BLOCKER, user=world.operator, note="Waiting."
    )
    if allowed:
        moved = connection_transition(connection=blocked, to_state=to_state, user=world.operator)
        assert moved.connection_state == to_state
    else:
        with pytest.raises(ValidationError):
            connection_transition(connection=blocked, to_state=to_state, user=world.operator)
        blocked.refresh_from_db()
        assert blocked.connection_state == S.EXTERNAL_BLOCKER

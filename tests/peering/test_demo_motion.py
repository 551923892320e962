"""Demo motion (peering.demo_motion): a background task plays Microsoft's operator and
walks new connections to Active with Established sessions, one step at a time, and never
overrides a person.

With the immediate task backend the whole chain runs at once (one step after each commit); with
the dummy backend the queued steps are run by hand, one by one, like a worker would.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.tasks import task_backends
from django.test import override_settings
from django.utils import timezone

from peering import demo_motion
from peering.demo_motion import (
    DEMO_OPERATOR_USERNAME,
    DEMO_PATH,
    demo_motion_start,
    demo_motion_start_connection,
    demo_operator,
    demo_step,
)
from peering.enums import ConnectionState as S
from peering.enums import ContactRole, Kind, SessionAddressProvider, SessionState, SkuName
from peering.models import ConnectionTransition
from peering.services.lifecycle import connection_transition
from peering.services.wizard import draft_create
from peering.tasks import demo_advance
from portal.models import ActivityLog
from tests import factories

PATH = [S.APPROVED, S.PROVISIONING_STARTED, S.PROVISIONING_COMPLETED, S.VALIDATING, S.ACTIVE]
ON = override_settings(DEMO_MOTION=True, DEMO_MOTION_STEP_SECONDS=0)
DUMMY_TASKS = {
    "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
}


@pytest.fixture
def metro(db):
    return factories.PeeringLocationFactory(name="Seattle")


@pytest.fixture
def facility(metro):
    return factories.DirectFacilityFactory(
        location=metro, name="Equinix SE2", direct_peering_types=["Edge", "IxRs", "Voice"]
    )


@pytest.fixture
def peering(subscription, metro):
    peering = factories.PeeringFactory(
        subscription=subscription,
        name="contoso-edge",
        kind=Kind.DIRECT,
        sku_name=SkuName.BASIC_DIRECT_FREE,
        direct_peering_type="Edge",
        peering_location=metro,
    )
    factories.PeerContactFactory(peer_asn=peering.peer_asn, email="noc@contoso.net")
    return peering


def new_connection(peering, facility, **kwargs):
    values = {
        "peering": peering,
        "direct_facility": facility,
        "connection_state": S.PENDING_APPROVAL,
        "session_prefix_v4": "192.0.2.0/31",
        "peer_session_ipv4_address": "192.0.2.0",
        "microsoft_session_ipv4_address": "192.0.2.1",
        "session_state_v4": SessionState.PENDING_ADD,
        "bandwidth_mbps": 10000,
    }
    values.update(kwargs)
    return factories.PeeringConnectionFactory(**values)


def demo_transitions(connection):
    return list(
        ConnectionTransition.objects.filter(connection=connection).values_list(
            "from_state", "to_state", "user__username", "actor"
        )
    )


def expected_timeline():
    froms = [S.PENDING_APPROVAL, *PATH[:-1]]
    return [(a, b, DEMO_OPERATOR_USERNAME, "operator") for a, b in zip(froms, PATH, strict=True)]


# --- the immediate backend: the whole walk at once ------------------------------------------------


@ON
def test_a_new_peering_walks_to_active(
    subscription, owner, region, metro, facility, mailoutbox, django_capture_on_commit_callbacks
):
    """Through the real Create a Peering service, as the lead wires it."""
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-demo", region=region)
    peer_asn = factories.PeerAsnFactory(
        subscription=subscription, name="contoso-asn", peer_asn=13335, validation_state="Approved"
    )
    factories.PeerContactFactory(peer_asn=peer_asn, role=ContactRole.NOC, email="noc@contoso.net")
    data = {
        "basics": {
            "subscription": str(subscription.pk),
            "resource_group": group.name,
            "name": "contoso-sea",
            "peer_asn": peer_asn.name,
        },
        "configuration": {
            "peering_type": "Direct",
            "microsoft_network": "AS8075",
            "sku": "Basic Free",
            "metro": "Seattle",
        },
        "connections": [
            {
                "facility": str(facility.pk),
                "session_address_provider": "Peer",
                "bandwidth_mbps": "20000",
                "session_prefix_v4": "192.0.2.0/31",
                "session_prefix_v6": "2001:db8:1::/127",
                "max_prefixes_advertised_v4": "1000",
                "max_prefixes_advertised_v6": "100",
            }
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        peering = draft_create(user=owner, data=data)  # schedules demo motion itself

    connection = peering.connections.get()
    assert connection.connection_state == S.ACTIVE
    assert connection.session_state_v4 == SessionState.ESTABLISHED
    assert connection.session_state_v6 == SessionState.ESTABLISHED
    assert connection.provisioned_bandwidth_mbps == 20000
    assert demo_transitions(connection) == expected_timeline()
    # Milestones as for a human operator: created, Approved, Active.
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) == 3, subjects
    assert ActivityLog.objects.filter(operation_display="Update session state").count() == 2


@ON
def test_every_new_connection_of_the_peering_moves(
    peering, facility, django_capture_on_commit_callbacks
):
    first = new_connection(peering, facility)
    second = new_connection(
        peering,
        facility,
        session_prefix_v4="192.0.2.2/31",
        peer_session_ipv4_address="192.0.2.2",
        microsoft_session_ipv4_address="192.0.2.3",
    )
    legacy = new_connection(
        peering,
        facility,
        is_legacy=True,
        connection_state=S.ACTIVE,
        session_prefix_v4="192.0.2.4/31",
        peer_session_ipv4_address="192.0.2.4",
        microsoft_session_ipv4_address="192.0.2.5",
        session_state_v4=SessionState.ESTABLISHED,
    )
    failed = new_connection(
        peering,
        facility,
        connection_state=S.PROVISIONING_FAILED,
        session_prefix_v4="192.0.2.6/31",
        peer_session_ipv4_address="192.0.2.6",
        microsoft_session_ipv4_address="192.0.2.7",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_motion_start(peering) == 2

    for connection in (first, second):
        connection.refresh_from_db()
        assert connection.connection_state == S.ACTIVE
        assert demo_transitions(connection) == expected_timeline()
    for untouched in (legacy, failed):
        assert not untouched.transitions.exists()


@ON
def test_microsoft_provided_connection_gets_addresses_from_the_pool(
    peering, facility, mailoutbox, django_capture_on_commit_callbacks
):
    factories.FacilityAddressPoolFactory(
        direct_facility=facility, ipv4_pool="203.0.113.0/24", ipv6_pool="2001:db8:8075::/64"
    )
    connection = new_connection(
        peering,
        facility,
        session_address_provider=SessionAddressProvider.MICROSOFT,
        session_prefix_v4="",
        peer_session_ipv4_address=None,
        microsoft_session_ipv4_address=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        demo_motion_start(peering)

    connection.refresh_from_db()
    assert connection.connection_state == S.ACTIVE
    assert connection.session_prefix_v4 == "203.0.113.0/31"
    assert connection.peer_session_ipv4_address == "203.0.113.0"
    assert connection.session_prefix_v6 == "2001:db8:8075::/127"
    assert connection.session_state_v4 == SessionState.ESTABLISHED
    assert connection.session_state_v6 == SessionState.ESTABLISHED
    assert ActivityLog.objects.filter(operation_display="Allocate session addresses").count() == 1
    assert demo_transitions(connection) == expected_timeline()


@ON
def test_microsoft_provided_connection_without_a_pool_goes_on_without_addresses(
    peering, facility, django_capture_on_commit_callbacks
):
    connection = new_connection(
        peering,
        facility,
        session_address_provider=SessionAddressProvider.MICROSOFT,
        session_prefix_v4="",
        peer_session_ipv4_address=None,
        microsoft_session_ipv4_address=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        demo_motion_start(peering)

    connection.refresh_from_db()
    assert connection.connection_state == S.ACTIVE
    assert connection.peer_session_ipv4_address is None
    assert connection.session_state_v4 == SessionState.PENDING_ADD  # no session to establish
    assert not ActivityLog.objects.filter(operation_display="Allocate session addresses").exists()


@ON
def test_exhausted_pool_goes_on_without_addresses(
    peering, facility, django_capture_on_commit_callbacks
):
    factories.FacilityAddressPoolFactory(
        direct_facility=facility, ipv4_pool="192.0.2.0/31", ipv6_pool=""
    )
    new_connection(peering, facility, connection_state=S.ACTIVE)  # holds 192.0.2.0/31
    connection = new_connection(
        peering,
        facility,
        session_address_provider=SessionAddressProvider.MICROSOFT,
        session_prefix_v4="",
        peer_session_ipv4_address=None,
        microsoft_session_ipv4_address=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        demo_motion_start_connection(connection)
    connection.refresh_from_db()
    assert connection.connection_state == S.ACTIVE
    assert connection.peer_session_ipv4_address is None


@ON
def test_one_added_connection(peering, facility, django_capture_on_commit_callbacks):
    connection = new_connection(peering, facility)
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_motion_start_connection(connection)
    connection.refresh_from_db()
    assert connection.connection_state == S.ACTIVE


@ON
def test_a_connection_picked_up_midway_finishes_the_walk(
    peering, facility, django_capture_on_commit_callbacks
):
    connection = new_connection(peering, facility, connection_state=S.PROVISIONING_COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_motion_start_connection(connection)
    connection.refresh_from_db()
    assert connection.connection_state == S.ACTIVE
    assert connection.transitions.count() == 2


@ON
@pytest.mark.parametrize("state", [S.ACTIVE, S.PROVISIONING_FAILED, S.PENDING_REMOVE])
def test_connections_off_the_path_are_not_started(peering, facility, state):
    connection = new_connection(peering, facility, connection_state=state)
    assert not demo_motion_start_connection(connection)


@ON
def test_a_rolled_back_peering_enqueues_nothing(
    peering, facility, django_capture_on_commit_callbacks
):
    connection = new_connection(peering, facility)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                demo_motion_start(peering)
                raise RuntimeError("the create failed after all")
        except RuntimeError:
            pass
    assert callbacks == []
    connection.refresh_from_db()
    assert connection.connection_state == S.PENDING_APPROVAL


# --- off, and people first ----------------------------------------------------------------------


@override_settings(DEMO_MOTION=False, DEMO_MOTION_STEP_SECONDS=0)
def test_with_the_setting_off_nothing_moves(peering, facility, django_capture_on_commit_callbacks):
    connection = new_connection(peering, facility)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert demo_motion_start(peering) == 0
        assert not demo_motion_start_connection(connection)
        # Even a step already queued does nothing once the setting is off.
        assert demo_step(connection_id=connection.pk, expected_state=S.PENDING_APPROVAL) == "off"
    assert callbacks == []
    connection.refresh_from_db()
    assert connection.connection_state == S.PENDING_APPROVAL
    assert ConnectionTransition.objects.count() == 0
    assert not get_user_model().objects.filter(username=DEMO_OPERATOR_USERNAME).exists()


@ON
def test_a_connection_an_operator_moved_is_left_alone(
    peering, facility, operator, django_capture_on_commit_callbacks
):
    connection = new_connection(peering, facility)
    connection_transition(
        connection=connection, to_state=S.PROVISIONING_FAILED, user=operator, note="No LOA."
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outcome = demo_step(connection_id=connection.pk, expected_state=S.PENDING_APPROVAL)
    assert outcome.startswith("left alone")
    assert callbacks == []
    connection.refresh_from_db()
    assert connection.connection_state == S.PROVISIONING_FAILED
    assert connection.error_message == "No LOA."
    assert list(connection.transitions.values_list("user__username", flat=True)) == ["operator"]


def test_a_deleted_connection_is_gone(db, settings):
    settings.DEMO_MOTION = True
    assert demo_step(connection_id=987654, expected_state=S.PENDING_APPROVAL) == "gone"


@ON
@pytest.mark.parametrize("state", [S.ACTIVE, "Nonsense", S.PROVISIONING_FAILED])
def test_no_step_from_the_end_or_off_the_path(peering, facility, state):
    connection = new_connection(peering, facility, connection_state=S.ACTIVE)
    assert demo_step(connection_id=connection.pk, expected_state=state) == "done"
    assert ConnectionTransition.objects.count() == 0


@ON
def test_a_refused_move_stops_quietly(
    peering, facility, monkeypatch, django_capture_on_commit_callbacks
):
    """Someone acted between demo motion's read and its lock: the service refuses, the chain
    ends without an error."""
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError("The connection changed from PendingApproval to Approved.")

    monkeypatch.setattr(demo_motion, "connection_transition", refuse)
    connection = new_connection(peering, facility)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert demo_step(connection_id=connection.pk, expected_state=S.PENDING_APPROVAL) == (
            "stopped"
        )
    assert callbacks == []


# --- the demo operator ---------------------------------------------------------------------------


def test_demo_operator_is_staff_and_cannot_sign_in(db):
    user = demo_operator()
    assert user.username == DEMO_OPERATOR_USERNAME
    assert user.is_staff and user.is_active and not user.is_superuser
    assert not user.has_usable_password()
    assert demo_operator().pk == user.pk


def test_demo_operator_is_repaired_if_someone_changed_it(db):
    factories.UserFactory(username=DEMO_OPERATOR_USERNAME, is_staff=False, is_active=False)
    user = demo_operator()
    user.refresh_from_db()
    assert user.is_staff and user.is_active
    assert not user.has_usable_password()


# --- a real queue: one step at a time, each run_after the step length ---------------------------


@pytest.fixture
def queue():
    with override_settings(TASKS=DUMMY_TASKS):
        backend = task_backends["default"]
        backend.results.clear()
        yield backend


def queued_steps(backend):
    return [r for r in backend.results if r.task.name == demo_advance.name]


@override_settings(DEMO_MOTION=True, DEMO_MOTION_STEP_SECONDS=10)
def test_each_step_is_deferred_by_the_step_length(
    queue, peering, facility, django_capture_on_commit_callbacks
):
    connection = new_connection(peering, facility)
    with django_capture_on_commit_callbacks(execute=True):
        demo_motion_start(peering)

    seen = []
    for expected in [S.PENDING_APPROVAL, *PATH[:-1]]:
        steps = queued_steps(queue)
        assert len(steps) == 1, steps
        step = steps[0]
        queue.results.remove(step)
        assert step.kwargs == {"connection_id": connection.pk, "expected_state": expected}
        delay = step.task.run_after - timezone.now()
        assert timedelta(seconds=8) < delay <= timedelta(seconds=10)
        connection.refresh_from_db()
        assert connection.connection_state == expected  # nothing moves before the worker runs
        with django_capture_on_commit_callbacks(execute=True):
            seen.append(step.task.call(**step.kwargs))

    assert seen == PATH
    assert queued_steps(queue) == []  # the chain ends at Active
    connection.refresh_from_db()
    assert connection.connection_state == S.ACTIVE
    assert connection.session_state_v4 == SessionState.ESTABLISHED
    assert demo_transitions(connection) == expected_timeline()
    # The whole walk takes about a minute at the default 10 s step.
    assert len(DEMO_PATH) * 10 <= 60


@override_settings(DEMO_MOTION=True, DEMO_MOTION_STEP_SECONDS=10)
def test_an_operator_acting_between_steps_ends_the_chain(
    queue, peering, facility, operator, django_capture_on_commit_callbacks
):
    connection = new_connection(peering, facility)
    with django_capture_on_commit_callbacks(execute=True):
        demo_motion_start(peering)
    step = queued_steps(queue)[0]
    queue.results.remove(step)
    with django_capture_on_commit_callbacks(execute=True):
        step.task.call(**step.kwargs)  # → Approved
    connection.refresh_from_db()
    # A human operator steps in before the next run.
    connection_transition(
        connection=connection, to_state=S.EXTERNAL_BLOCKER, user=operator, note="Colo closed."
    )
    step = queued_steps(queue)[0]
    queue.results.remove(step)
    with django_capture_on_commit_callbacks(execute=True):
        assert step.task.call(**step.kwargs).startswith("left alone")
    assert queued_steps(queue) == []
    connection.refresh_from_db()
    assert connection.connection_state == S.EXTERNAL_BLOCKER


@override_settings(DEMO_MOTION=True, DEMO_MOTION_STEP_SECONDS=10)
def test_turning_the_setting_off_stops_a_running_chain(
    queue, peering, facility, settings, django_capture_on_commit_callbacks
):
    connection = new_connection(peering, facility)
    with django_capture_on_commit_callbacks(execute=True):
        demo_motion_start(peering)
    settings.DEMO_MOTION = False
    step = queued_steps(queue)[0]
    queue.results.remove(step)
    with django_capture_on_commit_callbacks(execute=True):
        assert step.task.call(**step.kwargs) == "off"
    assert queued_steps(queue) == []
    connection.refresh_from_db()
    assert connection.connection_state == S.PENDING_APPROVAL


# --- outside a test transaction: the immediate backend recurses and must end --------------------


@pytest.mark.django_db(transaction=True)
@ON
def test_immediate_backend_chain_terminates_outside_a_transaction(subscription, metro):
    facility = factories.DirectFacilityFactory(location=metro, name="Equinix SE2")
    peering = factories.PeeringFactory(
        subscription=subscription,
        kind=Kind.DIRECT,
        sku_name=SkuName.BASIC_DIRECT_FREE,
        direct_peering_type="Edge",
        peering_location=metro,
    )
    connection = new_connection(peering, facility)
    # No transaction is open: each on_commit runs at once, each step enqueues (and so runs)
    # the next inside the previous one — five levels deep, then it stops at Active.
    assert demo_motion_start(peering) == 1
    connection.refresh_from_db()
    assert connection.connection_state == S.ACTIVE
    assert demo_transitions(connection) == expected_timeline()

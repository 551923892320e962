"""Operators drive provisioning from Django admin: the queue of connections waiting on
Microsoft, one action per operator move (through `connection_transition`), session states,
Microsoft-provided session addresses, facility pools and deprovisioning requests.

Every refusal by a service is a message naming the object, never a server error, and changes
nothing."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peering.admin.connections import MOVES, MOVES_BY_NAME
from peering.enums import ConnectionState as S
from peering.enums import ContactRole, Kind, SessionAddressProvider, SessionState
from peering.models import (
    Actor,
    ConnectionTransition,
    DeprovisionRequest,
    FacilityAddressPool,
    Peering,
    PeeringConnection,
)
from peering.services.deprovision import deprovision_request
from peering.services.lifecycle import TRANSITIONS, awaiting_operator_states
from portal.models import ActivityLog, ActivityStatus, Notification
from tests import factories

CHANGELIST = "admin:peering_peeringconnection_changelist"
DEPROVISION_CHANGELIST = "admin:peering_deprovisionrequest_changelist"
CONTACTS = {"noc@contoso.example", "policy@contoso.example"}
STATE_WRITE = "Microsoft.Peering/peerings/connections/write"


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def metro(db):
    return factories.PeeringLocationFactory(name="Seattle")


@pytest.fixture
def facility(metro):
    return factories.DirectFacilityFactory(location=metro, name="Equinix SE2")


@pytest.fixture
def peering(subscription, owner, reader, metro):
    peering = factories.PeeringFactory(
        subscription=subscription, name="contoso-seattle", peering_location=metro
    )
    factories.PeerContactFactory(
        peer_asn=peering.peer_asn, role=ContactRole.NOC, email="noc@contoso.example"
    )
    factories.PeerContactFactory(
        peer_asn=peering.peer_asn, role=ContactRole.POLICY, email="policy@contoso.example"
    )
    return peering


@pytest.fixture
def conn(peering, facility):
    """A Direct connection with both sessions, awaiting approval."""
    return factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=facility,
        session_prefix_v6="2001:db8:1::/127",
        peer_session_ipv6_address="2001:db8:1::",
        microsoft_session_ipv6_address="2001:db8:1::1",
    )


def act(client, name, *objs, url=None, **extra):
    data = {"action": name, "_selected_action": [o.pk for o in objs], **extra}
    return client.post(url or reverse(CHANGELIST), data)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def refresh(obj):
    obj.refresh_from_db()
    return obj


def in_state(peering, facility, state, **extra):
    return factories.PeeringConnectionFactory(
        peering=peering, direct_facility=facility, connection_state=state, **extra
    )


# --- the actions cover the state table -----------------------------------------------------


def test_every_operator_move_of_the_state_table_has_an_action():
    for from_state, moves in TRANSITIONS.items():
        for to_state, actor in moves.items():
            if actor != Actor.OPERATOR:
                continue
            offering = [m.name for m in MOVES if m.offered_from(from_state)]
            assert any(MOVES_BY_NAME[n].to_state == to_state for n in offering), (
                f"no action moves {from_state} → {to_state}"
            )


def test_note_pages_for_every_move_that_needs_a_note():
    assert MOVES_BY_NAME["mark_provisioning_failed"].note == "required"
    assert MOVES_BY_NAME["mark_external_blocker"].note == "required"
    assert MOVES_BY_NAME["reject_type_change"].note == "required"


# --- the full provisioning path --------------------------------------------------------------


def test_provisioning_path_through_the_actions(
    admin_client, conn, operator, owner, reader, mailoutbox, django_capture_on_commit_callbacks
):
    path = [
        ("approve", S.APPROVED),
        ("start_provisioning", S.PROVISIONING_STARTED),
        ("complete_provisioning", S.PROVISIONING_COMPLETED),
        ("start_validation", S.VALIDATING),
        ("activate", S.ACTIVE),
    ]
    for name, state in path:
        with django_capture_on_commit_callbacks(execute=True):
            response = act(admin_client, name, conn)
        assert response.status_code == 302
        level, text = messages_of(response)[-1]  # earlier ones were never displayed
        assert level == "success", text
        assert text.startswith(f"Moved 1 connection to {state}: contoso-seattle at Equinix SE2")
        assert refresh(conn).connection_state == state
    assert conn.provisioned_bandwidth_mbps == conn.bandwidth_mbps

    for name in ("set_ipv4_established", "set_ipv6_established"):
        response = act(admin_client, name, conn)
        assert response.status_code == 302
        assert messages_of(response)[0][0] == "success"
    refresh(conn)
    assert conn.session_state_v4 == SessionState.ESTABLISHED
    assert conn.session_state_v6 == SessionState.ESTABLISHED

    rows = list(conn.transitions.values_list("from_state", "to_state", "user", "actor"))
    expected_from = [S.PENDING_APPROVAL] + [state for _, state in path[:-1]]
    assert rows == [
        (a, b, operator.pk, Actor.OPERATOR)
        for a, b in zip(expected_from, [s for _, s in path], strict=True)
    ]

    log = ActivityLog.objects.filter(subscription=conn.peering.subscription, operation=STATE_WRITE)
    states = log.filter(operation_display="Update connection state")
    assert states.count() == 5
    assert all(entry.caller == "operator" for entry in states)
    assert states.filter(message__contains="Validating → Active").exists()
    assert log.filter(operation_display="Update session state").count() == 2

    # Milestones: Approved and Active, to everyone on the subscription and the contacts.
    for user in (owner, reader):
        titles = set(Notification.objects.filter(user=user).values_list("title", flat=True))
        assert titles == {
            "Connection of contoso-seattle at Equinix SE2 approved",
            "Connection of contoso-seattle at Equinix SE2 active",
        }
    assert len(mailoutbox) == 2
    assert all(set(m.to) == CONTACTS for m in mailoutbox)
    assert "moved from PendingApproval to Approved" in mailoutbox[0].body
    assert "moved from Validating to Active" in mailoutbox[1].body


def test_email_waits_for_the_commit(
    admin_client, conn, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        act(admin_client, "approve", conn)
        assert mailoutbox == []
    assert refresh(conn).connection_state == S.APPROVED
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1


# --- refusals ----------------------------------------------------------------------------------


def test_disallowed_action_is_reported_and_changes_nothing(
    admin_client, conn, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "activate", conn)
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "warning"
    assert text.startswith("contoso-seattle at Equinix SE2 (")
    assert "was not moved to Active: A connection cannot go from PendingApproval to Active." in text
    assert refresh(conn).connection_state == S.PENDING_APPROVAL
    assert not ConnectionTransition.objects.exists()
    assert not ActivityLog.objects.filter(operation=STATE_WRITE).exists()
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_many_selected_successes_counted_and_refusals_named(
    admin_client, conn, peering, facility, django_capture_on_commit_callbacks
):
    other = in_state(peering, facility, S.PENDING_APPROVAL)
    active = in_state(peering, facility, S.ACTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "approve", conn, other, active)
    found = messages_of(response)
    assert [level for level, _ in found] == ["warning", "success"]
    assert str(active.connection_identifier)[:8] in found[0][1]
    assert "Moved 2 connections to Approved" in found[1][1]
    assert refresh(active).connection_state == S.ACTIVE
    assert refresh(other).connection_state == S.APPROVED


def test_service_permission_refusal_is_an_error_message(admin_client, conn):
    refusal = PermissionDenied("Only Microsoft operators can make this change.")
    with mock.patch("peering.admin.connections.connection_transition", side_effect=refusal):
        response = act(admin_client, "approve", conn)
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.endswith(
        "was not moved to Approved: Only Microsoft operators can make this change."
    )
    assert refresh(conn).connection_state == S.PENDING_APPROVAL


# --- moves that need a note ------------------------------------------------------------------


def test_mark_failed_asks_for_a_note(admin_client, conn):
    response = act(admin_client, "mark_provisioning_failed", conn)
    assert response.status_code == 200
    assert "admin/peering/action_form.html" in [t.name for t in response.templates]
    html = response.text
    assert 'name="note"' in html
    assert f'name="_selected_action" value="{conn.pk}"' in html
    assert f'name="seen-{conn.pk}" value="PendingApproval"' in html
    assert 'name="action" value="mark_provisioning_failed"' in html
    assert "<script>" not in html and "style=" not in html  # CSP: nothing inline
    assert refresh(conn).connection_state == S.PENDING_APPROVAL

    response = act(admin_client, "mark_provisioning_failed", conn, post="yes", note="  ")
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert "errornote" in response.text
    assert refresh(conn).connection_state == S.PENDING_APPROVAL


def test_mark_failed_with_note_sets_the_error_message(
    admin_client, conn, owner, mailoutbox, django_capture_on_commit_callbacks
):
    note = "No BGP session came up on 192.0.2.10; check the cross-connect."
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            admin_client,
            "mark_provisioning_failed",
            conn,
            post="yes",
            note=note,
            **{f"seen-{conn.pk}": S.PENDING_APPROVAL},
        )
    assert response.status_code == 302
    assert messages_of(response)[0][0] == "success"
    refresh(conn)
    assert conn.connection_state == S.PROVISIONING_FAILED
    assert conn.error_message == note
    transition = conn.transitions.get()
    assert (transition.to_state, transition.note) == (S.PROVISIONING_FAILED, note)
    entry = ActivityLog.objects.get(operation=STATE_WRITE)
    assert entry.status == ActivityStatus.FAILED
    assert note in entry.message
    assert Notification.objects.filter(user=owner, level=Notification.Level.ERROR).exists()
    assert len(mailoutbox) == 1
    assert note in mailoutbox[0].body

    # Retry: ProvisioningFailed → ProvisioningStarted clears the message.
    act(admin_client, "start_provisioning", conn)
    refresh(conn)
    assert conn.connection_state == S.PROVISIONING_STARTED
    assert conn.error_message == ""


def test_note_refused_by_the_service_reshows_the_page(admin_client, conn):
    response = act(admin_client, "mark_external_blocker", conn, post="yes", note="x\x00y")
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert refresh(conn).connection_state == S.PENDING_APPROVAL


def test_confirmation_is_refused_if_the_state_changed_meanwhile(admin_client, conn, operator):
    response = act(admin_client, "mark_external_blocker", conn)
    assert f'name="seen-{conn.pk}" value="PendingApproval"' in response.text
    # Another operator approves while this one types the note.
    PeeringConnection.objects.filter(pk=conn.pk).update(connection_state=S.APPROVED)
    response = act(
        admin_client,
        "mark_external_blocker",
        conn,
        post="yes",
        note="The LOA expired.",
        **{f"seen-{conn.pk}": S.PENDING_APPROVAL},
    )
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "warning"
    assert "changed from PendingApproval to Approved since you loaded it" in text
    assert refresh(conn).connection_state == S.APPROVED


def test_external_blocker_then_resume(admin_client, peering, facility):
    conn = in_state(peering, facility, S.VALIDATING)
    act(admin_client, "mark_external_blocker", conn, post="yes", note="The LOA expired.")
    assert refresh(conn).connection_state == S.EXTERNAL_BLOCKER
    assert conn.error_message == "The LOA expired."
    response = act(admin_client, "start_validation", conn)
    assert messages_of(response)[0][0] == "success"
    assert refresh(conn).connection_state == S.VALIDATING
    assert conn.error_message == ""


# --- type change ---------------------------------------------------------------------------


def test_type_change_approve(admin_client, peering, facility, django_capture_on_commit_callbacks):
    conn = in_state(peering, facility, S.TYPE_CHANGE_REQUESTED)
    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "approve_type_change", conn)
    refresh(conn)
    assert conn.connection_state == S.TYPE_CHANGE_IN_PROGRESS
    assert conn.use_for_peering_service is True
    act(admin_client, "activate", conn)
    assert refresh(conn).connection_state == S.ACTIVE


def test_type_change_reject_needs_a_note_and_goes_back_to_active(
    admin_client, peering, facility, mailoutbox, django_capture_on_commit_callbacks
):
    conn = in_state(peering, facility, S.TYPE_CHANGE_REQUESTED)
    # "Activate" does not decide a type change: it would need the reason.
    response = act(admin_client, "activate", conn)
    [(level, text)] = messages_of(response)
    assert level == "warning" and "Reject type change" in text
    assert refresh(conn).connection_state == S.TYPE_CHANGE_REQUESTED

    assert act(admin_client, "reject_type_change", conn).status_code == 200
    reason = "No Peering Service agreement is signed for this subscription."
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "reject_type_change", conn, post="yes", note=reason)
    assert response.status_code == 302
    refresh(conn)
    assert conn.connection_state == S.ACTIVE
    assert conn.use_for_peering_service is False
    assert conn.transitions.get().note == reason
    assert reason in mailoutbox[0].body


def test_reject_type_change_never_activates_another_state(admin_client, peering, facility):
    conn = in_state(peering, facility, S.VALIDATING)
    response = act(admin_client, "reject_type_change", conn, post="yes", note="No.")
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "warning"
    assert "it is Validating: there is no type change request to decide." in text
    assert refresh(conn).connection_state == S.VALIDATING
    assert not conn.transitions.exists()


# --- change form -----------------------------------------------------------------------------


def test_change_form_offers_the_allowed_moves_and_shows_the_timeline(
    admin_client, conn, operator, django_capture_on_commit_callbacks
):
    url = reverse("admin:peering_peeringconnection_change", args=[conn.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.text
    assert 'value="approve"' in html
    assert 'value="mark_provisioning_failed"' in html
    assert 'value="activate"' not in html
    assert 'value="approve_type_change"' not in html
    assert 'name="connection_state"' not in html  # read-only

    prefix = ActionLocation.CHANGE_FORM.value
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {f"{prefix}-action": "approve", "_selected_action": conn.pk}
        )
    assert response.status_code == 302
    assert response["Location"] == url
    assert refresh(conn).connection_state == S.APPROVED

    html = admin_client.get(url).text
    assert "Timeline" in html
    assert "PendingApproval" in html and "operator" in html
    assert 'value="start_provisioning"' in html and 'value="approve"' not in html


def test_change_form_note_page_reposts_to_the_change_form(admin_client, conn):
    url = reverse("admin:peering_peeringconnection_change", args=[conn.pk])
    prefix = ActionLocation.CHANGE_FORM.value
    data = {f"{prefix}-action": "mark_external_blocker", "_selected_action": conn.pk}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert f'name="{prefix}-action" value="mark_external_blocker"' in response.text
    response = admin_client.post(url, {**data, "post": "yes", "note": "Awaiting the LOA."})
    assert response.status_code == 302
    assert response["Location"] == url
    assert refresh(conn).connection_state == S.EXTERNAL_BLOCKER


def test_change_form_post_cannot_save_fields(admin_client, conn):
    url = reverse("admin:peering_peeringconnection_change", args=[conn.pk])
    response = admin_client.post(url, {"connection_state": "Active", "_save": "Save"})
    assert response.status_code == 403
    assert refresh(conn).connection_state == S.PENDING_APPROVAL


# --- session states --------------------------------------------------------------------------


def test_set_session_state_page(admin_client, peering, facility):
    conn = in_state(peering, facility, S.ACTIVE)  # IPv4 session only
    response = act(admin_client, "set_session_state", conn)
    assert response.status_code == 200
    assert 'name="state_v4"' in response.text and 'name="state_v6"' in response.text

    response = act(admin_client, "set_session_state", conn, post="yes", state_v4="", state_v6="")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()

    response = act(
        admin_client, "set_session_state", conn, post="yes", state_v4="Idle", state_v6="Active"
    )
    assert response.status_code == 302
    found = messages_of(response)
    assert ("warning", True) in [(lvl, "has no IPv6 session" in t) for lvl, t in found]
    assert any(lvl == "success" and "IPv4 Idle" in t for lvl, t in found)
    refresh(conn)
    assert (conn.session_state_v4, conn.session_state_v6) == ("Idle", "None")


# --- session addresses -----------------------------------------------------------------------


@pytest.fixture
def pool(facility):
    return FacilityAddressPool.objects.create(
        direct_facility=facility, ipv4_pool="203.0.113.0/30", ipv6_pool="2001:db8:8075::/126"
    )


def ms_provided(peering, facility, **extra):
    return factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=facility,
        session_address_provider=SessionAddressProvider.MICROSOFT,
        session_prefix_v4="",
        peer_session_ipv4_address=None,
        microsoft_session_ipv4_address=None,
        **extra,
    )


def test_allocation_page(admin_client, peering, facility, pool):
    conn = ms_provided(peering, facility)
    response = act(admin_client, "allocate_addresses", conn)
    assert response.status_code == 200
    html = response.text
    assert "203.0.113.0/30" in html  # the facility's pool is shown
    assert 'name="source"' in html and 'name="session_prefix_v4"' in html
    assert "<script>" not in html and "style=" not in html


def test_allocation_from_the_pool(
    admin_client, peering, facility, pool, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = ms_provided(peering, facility), ms_provided(peering, facility)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "allocate_addresses", first, post="yes", source="pool")
    assert response.status_code == 302
    assert messages_of(response)[0][0] == "success"
    refresh(first)
    assert first.session_prefix_v4 == "203.0.113.0/31"
    assert first.peer_session_ipv4_address == "203.0.113.0"
    assert first.microsoft_session_ipv4_address == "203.0.113.1"
    assert first.session_prefix_v6 == "2001:db8:8075::/127"
    assert ActivityLog.objects.filter(operation_display="Allocate session addresses").exists()
    assert len(mailoutbox) == 1 and set(mailoutbox[0].to) == CONTACTS

    act(admin_client, "allocate_addresses", second, post="yes", source="pool")
    assert refresh(second).session_prefix_v4 == "203.0.113.2/31"
    assert second.session_prefix_v6 == "2001:db8:8075::2/127"


def test_allocation_exhausted_pool_shows_the_error_next_to_the_field(
    admin_client, peering, facility
):
    FacilityAddressPool.objects.create(direct_facility=facility, ipv4_pool="203.0.113.0/31")
    used, conn = ms_provided(peering, facility), ms_provided(peering, facility)
    act(admin_client, "allocate_addresses", used, post="yes", source="pool")
    assert refresh(used).session_prefix_v4 == "203.0.113.0/31"

    response = act(admin_client, "allocate_addresses", conn, post="yes", source="pool")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "The IPv4 pool of Equinix SE2 is exhausted." in errors["session_prefix_v4"]
    assert refresh(conn).session_prefix_v4 == ""


def test_allocation_without_a_pool(admin_client, peering, facility):
    conn = ms_provided(peering, facility)
    response = act(admin_client, "allocate_addresses", conn, post="yes", source="pool")
    assert response.status_code == 200
    assert "has no IPv4 address pool" in str(response.context["form"].errors["session_prefix_v4"])
    assert "errornote" in response.text


def test_allocation_typed(admin_client, peering, facility, pool):
    conn = ms_provided(peering, facility)
    response = act(
        admin_client,
        "allocate_addresses",
        conn,
        post="yes",
        source="typed",
        session_prefix_v4="198.51.100.4/31",
        session_prefix_v6="2001:db8:99::/127",
    )
    assert response.status_code == 302
    refresh(conn)
    assert conn.session_prefix_v4 == "198.51.100.4/31"
    assert conn.peer_session_ipv4_address == "198.51.100.4"
    assert conn.microsoft_session_ipv6_address == "2001:db8:99::1"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("198.51.100.5/30", "has host bits set"),
        ("198.51.100.0/29", "Use a /31 (or /30)"),
        ("2001:db8::/127", "is an IPv6 prefix"),
        ("203.0.113.0/31", "203.0.113.0, 203.0.113.1 is already used at Equinix SE2"),
    ],
)
def test_allocation_typed_errors(admin_client, peering, facility, pool, typed, message):
    taken = ms_provided(peering, facility)
    act(admin_client, "allocate_addresses", taken, post="yes", source="pool")
    conn = ms_provided(peering, facility)
    response = act(
        admin_client,
        "allocate_addresses",
        conn,
        post="yes",
        source="typed",
        session_prefix_v4=typed,
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["session_prefix_v4"])
    assert refresh(conn).session_prefix_v4 == ""


def test_allocation_form_rules(admin_client, peering, facility, pool):
    one, two = ms_provided(peering, facility), ms_provided(peering, facility)
    response = act(
        admin_client,
        "allocate_addresses",
        one,
        two,
        post="yes",
        source="typed",
        session_prefix_v4="198.51.100.4/31",
    )
    assert response.status_code == 200
    assert "one connection at a time" in str(response.context["form"].non_field_errors())
    response = act(admin_client, "allocate_addresses", one, post="yes", source="typed")
    assert response.context["form"].errors["session_prefix_v4"]
    response = act(
        admin_client,
        "allocate_addresses",
        one,
        post="yes",
        source="pool",
        session_prefix_v4="198.51.100.4/31",
    )
    assert response.context["form"].errors["session_prefix_v4"]
    assert refresh(one).session_prefix_v4 == ""


def test_allocation_refused_for_peer_provided_connections(admin_client, conn, pool):
    response = act(admin_client, "allocate_addresses", conn, post="yes", source="pool")
    assert response.status_code == 200
    assert "session address provider is Microsoft" in str(
        response.context["form"].non_field_errors()
    )
    assert refresh(conn).session_prefix_v4 == "192.0.2.0/24"


def test_allocation_of_many_reports_each(admin_client, peering, facility, pool, conn):
    ms = ms_provided(peering, facility)
    response = act(admin_client, "allocate_addresses", ms, conn, post="yes", source="pool")
    assert response.status_code == 302
    levels = [level for level, _ in messages_of(response)]
    assert levels == ["warning", "success"]
    assert refresh(ms).session_prefix_v4 == "203.0.113.0/31"


# --- facility address pools --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ipv4", "ipv6", "field", "message"),
    [
        ("203.0.113.1/24", "", "ipv4_pool", "has host bits set"),
        ("2001:db8::/64", "", "ipv4_pool", "is an IPv6 prefix"),
        ("203.0.113.7/32", "", "ipv4_pool", "must hold at least one /31"),
        ("203.0.113.0", "", "ipv4_pool", "CIDR notation"),
        ("203.0.113.0/24", "203.0.113.0/24", "ipv6_pool", "is an IPv4 prefix"),
        ("203.0.113.0/24", "2001:db8::1/64", "ipv6_pool", "has host bits set"),
    ],
)
def test_pool_form_validation(admin_client, facility, ipv4, ipv6, field, message):
    data = {"direct_facility": facility.pk, "ipv4_pool": ipv4, "ipv6_pool": ipv6, "_save": "Save"}
    response = admin_client.post(reverse("admin:peering_facilityaddresspool_add"), data)
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert not FacilityAddressPool.objects.exists()


def test_pool_is_an_inline_of_the_facility(admin_client, facility):
    url = reverse("admin:peering_directfacility_change", args=[facility.pk])
    assert 'name="address_pool-TOTAL_FORMS"' in admin_client.get(url).text
    data = {
        "location": facility.location.pk,
        "name": facility.name,
        "address": facility.address,
        "peeringdb_facility_id": facility.peeringdb_facility_id,
        "direct_peering_types": '["Edge"]',
        "bandwidth_offers_mbps": "[10000]",
        "source": "operator",
        "address_pool-TOTAL_FORMS": "1",
        "address_pool-INITIAL_FORMS": "0",
        "address_pool-MIN_NUM_FORMS": "0",
        "address_pool-MAX_NUM_FORMS": "1",
        "address_pool-0-ipv4_pool": "203.0.113.0/25",
        "address_pool-0-ipv6_pool": "2001:db8:8075:1::/64",
        "address_pool-0-direct_facility": facility.pk,
        "_save": "Save",
    }
    bad = {**data, "address_pool-0-ipv4_pool": "203.0.113.9/25"}
    response = admin_client.post(url, bad)
    assert response.status_code == 200
    assert not FacilityAddressPool.objects.exists()
    response = admin_client.post(url, data)
    assert response.status_code == 302
    pool = FacilityAddressPool.objects.get(direct_facility=facility)
    assert (pool.ipv4_pool, pool.ipv6_pool) == ("203.0.113.0/25", "2001:db8:8075:1::/64")


# --- the queue -------------------------------------------------------------------------------


def test_queue_lists_only_operator_waiting_states_oldest_first(
    admin_client, peering, facility, subscription
):
    now = timezone.now()
    made = {}
    for age, state in enumerate(reversed(list(S.values))):
        c = in_state(peering, facility, state)
        PeeringConnection.objects.filter(pk=c.pk).update(updated_at=now - timedelta(hours=age))
        made[state] = c
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert response.context["title"] == "Connections awaiting Microsoft (oldest first)"
    rows = list(response.context["cl"].result_list)
    waiting = set(awaiting_operator_states())
    assert {c.connection_state for c in rows} == waiting
    assert [c.updated_at for c in rows] == sorted(c.updated_at for c in rows)
    assert rows[0].connection_state == S.NONE  # made first in the reversed order: the oldest
    html = response.text
    assert "Microsoft, usually 1–3 business days" in html  # next step column
    assert reverse("admin:peering_peering_change", args=[peering.pk]) in html
    assert "Equinix SE2 (Seattle)" in html

    response = admin_client.get(reverse(CHANGELIST), {"waiting_on": "all"})
    assert len(response.context["cl"].result_list) == len(S.values)
    response = admin_client.get(reverse(CHANGELIST), {"waiting_on": "peer"})
    assert {c.connection_state for c in response.context["cl"].result_list} == {
        S.APPROVED,
        S.PROVISIONING_FAILED,
        S.EXTERNAL_BLOCKER,
    }


def test_queue_filters(admin_client, peering, facility):
    other_metro = factories.PeeringLocationFactory(name="Amsterdam")
    exchange_peering = factories.PeeringFactory(
        subscription=peering.subscription, kind=Kind.EXCHANGE, peering_location=other_metro
    )
    exchange_conn = factories.PeeringConnectionFactory(
        peering=exchange_peering,
        direct_facility=None,
        exchange=factories.ExchangeFactory(location=other_metro, name="AMS-IX"),
    )
    direct_conn = in_state(peering, facility, S.PENDING_APPROVAL)
    url = reverse(CHANGELIST)
    response = admin_client.get(url, {"peering__kind__exact": "Exchange"})
    assert list(response.context["cl"].result_list) == [exchange_conn]
    response = admin_client.get(url, {"metro": facility.location.pk})
    assert list(response.context["cl"].result_list) == [direct_conn]
    response = admin_client.get(url, {"connection_state__exact": "PendingApproval"})
    assert set(response.context["cl"].result_list) == {direct_conn, exchange_conn}
    assert admin_client.get(url, {"metro": "x"}).status_code == 200


def test_select_across_acts_on_the_queue_only(admin_client, peering, facility):
    queued = in_state(peering, facility, S.PROVISIONING_COMPLETED)
    approved = in_state(peering, facility, S.APPROVED)  # waiting on the peer
    response = act(admin_client, "start_validation", queued, select_across="1", index="0")
    assert response.status_code == 302
    assert refresh(queued).connection_state == S.VALIDATING
    assert refresh(approved).connection_state == S.APPROVED
    assert not approved.transitions.exists()


def test_queue_query_count_does_not_grow(admin_client, subscription, django_assert_num_queries):
    def make(count):
        for _ in range(count):
            metro = factories.PeeringLocationFactory()
            peering = factories.PeeringFactory(subscription=subscription, peering_location=metro)
            factories.PeeringConnectionFactory(peering=peering)

    make(3)
    with CaptureQueriesContext(db_connection) as three:
        response = admin_client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 3
    make(27)
    with CaptureQueriesContext(db_connection) as thirty:
        response = admin_client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 30
    assert len(thirty) == len(three)


# --- access ----------------------------------------------------------------------------------


def test_non_staff_gets_no_access(client, owner, conn):
    client.force_login(owner)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    response = act(client, "approve", conn)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    for name in ("peering_deprovisionrequest", "peering_connectiontransition"):
        assert "/admin/login/" in client.get(reverse(f"admin:{name}_changelist"))["Location"]
    assert refresh(conn).connection_state == S.PENDING_APPROVAL


def test_staff_without_change_permission_sees_the_queue_but_no_actions(client, conn):
    user = factories.UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_peeringconnection"))
    client.force_login(user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert 'value="approve"' not in response.text
    act(client, "approve", conn)
    assert refresh(conn).connection_state == S.PENDING_APPROVAL


def test_transition_admin_is_read_only(admin_client, conn):
    act(admin_client, "approve", conn)
    transition = ConnectionTransition.objects.get()
    assert admin_client.get(reverse("admin:peering_connectiontransition_add")).status_code == 403
    change = reverse("admin:peering_connectiontransition_change", args=[transition.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"note": "x", "_save": "Save"}).status_code == 403
    delete = reverse("admin:peering_connectiontransition_delete", args=[transition.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ConnectionTransition.objects.get().note == ""


# --- deprovisioning --------------------------------------------------------------------------


@pytest.fixture
def deprovision(peering, facility, owner):
    in_state(peering, facility, S.ACTIVE)
    in_state(peering, facility, S.ACTIVE)
    return deprovision_request(user=owner, peering=peering, reason="We are leaving Seattle.")


def deprovision_act(client, name, *objs, **extra):
    return act(client, name, *objs, url=reverse(DEPROVISION_CHANGELIST), **extra)


def test_deprovision_list(admin_client, deprovision):
    response = admin_client.get(reverse(DEPROVISION_CHANGELIST))
    assert response.status_code == 200
    html = response.text
    for text in ("contoso-seattle", "Contoso IX", "Requested", "owner", "We are leaving Seattle."):
        assert text in html
    url = reverse("admin:peering_deprovisionrequest_change", args=[deprovision.pk])
    html = admin_client.get(url).text
    assert 'value="accept_selected"' in html
    assert 'name="reason"' not in html  # read-only


def test_deprovision_accept_then_complete(
    admin_client, deprovision, peering, operator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deprovision_act(admin_client, "accept_selected", deprovision)
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "success" and "Accepted 1 deprovisioning request: contoso-seattle." in text
    refresh(deprovision)
    assert deprovision.state == DeprovisionRequest.State.ACCEPTED
    assert deprovision.decided_by == operator
    assert set(peering.connections.values_list("connection_state", flat=True)) == {S.PENDING_REMOVE}
    assert (
        ConnectionTransition.objects.filter(to_state=S.PENDING_REMOVE, user=operator).count() == 2
    )

    # Accepting again is refused, not a 500.
    response = deprovision_act(admin_client, "accept_selected", deprovision)
    level, text = messages_of(response)[-1]
    assert level == "warning" and "This request is Accepted" in text

    mailed = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = deprovision_act(admin_client, "complete_selected", deprovision)
    assert messages_of(response)[0][0] == "success"
    refresh(deprovision)
    assert deprovision.state == DeprovisionRequest.State.COMPLETED
    assert deprovision.peering is None
    assert not Peering.objects.filter(pk=peering.pk).exists()
    assert len(mailoutbox) == mailed + 1
    assert ActivityLog.objects.filter(operation="Microsoft.Peering/peerings/delete").exists()
    # The completed request still opens.
    url = reverse("admin:peering_deprovisionrequest_change", args=[deprovision.pk])
    assert admin_client.get(url).status_code == 200


def test_deprovision_complete_before_accept_is_refused(admin_client, deprovision):
    response = deprovision_act(admin_client, "complete_selected", deprovision)
    assert response.status_code == 302
    [(level, text)] = messages_of(response)
    assert level == "warning"
    assert "The request for contoso-seattle was not completed: This request is Requested" in text
    assert refresh(deprovision).state == DeprovisionRequest.State.REQUESTED


def test_deprovision_accept_refused_while_provisioning(
    admin_client, deprovision, peering, facility
):
    busy = in_state(peering, facility, S.PROVISIONING_STARTED)
    response = deprovision_act(admin_client, "accept_selected", deprovision)
    [(level, text)] = messages_of(response)
    assert level == "warning" and "ProvisioningStarted" in text
    assert refresh(deprovision).state == DeprovisionRequest.State.REQUESTED
    assert refresh(busy).connection_state == S.PROVISIONING_STARTED
    assert not peering.connections.filter(connection_state=S.PENDING_REMOVE).exists()


def test_deprovision_decline_with_reason(
    admin_client, deprovision, owner, mailoutbox, django_capture_on_commit_callbacks
):
    response = deprovision_act(admin_client, "decline_selected", deprovision)
    assert response.status_code == 200
    assert 'name="reason"' in response.text
    assert "<script>" not in response.text
    response = deprovision_act(admin_client, "decline_selected", deprovision, post="yes", reason="")
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]

    reason = "Customers still use the registered ASNs of this peering; move them first."
    with django_capture_on_commit_callbacks(execute=True):
        response = deprovision_act(
            admin_client, "decline_selected", deprovision, post="yes", reason=reason
        )
    assert response.status_code == 302
    assert messages_of(response)[0][0] == "success"
    refresh(deprovision)
    assert deprovision.state == DeprovisionRequest.State.DECLINED
    assert deprovision.decline_reason == reason
    assert Notification.objects.filter(
        user=owner, title="Deprovisioning of contoso-seattle declined"
    ).exists()
    assert reason in mailoutbox[-1].body

    response = deprovision_act(
        admin_client, "decline_selected", deprovision, post="yes", reason="Again."
    )
    level, text = messages_of(response)[-1]
    assert level == "warning" and "was not declined" in text


def test_note_reaches_the_plain_text_email_unescaped(
    admin_client, conn, mailoutbox, django_capture_on_commit_callbacks
):
    note = "The peer's router at 192.0.2.10 refuses the session & sends NOTIFY."
    with django_capture_on_commit_callbacks(execute=True):
        act(admin_client, "mark_provisioning_failed", conn, post="yes", note=note)
    assert note in mailoutbox[0].body

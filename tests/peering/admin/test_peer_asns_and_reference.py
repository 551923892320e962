"""The operators' admin: every page loads, and Peer ASNs are decided only through the actions,
which call the services (activity log, notifications, email after commit) and report refusals as
messages, never as a server error."""

from unittest import mock

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peering.enums import ConnectionState, ContactRole, ValidationState
from peering.management.commands.load_reference_data import exchange_problems
from peering.models import (
    Actor,
    ConnectionTransition,
    DeprovisionRequest,
    FacilityAddressPool,
    LegacyPeering,
    PeeringDraft,
    PeeringServiceDraft,
)
from peering.services.peer_asns import OPERATION_VALIDATE
from portal.models import ActivityLog, ActivityStatus, Notification, Role
from tests import factories

CHANGELIST = "admin:peering_peerasn_changelist"


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def pending(subscription, owner, reader):
    peer_asn = factories.PeerAsnFactory(
        subscription=subscription, name="contoso-ix-asn", peer_asn=59999, peer_name="Contoso IX"
    )
    factories.PeerContactFactory(
        peer_asn=peer_asn, role=ContactRole.NOC, email="noc@contoso.example"
    )
    factories.PeerContactFactory(
        peer_asn=peer_asn, role=ContactRole.POLICY, email="policy@contoso.example"
    )
    return peer_asn


def action(client, name, *objs, **extra):
    data = {"action": name, "_selected_action": [o.pk for o in objs], **extra}
    return client.post(reverse(CHANGELIST), data)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


# --- every page ---------------------------------------------------------------------------


@pytest.fixture
def world(subscription, owner, reader, region):
    """A few rows of every model."""
    factories.ResourceGroupFactory(subscription=subscription, region=region)
    factories.ActivityLogFactory(subscription=subscription)
    factories.NotificationFactory(user=owner, subscription=subscription)
    factories.ApiTokenFactory(user=owner, subscription=subscription)
    connection = factories.PeeringConnectionFactory(
        peering__subscription=subscription, peering__peering_location__azure_region=region
    )
    exchange = factories.ExchangeFactory(location=connection.peering.peering_location)
    factories.PeerContactFactory(peer_asn=connection.peering.peer_asn)
    provider_location = factories.PeeringServiceProviderLocationFactory()
    provider_location.provider.asn = connection.peering.peer_asn.peer_asn
    provider_location.provider.save()
    customer_location = factories.PeeringServiceLocationFactory(azure_region=region)
    registered_asn = factories.RegisteredAsnFactory(peering=connection.peering)
    factories.RegisteredPrefixFactory(peering=connection.peering)
    service = factories.PeeringServiceFactory(
        subscription=subscription,
        location=customer_location,
        provider=provider_location.provider,
        primary_location=connection.peering.peering_location.name,
    )
    prefix = factories.PeeringServicePrefixFactory(
        peering_service=service, registered_asn=registered_asn
    )
    factories.PrefixEventFactory(prefix=prefix)
    factories.ReceivedRouteFactory(connection=connection, prefix=prefix.prefix)
    factories.PrefixKeyAttemptFactory(user=owner)
    factories.VrpFactory()
    factories.VrpSetFactory()
    factories.AspaFactory()
    factories.ValidationRunFactory(prefix=prefix)
    LegacyPeering.objects.create(
        peer_asn=59999,
        peering_location=exchange.location,
        kind="Exchange",
        exchange=exchange,
        peer_session_ipv4_address="198.32.134.10",
    )
    PeeringDraft.objects.create(user=owner, data={"basics": {"name": "draft"}})
    PeeringServiceDraft.objects.create(user=owner, data={"values": {"name": "draft"}})
    FacilityAddressPool.objects.create(
        direct_facility=connection.direct_facility,
        ipv4_pool="203.0.113.0/24",
        ipv6_pool="2001:db8:8075::/64",
    )
    ConnectionTransition.objects.create(
        connection=connection,
        from_state=ConnectionState.NONE,
        to_state=ConnectionState.PENDING_APPROVAL,
        actor=Actor.PEER,
        user=owner,
    )
    DeprovisionRequest.objects.create(
        peering=connection.peering,
        subscription=subscription,
        peering_name=connection.peering.name,
        resource_id=connection.peering.resource_id,
        reason="We are leaving this metro.",
        requested_by=owner,
    )
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="peering.tasks.send_email",
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    return connection


def registered_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in {"portal", "peering", "django_tasks_db"}
    ]


def test_every_portal_and_peering_model_is_registered():
    missing = [m._meta.label for m in registered_models() if not admin.site.is_registered(m)]
    assert missing == []


def test_auth_user_admin_still_registered():
    assert admin.site.is_registered(get_user_model())


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_changelist_and_change_page_load(admin_client, world, model):
    opts = model._meta
    response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    # Search, with a term that fits no numeric or UUID field, must not break either.
    response = admin_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "no-such thing"}
    )
    assert response.status_code == 200
    obj = model._default_manager.first()
    assert obj is not None, f"give the world fixture a {opts.label} row"
    response = admin_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert response.status_code == 200


def test_user_change_page_lists_roles(admin_client, owner, subscription):
    response = admin_client.get(reverse("admin:auth_user_change", args=[owner.pk]))
    assert response.status_code == 200
    assert "Contoso IX" in response.text


def test_admin_requires_staff(client, owner):
    client.force_login(owner)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- Peer ASN list ------------------------------------------------------------------------


def test_peer_asn_changelist_pending_first_oldest_first(admin_client, subscription):
    approved = factories.PeerAsnFactory(
        subscription=subscription, validation_state=ValidationState.APPROVED
    )
    first = factories.PeerAsnFactory(subscription=subscription, name="zz-oldest-pending")
    second = factories.PeerAsnFactory(subscription=subscription, name="aa-newer-pending")
    response = admin_client.get(reverse(CHANGELIST))
    rows = list(response.context["cl"].result_list)
    assert rows[:3] == [first, second, approved]


def test_peer_asn_changelist_filters_by_state(admin_client, pending, subscription):
    factories.PeerAsnFactory(subscription=subscription, validation_state=ValidationState.APPROVED)
    response = admin_client.get(reverse(CHANGELIST), {"validation_state__exact": "Pending"})
    assert list(response.context["cl"].result_list) == [pending]


# --- Approve ------------------------------------------------------------------------------


def test_approve_action(
    admin_client, pending, owner, reader, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = action(admin_client, "approve_selected", pending)
        # Inside the transaction nothing has been mailed; the email waits for the commit.
        assert mailoutbox == []
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.APPROVED
    assert pending.error_message == ""
    assert pending.decided_by.username == "operator"

    entry = ActivityLog.objects.get(operation=OPERATION_VALIDATE)
    assert entry.subscription == pending.subscription
    assert entry.status == ActivityStatus.SUCCEEDED
    assert entry.caller == "operator"
    notified = set(
        Notification.objects.filter(subscription=pending.subscription).values_list(
            "user__username", flat=True
        )
    )
    assert notified == {owner.username, reader.username}

    assert len(callbacks) == 1
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    assert set(mailoutbox[0].to) == {"noc@contoso.example", "policy@contoso.example"}
    [(level, text)] = messages_of(response)
    assert level == "success"
    assert text.startswith("Approved 1 Peer ASN: contoso-ix-asn (AS59999).")


def test_approve_many_counts_successes_and_reports_refusals(
    admin_client, pending, subscription, mailoutbox, django_capture_on_commit_callbacks
):
    done = factories.PeerAsnFactory(
        subscription=subscription, name="already", validation_state=ValidationState.APPROVED
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = action(admin_client, "approve_selected", pending, done)
    assert response.status_code == 302
    found = messages_of(response)
    refusal = f"already (AS{done.peer_asn}) was not approved: already is already Approved; "
    assert ("warning", refusal + "nothing to do.") in found
    assert any(level == "success" and "Approved 1 Peer ASN:" in text for level, text in found)
    assert len(mailoutbox) == 1


def test_approving_an_approved_asn_is_refused_without_500_or_email(
    admin_client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        action(admin_client, "approve_selected", pending)
    assert len(mailoutbox) == 1
    activity = ActivityLog.objects.count()
    admin_client.get(reverse(CHANGELIST))  # shows (and so clears) the first action's message

    with django_capture_on_commit_callbacks(execute=True):
        response = action(admin_client, "approve_selected", pending)
    assert response.status_code == 302
    assert [level for level, _ in messages_of(response)] == ["warning"]
    assert "already Approved" in messages_of(response)[0][1]
    assert len(mailoutbox) == 1
    assert ActivityLog.objects.count() == activity


def test_approve_refused_by_the_service_permission_check(
    client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    """The service has the last word on who may decide; its refusal is a message, not a 500.

    (The admin already keeps out anyone the service would refuse, so the refusal is simulated.)
    """
    client.force_login(factories.UserFactory(username="op2", is_staff=True, is_superuser=True))
    refusal = PermissionDenied("Only Microsoft operators can validate Peer ASNs.")
    with (
        mock.patch("peering.admin.peer_asns.peer_asn_approve", side_effect=refusal),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = action(client, "approve_selected", pending)
    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "error",
            "contoso-ix-asn (AS59999) was not approved: "
            "Only Microsoft operators can validate Peer ASNs.",
        )
    ]
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING
    assert mailoutbox == []


def test_staff_without_change_permission_has_no_actions(client, pending):
    user = factories.UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_peerasn"))
    client.force_login(user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "approve_selected" not in response.text
    response = action(client, "approve_selected", pending)
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING


# --- Reject -------------------------------------------------------------------------------


def test_reject_shows_intermediate_page(admin_client, pending):
    response = action(admin_client, "reject_selected", pending)
    assert response.status_code == 200
    assert "admin/peering/peerasn/reject_selected.html" in [t.name for t in response.templates]
    html = response.text
    assert "contoso-ix-asn" in html and "AS59999" in html
    assert 'name="reason"' in html
    assert "csrfmiddlewaretoken" in html
    assert f'name="_selected_action" value="{pending.pk}"' in html
    assert 'name="action" value="reject_selected"' in html
    assert "<script>" not in html  # CSP: nothing inline
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING


def test_reject_with_reason(
    admin_client, pending, owner, mailoutbox, django_capture_on_commit_callbacks
):
    reason = "AS59999 is registered to another organisation in PeeringDB."
    with django_capture_on_commit_callbacks(execute=True):
        response = action(admin_client, "reject_selected", pending, post="yes", reason=reason)
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.FAILED
    assert pending.error_message == reason
    entry = ActivityLog.objects.get(operation=OPERATION_VALIDATE)
    assert entry.status == ActivityStatus.FAILED
    assert reason in entry.message
    assert Notification.objects.filter(user=owner, level=Notification.Level.ERROR).exists()
    assert len(mailoutbox) == 1
    assert reason in mailoutbox[0].body
    assert set(mailoutbox[0].to) == {"noc@contoso.example", "policy@contoso.example"}
    assert messages_of(response)[0][0] == "success"


def test_reject_without_reason_reshows_the_form(
    admin_client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = action(admin_client, "reject_selected", pending, post="yes", reason="   ")
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert "errornote" in response.text
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING
    assert mailoutbox == []


def test_reject_reason_refused_by_the_service_reshows_the_form(admin_client, pending):
    response = action(admin_client, "reject_selected", pending, post="yes", reason="x" * 1001)
    assert response.status_code == 200
    assert "under 1000 characters" in str(response.context["form"].errors["reason"])
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING


def test_reject_reports_refusal_per_asn(
    admin_client, pending, subscription, mailoutbox, django_capture_on_commit_callbacks
):
    failed = factories.PeerAsnFactory(
        subscription=subscription, name="failed", validation_state=ValidationState.FAILED
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = action(
            admin_client, "reject_selected", pending, failed, post="yes", reason="Not yours."
        )
    assert response.status_code == 302
    found = messages_of(response)
    assert any(level == "warning" and text.startswith("failed (AS") for level, text in found)
    assert any(level == "success" and "Rejected 1 Peer ASN:" in text for level, text in found)
    assert len(mailoutbox) == 1


# --- Change form --------------------------------------------------------------------------


def test_change_form_is_read_only(admin_client, pending):
    url = reverse("admin:peering_peerasn_change", args=[pending.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.text
    for field in ("validation_state", "error_message", "peer_asn", "name"):
        assert f'name="{field}"' not in html
    assert "Pending" in html

    response = admin_client.post(
        url, {"validation_state": "Approved", "error_message": "", "_save": "Save"}
    )
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING


def test_change_form_offers_the_actions(
    admin_client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("admin:peering_peerasn_change", args=[pending.pk])
    response = admin_client.get(url)
    assert 'value="approve_selected"' in response.text
    prefix = ActionLocation.CHANGE_FORM.value
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {f"{prefix}-action": "approve_selected", "_selected_action": pending.pk}
        )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.APPROVED
    assert len(mailoutbox) == 1


def test_change_form_reject_goes_through_the_reason_page(
    admin_client, pending, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("admin:peering_peerasn_change", args=[pending.pk])
    prefix = ActionLocation.CHANGE_FORM.value
    data = {f"{prefix}-action": "reject_selected", "_selected_action": pending.pk}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert f'name="{prefix}-action" value="reject_selected"' in response.text
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {**data, "post": "yes", "reason": "Unknown ASN."})
    assert response.status_code == 302
    assert response["Location"] == url
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.FAILED
    assert pending.error_message == "Unknown ASN."
    assert len(mailoutbox) == 1


# --- Subscription -------------------------------------------------------------------------


def test_subscription_agreement_flag_is_editable(admin_client, subscription, owner):
    url = reverse("admin:portal_subscription_change", args=[subscription.pk])
    response = admin_client.get(url)
    assert 'name="peering_service_agreement_signed"' in response.text
    data = {
        "display_name": subscription.display_name,
        "peering_service_agreement_signed": "on",
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "1",
        "role_assignments-0-id": owner.role_assignments.get().pk,
        "role_assignments-0-subscription": subscription.pk,
        "role_assignments-0-user": owner.pk,
        "role_assignments-0-role": Role.OWNER,
        "resource_groups-TOTAL_FORMS": "0",
        "resource_groups-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    subscription.refresh_from_db()
    assert subscription.peering_service_agreement_signed is True


def test_activity_log_is_read_only(admin_client, subscription):
    entry = factories.ActivityLogFactory(subscription=subscription)
    change = reverse("admin:portal_activitylog_change", args=[entry.pk])
    assert admin_client.get(reverse("admin:portal_activitylog_add")).status_code == 403
    assert admin_client.post(change, {"caller": "x", "_save": "Save"}).status_code == 403
    delete = reverse("admin:portal_activitylog_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.caller == "someone"


# --- Reference data forms -----------------------------------------------------------------


def test_exchange_form_refuses_microsoft_address_outside_the_lan(admin_client):
    location = factories.PeeringLocationFactory(name="Seattle")
    data = {
        "location": location.pk,
        "name": "Test IX",
        "ipv4_prefix": "198.32.134.0/24",
        "microsoft_ipv4_address": "198.32.135.1",
        "ipv6_prefix": "",
        "microsoft_ipv6_address": "",
        "source": "operator",
        "_save": "Save",
    }
    response = admin_client.post(reverse("admin:peering_exchange_add"), data)
    assert response.status_code == 200
    assert "outside the peering LAN" in str(response.context["adminform"].form.errors)
    data["microsoft_ipv4_address"] = "198.32.134.152"
    response = admin_client.post(reverse("admin:peering_exchange_add"), data)
    assert response.status_code == 302


def test_exchange_problems_pure():
    assert (
        exchange_problems(
            ipv4_prefix="198.32.134.0/24",
            ipv6_prefix="2001:504:12::/64",
            microsoft_ipv4_address="198.32.134.152",
            microsoft_ipv6_address="2001:504:12::15",
        )
        == {}
    )
    problems = exchange_problems(
        ipv4_prefix="198.32.134.1/24",
        ipv6_prefix="",
        microsoft_ipv4_address="198.32.134.7",
        microsoft_ipv6_address="2001:db8::1",
    )
    assert set(problems) == {"ipv4_prefix", "microsoft_ipv6_address"}


def test_direct_facility_form_refuses_unknown_type(admin_client):
    location = factories.PeeringLocationFactory(name="Seattle")
    data = {
        "location": location.pk,
        "name": "Westin",
        "address": "",
        "peeringdb_facility_id": "",
        "direct_peering_types": '["Edge", "Bogus"]',
        "bandwidth_offers_mbps": "[10000]",
        "source": "operator",
        "_save": "Save",
    }
    response = admin_client.post(reverse("admin:peering_directfacility_add"), data)
    assert response.status_code == 200
    assert "Bogus" in str(response.context["adminform"].form.errors)


def test_legacy_peering_form_checks_the_exchange_lan(admin_client):
    exchange = factories.ExchangeFactory(location=factories.PeeringLocationFactory(name="Seattle"))
    data = {
        "peer_asn": "64500",
        "peering_location": exchange.location.pk,
        "kind": "Exchange",
        "exchange": exchange.pk,
        "direct_facility": "",
        "peer_session_ipv4_address": "10.0.0.1",
        "_save": "Save",
    }
    response = admin_client.post(reverse("admin:peering_legacypeering_add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "RFC 5398" in str(errors["peer_asn"])
    assert "peering LAN" in str(errors["peer_session_ipv4_address"])
    data.update(peer_asn="59999", peer_session_ipv4_address="198.32.134.10")
    response = admin_client.post(reverse("admin:peering_legacypeering_add"), data)
    assert response.status_code == 302
    assert LegacyPeering.objects.get().peer_asn == 59999

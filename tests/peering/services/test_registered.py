"""Registered ASNs (route-server partners) and registered prefixes (ISP / Voice partners):
the provider's side of Peering Service (product.md §3.7–3.8, portal-workflow-facts.md §4b–4c)."""

import uuid

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from peering.enums import ConnectionState
from peering.models import (
    PeeringServicePrefix,
    PrefixValidationState,
    RegisteredAsn,
    RegisteredPrefix,
)
from peering.services.prefix_validation import MSG_KEY, match_key, prefix_validate
from peering.services.registered import (
    registered_asn_add,
    registered_asn_delete,
    registered_asn_rotate_key,
    registered_asn_unavailable_reason,
    registered_prefix_add,
    registered_prefix_delete,
    registered_prefix_revalidate,
    registered_prefix_unavailable_reason,
)
from portal.models import ActivityLog, Notification, Role
from portal.validators import ARM_NAME_MESSAGE
from tests import factories
from tests.factories import CUSTOMER_PREFIX

V = PrefixValidationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(subscription, owner, reader):
    """Contoso IX (the `subscription` fixture) with its route-server peerings; `owner` and
    `reader` hold roles on it; the contacts of its Peer ASN get the emails."""
    world = factories.provider_world(subscription=subscription)
    factories.PeerContactFactory(peer_asn=world.peer_asn, email="noc@contoso-ix.example")
    return world


@pytest.fixture
def northwind(other_subscription):
    """Another tenant (the `outsider` owns it) with its own route-server peering."""
    return factories.provider_world(
        subscription=other_subscription,
        name="Northwind Exchange",
        provider_asn=63999,
        customer_asn=150002,
    )


def writes() -> dict:
    return {
        "registered_asns": RegisteredAsn.objects.count(),
        "registered_prefixes": RegisteredPrefix.objects.count(),
        "activity": ActivityLog.objects.count(),
        "notifications": Notification.objects.count(),
        "mail": len(mail.outbox),
        "keys": sorted(str(k) for k in RegisteredAsn.objects.values_list("prefix_key", flat=True)),
    }


def customer_prefix(world, key, prefix=CUSTOMER_PREFIX, **kwargs) -> PeeringServicePrefix:
    return factories.PeeringServicePrefixFactory(
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        peering_service__backup_location="Ashburn",
        prefix=prefix,
        prefix_key=str(key),
        **kwargs,
    )


# --- Registered ASNs: when the button is available -------------------------------------------


def test_registered_asn_available_on_route_server_with_an_active_connection(world):
    assert registered_asn_unavailable_reason(world.peering) == ""


@pytest.mark.parametrize(
    "state",
    [
        ConnectionState.PENDING_APPROVAL,
        ConnectionState.APPROVED,
        ConnectionState.PROVISIONING_STARTED,
        ConnectionState.VALIDATING,
        ConnectionState.EXTERNAL_BLOCKER,
    ],
)
def test_registered_asn_needs_an_active_connection(world, owner, state):
    world.peering.connections.update(connection_state=state)
    reason = "Available once a connection of this peering is Active."
    assert registered_asn_unavailable_reason(world.peering) == reason
    before = writes()
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=world.peering, name="tailspin", asn=150500)
    assert info.value.messages == [reason]
    assert writes() == before


@pytest.mark.parametrize("peering_type", ["Edge", "Voice"])
def test_registered_asn_only_on_route_server_peerings(world, owner, peering_type):
    peering = factories.PeeringFactory(
        subscription=world.subscription,
        peer_asn=world.peer_asn,
        direct_peering_type=peering_type,
    )
    factories.PeeringConnectionFactory(peering=peering, connection_state=ConnectionState.ACTIVE)
    reason = "Registered ASNs belong to Exchange peerings with route server."
    assert registered_asn_unavailable_reason(peering) == reason
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=peering, name="tailspin", asn=150500)
    assert info.value.messages == [reason]
    assert not RegisteredAsn.objects.filter(peering=peering).exists()


# --- Registered ASNs: adding ------------------------------------------------------------------


def test_add_registered_asn_issues_a_v4_key_logs_and_notifies(
    world, owner, reader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registered = registered_asn_add(
            user=owner, peering=world.peering, name=" tailspin ", asn="AS150500"
        )

    registered.refresh_from_db()
    assert (registered.name, registered.asn, registered.created_by) == ("tailspin", 150500, owner)
    key = registered.prefix_key
    assert isinstance(key, uuid.UUID) and key.version == 4 and key.variant == uuid.RFC_4122
    assert key != world.registered.prefix_key
    log = ActivityLog.objects.get(operation_display="Add registered ASN")
    assert log.subscription == world.subscription and log.user == owner
    assert log.resource_id.endswith("/registeredAsns/tailspin")
    assert "AS150500" in log.message
    titles = set(Notification.objects.values_list("user__username", "title"))
    title = f"Registered ASN tailspin (AS150500) added to {world.peering.name}"
    assert titles == {("owner", title), ("reader", title)}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["noc@contoso-ix.example"]
    # The key is shown in the portal only: never in a log, a notification or an email.
    for text in (
        log.message,
        *Notification.objects.values_list("body", flat=True),
        mail.outbox[0].body,
        mail.outbox[0].subject,
    ):
        assert str(key) not in text and str(key).upper() not in text


def test_every_registered_asn_gets_its_own_key(world, owner):
    keys = {
        registered_asn_add(
            user=owner, peering=world.peering, name=f"customer-{i}", asn=150500 + i
        ).prefix_key
        for i in range(20)
    }
    keys.add(world.registered.prefix_key)
    assert len(keys) == 21
    assert all(k.version == 4 for k in keys)


def test_prefix_key_column_is_unique():
    from django.db import IntegrityError, transaction

    first = factories.RegisteredAsnFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.RegisteredAsnFactory(prefix_key=first.prefix_key)


@pytest.mark.parametrize(
    "asn",
    [
        0,
        23456,
        64496,
        64511,
        64512,
        65534,
        65535,
        65536,
        65551,
        4200000000,
        4294967294,
        4294967295,
        4294967296,
        -1,
        "AS64512",
        "abc",
        "",
        None,
        True,
        1.5,
        "١٢٣",
    ],
)
def test_registered_asn_must_be_public(world, owner, asn):
    before = writes()
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=world.peering, name="tailspin", asn=asn)
    assert set(info.value.message_dict) == {"asn"}
    assert writes() == before


@pytest.mark.parametrize(
    ("asn", "message_part"),
    [
        (64512, "AS64512–AS65534 is reserved for private use (RFC 6996)"),
        (64500, "reserved for documentation and sample code (RFC 5398)"),
        (23456, "AS_TRANS"),
    ],
)
def test_non_public_asn_message_names_the_range(world, owner, asn, message_part):
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=world.peering, name="tailspin", asn=asn)
    assert message_part in info.value.message_dict["asn"][0]


@pytest.mark.parametrize("asn", [1, 150500, "150500", "AS150500", "as150500", 4199999999, 65552])
def test_public_asns_are_accepted(world, owner, asn):
    registered = registered_asn_add(user=owner, peering=world.peering, name="tailspin", asn=asn)
    assert registered.asn == int(str(asn).upper().removeprefix("AS"))


def test_an_asn_is_registered_only_once_across_all_peerings(world, northwind, owner):
    # Northwind (another tenant) registered AS150002 on its peering.
    before = writes()
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=world.peering, name="someone", asn=150002)
    assert info.value.message_dict == {
        "asn": [
            "AS150002 is already registered on a peering. An ASN can be registered only once: "
            "its prefix key is valid for all of the customer's prefixes and locations."
        ]
    }
    # The message does not say where (another tenant's peering stays private).
    assert "Northwind" not in str(info.value) and northwind.peering.name not in str(info.value)
    assert writes() == before


def test_the_same_asn_on_another_peering_of_the_same_provider_is_refused(world, owner):
    with pytest.raises(ValidationError) as info:
        registered_asn_add(
            user=owner, peering=world.backup_peering, name="fabrikam2", asn=world.registered.asn
        )
    assert set(info.value.message_dict) == {"asn"}


@pytest.mark.parametrize(
    "name",
    ["", "   ", "a" * 64, "fab rikam", "fab/rikam", "fabrikam<script>", "fäbrikam", "x\x00y"],
)
def test_registered_asn_name_rules(world, owner, name):
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=world.peering, name=name, asn=150500)
    assert info.value.message_dict == {"name": [ARM_NAME_MESSAGE]}
    assert not RegisteredAsn.objects.filter(asn=150500).exists()


@pytest.mark.parametrize("name", ["a", "a" * 63, "Tailspin_Toys.eu-1"])
def test_registered_asn_valid_names(world, owner, name):
    assert registered_asn_add(user=owner, peering=world.peering, name=name, asn=150500).name == (
        name
    )


def test_registered_asn_name_unique_per_peering_ignoring_case(world, owner):
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=world.peering, name="FABRIKAM", asn=150500)
    assert info.value.message_dict == {
        "name": ["A registered ASN named 'FABRIKAM' already exists on this peering."]
    }
    # The same name on another peering is fine.
    assert registered_asn_add(user=owner, peering=world.backup_peering, name="fabrikam", asn=150500)


def test_name_and_asn_errors_are_reported_together(world, owner):
    with pytest.raises(ValidationError) as info:
        registered_asn_add(user=owner, peering=world.peering, name="bad name", asn=64512)
    assert set(info.value.message_dict) == {"name", "asn"}


@pytest.mark.parametrize("who", ["reader", "outsider", "anonymous", "operator"])
def test_registered_asn_add_refused_without_write_role(world, who, request):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    before = writes()
    with pytest.raises(PermissionDenied):
        registered_asn_add(user=user, peering=world.peering, name="tailspin", asn=150500)
    assert writes() == before


def test_contributor_can_add(world):
    contributor = factories.UserFactory(username="contributor")
    factories.RoleAssignmentFactory(
        user=contributor, subscription=world.subscription, role=Role.CONTRIBUTOR
    )
    assert registered_asn_add(user=contributor, peering=world.peering, name="t", asn=150500)


# --- Registered ASNs: rotating the key ------------------------------------------------------


def test_rotate_issues_a_new_key_and_the_old_one_stops_at_once(
    world, owner, django_capture_on_commit_callbacks
):
    old_key = world.registered.prefix_key
    prefix = customer_prefix(world, old_key)
    assert prefix_validate(prefix_id=prefix.pk).validation_state == V.VERIFIED
    Notification.objects.all().delete()
    ActivityLog.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        rotated = registered_asn_rotate_key(user=owner, registered=world.registered)

    rotated.refresh_from_db()
    assert rotated.prefix_key != old_key and rotated.prefix_key.version == 4
    assert rotated.key_rotated_at is not None
    # The old key matches nothing; the new one matches.
    assert match_key(provider=world.provider, key=str(old_key)) == (None, None)
    assert match_key(provider=world.provider, key=str(rotated.prefix_key))[0] == rotated
    # The prefix that used it was re-validated by the task and is now Invalid.
    prefix.refresh_from_db()
    assert prefix.validation_state == V.INVALID
    assert prefix.error_message == MSG_KEY.format(provider="Contoso IX")
    assert prefix.registered_asn is None
    # Activity log and notification on the provider's subscription; no key anywhere.
    log = ActivityLog.objects.get(operation_display="Rotate prefix key")
    assert log.subscription == world.subscription and log.user == owner
    assert "1 prefix(es) re-validated" in log.message
    assert Notification.objects.filter(
        subscription=world.subscription,
        title=f"Prefix key of fabrikam (AS{rotated.asn}) rotated",
        level=Notification.Level.WARNING,
    ).exists()
    assert len(mail.outbox) == 1 and "replaced" in mail.outbox[0].body
    for text in [log.message, mail.outbox[0].body] + list(
        Notification.objects.values_list("body", flat=True)
    ):
        assert str(old_key) not in text and str(rotated.prefix_key) not in text


def test_after_rotation_the_new_key_verifies(world, owner, django_capture_on_commit_callbacks):
    old = customer_prefix(world, world.registered.prefix_key)
    prefix_validate(prefix_id=old.pk)
    with django_capture_on_commit_callbacks(execute=True):
        rotated = registered_asn_rotate_key(user=owner, registered=world.registered)
    old.delete()  # the customer deletes it and adds it again with the new key
    again = customer_prefix(world, rotated.prefix_key)
    assert prefix_validate(prefix_id=again.pk).validation_state == V.VERIFIED


def test_rotate_before_the_task_runs_leaves_the_prefix_as_it_was(world, owner):
    """The re-validation is queued after commit: without it the state is unchanged."""
    prefix = customer_prefix(world, world.registered.prefix_key)
    prefix_validate(prefix_id=prefix.pk)
    registered_asn_rotate_key(user=owner, registered=world.registered)
    prefix.refresh_from_db()
    assert prefix.validation_state == V.VERIFIED
    # but a re-validation now fails
    assert prefix_validate(prefix_id=prefix.pk).validation_state == V.INVALID


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_rotate_refused_without_write_role(world, who, request):
    before = writes()
    with pytest.raises(PermissionDenied):
        registered_asn_rotate_key(user=request.getfixturevalue(who), registered=world.registered)
    assert writes() == before


# --- Registered ASNs: deleting --------------------------------------------------------------


def test_delete_registered_asn_revalidates_its_users(
    world, owner, django_capture_on_commit_callbacks
):
    prefix = customer_prefix(world, world.registered.prefix_key)
    prefix_validate(prefix_id=prefix.pk)
    key = world.registered.prefix_key

    with django_capture_on_commit_callbacks(execute=True):
        registered_asn_delete(user=owner, registered=world.registered)

    assert not RegisteredAsn.objects.filter(pk=world.registered.pk).exists()
    prefix.refresh_from_db()
    assert prefix.validation_state == V.INVALID
    assert prefix.registered_asn is None
    assert match_key(provider=world.provider, key=str(key)) == (None, None)
    log = ActivityLog.objects.get(operation_display="Delete registered ASN")
    assert log.message == f"AS{world.registered.asn} removed; 1 prefix(es) re-validated."
    assert Notification.objects.filter(
        subscription=world.subscription, title__startswith="Registered ASN fabrikam"
    ).exists()
    assert len(mail.outbox) == 1 and "removed" in mail.outbox[0].body
    # The ASN can be registered again (e.g. on another peering), with a new key.
    again = registered_asn_add(
        user=owner, peering=world.backup_peering, name="fabrikam", asn=world.registered.asn
    )
    assert again.prefix_key != key


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_delete_registered_asn_refused_without_write_role(world, who, request):
    before = writes()
    with pytest.raises(PermissionDenied):
        registered_asn_delete(user=request.getfixturevalue(who), registered=world.registered)
    assert writes() == before


# --- Registered prefixes --------------------------------------------------------------------


@pytest.fixture
def isp(subscription, owner, reader):
    """An ISP partner (AS59998, the `subscription` tenant) with a Direct Premium Free Edge
    peering in Seattle whose two Active connections are used for Peering Service."""
    return factories.provider_world(
        subscription=subscription,
        name="Kordia Test",
        provider_asn=59998,
        customer_asn=150003,
        direct_peering_type="Edge",
        announce=False,
    )


ISP_PREFIX = "45.70.0.0/16"


def announce_isp_prefix(isp, prefix=ISP_PREFIX, connections=None, **route):
    return isp.announce(
        prefix,
        connections=isp.primary_connections if connections is None else connections,
        origin_as=150003,
        **route,
    )


@pytest.mark.parametrize("peering_type", ["Edge", "Voice"])
def test_registered_prefix_available_on_direct_premium_peering_service(isp, peering_type):
    isp.peering.direct_peering_type = peering_type
    isp.peering.save()
    assert registered_prefix_unavailable_reason(isp.peering) == ""


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"direct_peering_type": "IxRs"},
            "Registered prefixes belong to Direct Premium Free peerings used for Peering Service.",
        ),
        (
            {"sku_name": "Basic_Direct_Free"},
            "Registered prefixes belong to Direct Premium Free peerings used for Peering Service.",
        ),
        (
            {"kind": "Exchange", "sku_name": "Basic_Exchange_Free", "direct_peering_type": ""},
            "Registered prefixes belong to Direct Premium Free peerings used for Peering Service.",
        ),
        (
            {"use_for_peering_service": False},
            "No connection of this peering is used for Peering Service.",
        ),
        (
            {"connection_state": ConnectionState.VALIDATING},
            "Available once a connection of this peering is Active.",
        ),
    ],
    ids=["route-server", "basic", "exchange", "not-for-peering-service", "not-active"],
)
def test_registered_prefix_unavailable_reasons(isp, owner, change, reason):
    connection_fields = {"use_for_peering_service", "connection_state"}
    peering_change = {k: v for k, v in change.items() if k not in connection_fields}
    connection_change = {k: v for k, v in change.items() if k in connection_fields}
    if peering_change:
        type(isp.peering).objects.filter(pk=isp.peering.pk).update(**peering_change)
        isp.peering.refresh_from_db()
    if connection_change:
        isp.peering.connections.update(**connection_change)
    assert registered_prefix_unavailable_reason(isp.peering) == reason
    before = writes()
    with pytest.raises(ValidationError) as info:
        registered_prefix_add(user=owner, peering=isp.peering, name="block", prefix=ISP_PREFIX)
    assert info.value.messages == [reason]
    assert writes() == before


def test_registered_prefix_is_pending_until_the_task_runs(
    isp, owner, django_capture_on_commit_callbacks
):
    announce_isp_prefix(isp)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registered = registered_prefix_add(
            user=owner, peering=isp.peering, name="block", prefix=f" {ISP_PREFIX} "
        )
    registered.refresh_from_db()
    assert registered.validation_state == V.PENDING
    assert registered.prefix == ISP_PREFIX
    assert registered.prefix_key.version == 4
    assert ActivityLog.objects.get(operation_display="Add registered prefix").message == (
        f"{ISP_PREFIX} registered; validation queued."
    )
    assert len(callbacks) == 1
    callbacks[0]()
    registered.refresh_from_db()
    assert registered.validation_state == V.VERIFIED
    assert registered.validated_at is not None
    assert Notification.objects.filter(
        subscription=isp.subscription, title=f"Prefix block ({ISP_PREFIX}) Verified"
    ).exists()


def test_registered_prefix_not_announced_fails_after_the_task(
    isp, owner, django_capture_on_commit_callbacks
):
    first, second = isp.primary_connections
    announce_isp_prefix(isp, connections=[first])
    with django_capture_on_commit_callbacks(execute=True):
        registered = registered_prefix_add(
            user=owner, peering=isp.peering, name="block", prefix=ISP_PREFIX
        )
    registered.refresh_from_db()
    assert registered.validation_state == V.FAILED
    assert second.peer_session_ipv4_address in registered.error_message


@pytest.mark.parametrize(
    "prefix",
    ["10.0.0.0/8", "192.168.1.0/24", "203.0.113.0/24", "2001:db8::/32", "45.70.0.1/16", "junk", ""],
)
def test_registered_prefix_must_be_public_ipv4(isp, owner, prefix):
    before = writes()
    with pytest.raises(ValidationError) as info:
        registered_prefix_add(user=owner, peering=isp.peering, name="block", prefix=prefix)
    assert set(info.value.message_dict) == {"prefix"}
    assert writes() == before


def test_registering_the_default_route_is_refused(isp, owner):
    with pytest.raises(ValidationError):
        registered_prefix_add(user=owner, peering=isp.peering, name="all", prefix="0.0.0.0/0")


def test_a_prefix_is_registered_only_once_across_all_peerings(isp, owner, other_subscription):
    other = factories.provider_world(
        subscription=other_subscription,
        name="Other ISP",
        provider_asn=63998,
        customer_asn=150004,
        direct_peering_type="Edge",
        announce=False,
    )
    factories.RegisteredPrefixFactory(peering=other.peering, prefix=ISP_PREFIX)
    before = writes()
    with pytest.raises(ValidationError) as info:
        registered_prefix_add(user=owner, peering=isp.peering, name="block", prefix=ISP_PREFIX)
    assert info.value.message_dict == {
        "prefix": [
            f"{ISP_PREFIX} is already registered. A prefix may be registered under only one "
            "peering."
        ]
    }
    assert writes() == before


def test_registered_prefix_name_rules(isp, owner):
    factories.RegisteredPrefixFactory(peering=isp.peering, name="block", prefix="45.71.0.0/16")
    with pytest.raises(ValidationError) as info:
        registered_prefix_add(user=owner, peering=isp.peering, name="BLOCK", prefix=ISP_PREFIX)
    assert info.value.message_dict == {
        "name": ["A registered prefix named 'BLOCK' already exists on this peering."]
    }
    with pytest.raises(ValidationError) as info:
        registered_prefix_add(user=owner, peering=isp.peering, name="a block", prefix=ISP_PREFIX)
    assert info.value.message_dict == {"name": [ARM_NAME_MESSAGE]}


def test_registered_prefix_revalidate_is_pending_then_the_result(
    isp, owner, django_capture_on_commit_callbacks
):
    registered = factories.RegisteredPrefixFactory(
        peering=isp.peering, prefix=ISP_PREFIX, validation_state=V.FAILED, error_message="x"
    )
    announce_isp_prefix(isp)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = registered_prefix_revalidate(user=owner, registered=registered)
    assert result.validation_state == V.PENDING
    assert len(callbacks) == 1
    callbacks[0]()
    registered.refresh_from_db()
    assert registered.validation_state == V.VERIFIED
    assert registered.error_message == ""


def test_registered_prefix_key_redeemed_then_deleted(
    isp, owner, django_capture_on_commit_callbacks
):
    registered = factories.RegisteredPrefixFactory(peering=isp.peering, prefix=ISP_PREFIX)
    announce_isp_prefix(isp, "45.70.1.0/24")
    prefix = customer_prefix(isp, registered.prefix_key, prefix="45.70.1.0/24")
    prefix.peering_service.backup_location = ""
    prefix.peering_service.save()
    assert prefix_validate(prefix_id=prefix.pk).validation_state == V.VERIFIED
    prefix.refresh_from_db()
    assert prefix.registered_prefix == registered

    with django_capture_on_commit_callbacks(execute=True):
        registered_prefix_delete(user=owner, registered=registered)

    assert not RegisteredPrefix.objects.exists()
    prefix.refresh_from_db()
    assert prefix.validation_state == V.INVALID
    assert ActivityLog.objects.get(operation_display="Delete registered prefix").message == (
        f"{ISP_PREFIX} removed; 1 prefix(es) re-validated."
    )


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_registered_prefix_writes_refused_without_write_role(isp, who, request):
    user = request.getfixturevalue(who)
    registered = factories.RegisteredPrefixFactory(
        peering=isp.peering, prefix="45.71.0.0/16", validation_state=V.FAILED
    )
    before = writes()
    with pytest.raises(PermissionDenied):
        registered_prefix_add(user=user, peering=isp.peering, name="block", prefix=ISP_PREFIX)
    with pytest.raises(PermissionDenied):
        registered_prefix_revalidate(user=user, registered=registered)
    with pytest.raises(PermissionDenied):
        registered_prefix_delete(user=user, registered=registered)
    assert writes() == before
    registered.refresh_from_db()
    assert registered.validation_state == V.FAILED

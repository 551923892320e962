"""Tenancy services: resource groups, the activity log, notifications."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import ActivityLog, ActivityStatus, Notification, ResourceGroup, Role
from portal.services import (
    activity_record,
    notifications_mark_read,
    notify_subscription,
    resource_group_create,
)
from tests import factories


def row_counts():
    return (ResourceGroup.objects.count(), ActivityLog.objects.count())


# --- resource_group_create ---------------------------------------------------------------------


@pytest.mark.django_db
def test_resource_group_create(owner, subscription, region):
    group = resource_group_create(
        user=owner, subscription=subscription, name="rg-edge", region=region
    )
    group.refresh_from_db()
    assert group.subscription == subscription
    assert group.name == "rg-edge"
    assert group.region == region
    log = ActivityLog.objects.get()
    assert log.subscription == subscription
    assert log.user == owner
    assert log.status == ActivityStatus.SUCCEEDED
    assert log.resource_id == f"/subscriptions/{subscription.pk}/resourceGroups/rg-edge"
    assert log.resource_group == "rg-edge"
    assert log.operation == "Microsoft.Resources/subscriptions/resourceGroups/write"


@pytest.mark.django_db
def test_resource_group_create_by_contributor(subscription, region):
    user = factories.UserFactory(username="contributor")
    factories.RoleAssignmentFactory(user=user, subscription=subscription, role=Role.CONTRIBUTOR)
    assert resource_group_create(user=user, subscription=subscription, name="rg", region=region)


@pytest.mark.django_db
def test_resource_group_create_strips_whitespace(owner, subscription, region):
    group = resource_group_create(
        user=owner, subscription=subscription, name="  rg-edge \n", region=region
    )
    assert group.name == "rg-edge"


@pytest.mark.django_db
@pytest.mark.parametrize("existing", ["RG-Edge", "rg-edge", "RG-EDGE"])
def test_resource_group_duplicate_name_ignoring_case(owner, subscription, region, existing):
    factories.ResourceGroupFactory(subscription=subscription, name=existing, region=region)
    before = row_counts()
    with pytest.raises(ValidationError) as info:
        resource_group_create(user=owner, subscription=subscription, name="rg-edge", region=region)
    assert set(info.value.message_dict) == {"name"}
    assert "already exists" in info.value.message_dict["name"][0]
    assert "Contoso IX" in info.value.message_dict["name"][0]
    assert row_counts() == before


@pytest.mark.django_db
def test_resource_group_same_name_in_another_subscription(
    owner, subscription, other_subscription, region
):
    factories.ResourceGroupFactory(subscription=other_subscription, name="rg-edge", region=region)
    group = resource_group_create(
        user=owner, subscription=subscription, name="RG-edge", region=region
    )
    assert group.subscription == subscription
    assert ResourceGroup.objects.filter(name__iexact="rg-edge").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        None,
        "rg edge",
        "rg/edge",
        "a" * 64,
        "a" * 10_000,
        "rg\x00",
        "ré",
        "rg\tx",
        "rg#1",
    ],
    ids=repr,
)
def test_resource_group_invalid_names(owner, subscription, region, name):
    before = row_counts()
    with pytest.raises(ValidationError) as info:
        resource_group_create(user=owner, subscription=subscription, name=name, region=region)
    assert set(info.value.message_dict) == {"name"}
    assert row_counts() == before


@pytest.mark.django_db
def test_resource_group_longest_name(owner, subscription, region):
    group = resource_group_create(
        user=owner, subscription=subscription, name="a" * 63, region=region
    )
    assert len(group.name) == 63


@pytest.mark.django_db
def test_resource_group_missing_region(owner, subscription):
    before = row_counts()
    with pytest.raises(ValidationError) as info:
        resource_group_create(user=owner, subscription=subscription, name="rg-edge", region=None)
    assert set(info.value.message_dict) == {"region"}
    assert row_counts() == before


@pytest.mark.django_db
def test_resource_group_reports_every_field(owner, subscription):
    with pytest.raises(ValidationError) as info:
        resource_group_create(user=owner, subscription=subscription, name="bad name", region=None)
    assert set(info.value.message_dict) == {"name", "region"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reader", "outsider", "operator", "anonymous"])
def test_resource_group_refused_without_write_role(request, subscription, region, who):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        resource_group_create(user=user, subscription=subscription, name="rg-edge", region=region)
    assert row_counts() == before


@pytest.mark.django_db
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.one_of(st.text(max_size=100), st.from_regex(r"[A-Za-z0-9_.\-]{1,63}", fullmatch=True))
)
def test_resource_group_fuzz(owner, subscription, region, name):
    with transaction.atomic():
        before = row_counts()
        try:
            group = resource_group_create(
                user=owner, subscription=subscription, name=name, region=region
            )
        except ValidationError as exc:
            assert exc.message_dict
            assert row_counts() == before
        else:
            assert row_counts() == (before[0] + 1, before[1] + 1)
            group.full_clean(validate_constraints=False)
        transaction.set_rollback(True)


# --- activity_record ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_activity_record_for_a_user(owner, subscription):
    entry = activity_record(
        subscription=subscription,
        user=owner,
        operation="Microsoft.Peering/peerings/write",
        operation_display="Create peering",
        resource_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Peering/peerings/p",
        resource_group="rg",
        message="ok",
    )
    entry.refresh_from_db()
    assert entry.user == owner
    assert entry.caller == "owner"
    assert entry.status == ActivityStatus.SUCCEEDED
    assert entry.resource_group == "rg"


@pytest.mark.django_db
@pytest.mark.parametrize("user", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_activity_record_for_the_system(subscription, user):
    entry = activity_record(
        subscription=subscription,
        user=user,
        operation="Microsoft.Peering/peerAsns/validate/action",
        operation_display="Validate Peer ASN",
        resource_id="/subscriptions/x",
        status=ActivityStatus.FAILED,
    )
    assert entry.user is None
    assert entry.caller == "Microsoft.Peering"
    assert entry.status == ActivityStatus.FAILED


# --- notify_subscription -----------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_subscription_reaches_every_active_member_only(
    subscription, owner, reader, outsider, operator
):
    inactive = factories.UserFactory(username="inactive", is_active=False)
    factories.RoleAssignmentFactory(user=inactive, subscription=subscription, role=Role.OWNER)

    created = notify_subscription(
        subscription=subscription, title="Peer ASN approved", link="/x", level="success"
    )

    assert {n.user for n in created} == {owner, reader}
    assert Notification.objects.count() == 2
    assert set(Notification.objects.values_list("user__username", flat=True)) == {
        "owner",
        "reader",
    }
    for note in Notification.objects.all():
        assert note.subscription == subscription
        assert note.title == "Peer ASN approved"
        assert note.level == "success"
        assert note.read_at is None


@pytest.mark.django_db
def test_notify_subscription_without_members(subscription):
    assert notify_subscription(subscription=subscription, title="Nobody") == []
    assert Notification.objects.count() == 0


# --- notifications_mark_read -------------------------------------------------------------------


@pytest.mark.django_db
def test_mark_read_all_touches_only_the_users_own(owner, reader):
    mine = factories.NotificationFactory.create_batch(3, user=owner)
    theirs = factories.NotificationFactory.create_batch(2, user=reader)

    assert notifications_mark_read(user=owner) == 3

    for note in mine:
        note.refresh_from_db()
        assert note.read_at is not None
    for note in theirs:
        note.refresh_from_db()
        assert note.read_at is None


@pytest.mark.django_db
def test_mark_read_by_id_ignores_other_users_ids(owner, reader):
    mine = factories.NotificationFactory.create_batch(2, user=owner)
    theirs = factories.NotificationFactory(user=reader)

    count = notifications_mark_read(user=owner, notification_ids=[mine[0].pk, theirs.pk])

    assert count == 1
    mine[0].refresh_from_db()
    mine[1].refresh_from_db()
    theirs.refresh_from_db()
    assert mine[0].read_at is not None
    assert mine[1].read_at is None
    assert theirs.read_at is None


@pytest.mark.django_db
def test_mark_read_keeps_the_first_read_time(owner):
    earlier = timezone.now() - timezone.timedelta(days=1)
    note = factories.NotificationFactory(user=owner, read_at=earlier)
    assert notifications_mark_read(user=owner) == 0
    assert notifications_mark_read(user=owner, notification_ids=[note.pk]) == 0
    note.refresh_from_db()
    assert note.read_at == earlier


@pytest.mark.django_db
def test_mark_read_with_an_empty_id_list_touches_nothing(owner):
    note = factories.NotificationFactory(user=owner)
    assert notifications_mark_read(user=owner, notification_ids=[]) == 0
    note.refresh_from_db()
    assert note.read_at is None

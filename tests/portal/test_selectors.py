"""Tenancy selectors: another tenant's objects do not exist (404); a Reader may not write (403)."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from portal.models import Role
from portal.selectors import (
    activity_for_user,
    ensure_can_write,
    notifications_for_user,
    resource_group_for_user,
    resource_groups_for_user,
    role_assignments_for_user,
    subscription_for_user,
    subscriptions_for_user,
    unread_notification_count,
    writable_subscriptions_for_user,
)
from tests import factories

# --- subscription_for_user ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("as_text", [False, True], ids=["uuid", "text"])
def test_subscription_for_owner(owner, subscription, as_text):
    sub_id = str(subscription.pk) if as_text else subscription.pk
    found = subscription_for_user(user=owner, subscription_id=sub_id, write=True)
    assert found == subscription
    assert found.user_role == Role.OWNER


@pytest.mark.django_db
def test_subscription_for_reader_reads(reader, subscription):
    found = subscription_for_user(user=reader, subscription_id=subscription.pk)
    assert found.user_role == Role.READER


@pytest.mark.django_db
def test_subscription_for_reader_writing_is_forbidden(reader, subscription):
    with pytest.raises(PermissionDenied):
        subscription_for_user(user=reader, subscription_id=subscription.pk, write=True)


@pytest.mark.django_db
@pytest.mark.parametrize("write", [False, True])
def test_subscription_for_outsider_is_404(outsider, subscription, write):
    with pytest.raises(Http404):
        subscription_for_user(user=outsider, subscription_id=subscription.pk, write=write)


@pytest.mark.django_db
def test_subscription_for_anonymous_is_404(subscription):
    with pytest.raises(Http404):
        subscription_for_user(user=AnonymousUser(), subscription_id=subscription.pk)


@pytest.mark.django_db
def test_subscription_that_does_not_exist_is_404(owner):
    with pytest.raises(Http404):
        subscription_for_user(user=owner, subscription_id=uuid.uuid4())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad_id",
    [
        "not-a-guid",
        "",
        None,
        12345,
        "../../etc/passwd",
        "00000000-0000-0000-0000-00000000000g",
        "\x00",
        "x" * 10_000,
        ["a"],
        object(),
    ],
    # Without the object's address: pytest-xdist workers must collect the same ids.
    ids=lambda v: repr(v).split(" at 0x")[0][:30],
)
def test_malformed_subscription_id_is_404(owner, bad_id):
    with pytest.raises(Http404):
        subscription_for_user(user=owner, subscription_id=bad_id)


@pytest.mark.django_db
def test_subscription_id_in_other_spellings(owner, subscription):
    for spelling in (
        str(subscription.pk).upper(),
        "{" + str(subscription.pk) + "}",
        subscription.pk.hex,
    ):
        assert subscription_for_user(user=owner, subscription_id=spelling) == subscription


# --- lists of subscriptions --------------------------------------------------------------------


@pytest.mark.django_db
def test_subscription_lists(owner, reader, outsider, subscription, other_subscription):
    assert list(subscriptions_for_user(user=owner)) == [subscription]
    assert list(subscriptions_for_user(user=reader)) == [subscription]
    assert list(subscriptions_for_user(user=outsider)) == [other_subscription]
    assert list(subscriptions_for_user(user=AnonymousUser())) == []
    assert list(writable_subscriptions_for_user(user=owner)) == [subscription]
    assert list(writable_subscriptions_for_user(user=reader)) == []
    assert list(writable_subscriptions_for_user(user=AnonymousUser())) == []
    assert [a.subscription for a in role_assignments_for_user(user=reader)] == [subscription]
    assert list(role_assignments_for_user(user=AnonymousUser())) == []


@pytest.mark.django_db
def test_ensure_can_write(owner, reader, outsider, subscription):
    ensure_can_write(user=owner, subscription=subscription)
    for user in (reader, outsider, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            ensure_can_write(user=user, subscription=subscription)


# --- resource groups ---------------------------------------------------------------------------


@pytest.fixture
def groups(subscription, other_subscription, region):
    return {
        "mine": [
            factories.ResourceGroupFactory(subscription=subscription, name="rg-b", region=region),
            factories.ResourceGroupFactory(subscription=subscription, name="rg-a", region=region),
        ],
        "theirs": [
            factories.ResourceGroupFactory(
                subscription=other_subscription, name="rg-a", region=region
            ),
            factories.ResourceGroupFactory(
                subscription=other_subscription, name="rg-secret", region=region
            ),
        ],
    }


@pytest.mark.django_db
def test_resource_groups_never_cross_tenants(
    owner, reader, outsider, subscription, other_subscription, groups
):
    mine = {g.pk for g in groups["mine"]}
    theirs = {g.pk for g in groups["theirs"]}
    assert {g.pk for g in resource_groups_for_user(user=owner)} == mine
    assert {g.pk for g in resource_groups_for_user(user=reader)} == mine
    assert {g.pk for g in resource_groups_for_user(user=outsider)} == theirs
    # Asking for another tenant's subscription by object gives nothing, not their rows.
    assert list(resource_groups_for_user(user=owner, subscription=other_subscription)) == []
    assert list(resource_groups_for_user(user=AnonymousUser())) == []
    names = [g.name for g in resource_groups_for_user(user=owner, subscription=subscription)]
    assert names == ["rg-a", "rg-b"]


@pytest.mark.django_db
def test_resource_groups_count_peerings(owner, subscription, groups):
    factories.PeeringFactory(subscription=subscription, resource_group=groups["mine"][0])
    counts = {g.name: g.peering_count for g in resource_groups_for_user(user=owner)}
    assert counts == {"rg-a": 0, "rg-b": 1}


@pytest.mark.django_db
def test_resource_group_for_user(owner, reader, outsider, subscription, groups):
    found = resource_group_for_user(user=owner, subscription_id=subscription.pk, name="RG-A")
    assert found == groups["mine"][1]
    with pytest.raises(Http404):
        resource_group_for_user(user=owner, subscription_id=subscription.pk, name="rg-secret")
    with pytest.raises(Http404):
        resource_group_for_user(user=outsider, subscription_id=subscription.pk, name="rg-a")
    with pytest.raises(PermissionDenied):
        resource_group_for_user(
            user=reader, subscription_id=subscription.pk, name="rg-a", write=True
        )


# --- activity ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_activity_never_crosses_tenants(owner, outsider, subscription, other_subscription):
    mine = factories.ActivityLogFactory(subscription=subscription, resource_id="/mine/peer")
    theirs = factories.ActivityLogFactory(
        subscription=other_subscription, resource_id="/theirs/peer"
    )
    assert list(activity_for_user(user=owner)) == [mine]
    assert list(activity_for_user(user=outsider)) == [theirs]
    assert list(activity_for_user(user=owner, subscription=other_subscription)) == []
    assert list(activity_for_user(user=owner, resource="theirs")) == []
    assert list(activity_for_user(user=owner, resource="peer")) == [mine]
    assert list(activity_for_user(user=AnonymousUser())) == []


@pytest.mark.django_db
def test_activity_filters(owner, subscription):
    ok = factories.ActivityLogFactory(
        subscription=subscription, status="Succeeded", operation_display="Create resource group"
    )
    failed = factories.ActivityLogFactory(
        subscription=subscription, status="Failed", operation_display="Validate Peer ASN"
    )
    assert list(activity_for_user(user=owner, status="Failed")) == [failed]
    assert list(activity_for_user(user=owner, operation="resource GROUP")) == [ok]
    assert set(activity_for_user(user=owner, since=ok.timestamp)) >= {ok}


# --- notifications -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_notifications_are_per_user(owner, reader):
    factories.NotificationFactory.create_batch(2, user=owner)
    factories.NotificationFactory(user=reader)
    assert notifications_for_user(user=owner).count() == 2
    assert unread_notification_count(user=owner) == 2
    assert unread_notification_count(user=reader) == 1
    assert unread_notification_count(user=AnonymousUser()) == 0

"""The caller's role assignments (and the bell's count) are read once per request, and never
outlive it: outside a request every call reads the database; writes that change the count
make the next read fresh."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal import services
from portal.models import Role
from portal.selectors import (
    current_subscription,
    ensure_can_write,
    request_cache_close,
    request_cache_open,
    role_of,
    subscription_for_user,
    subscription_ids_for_user,
    subscriptions_for_user,
    unread_notification_count,
    writable_subscriptions_for_user,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_cache():
    token = request_cache_open()
    yield
    request_cache_close(token)


def test_one_query_answers_every_role_question(owner, subscription, request_cache):
    other = factories.SubscriptionFactory(display_name="A first")
    factories.RoleAssignmentFactory(user=owner, subscription=other, role=Role.READER)
    factories.NotificationFactory(user=owner)
    with CaptureQueriesContext(connection) as queries:
        ids = subscription_ids_for_user(user=owner)
        shell = list(subscriptions_for_user(user=owner))
        writable = list(writable_subscriptions_for_user(user=owner))
        gated = subscription_for_user(user=owner, subscription_id=subscription.pk)
        ensure_can_write(user=owner, subscription=subscription)
        unread = unread_notification_count(user=owner)
        assert writable_subscriptions_for_user(user=owner).exists()
    assert len(queries) == 1
    assert ids == [other.pk, subscription.pk]
    assert [s.pk for s in shell] == [other.pk, subscription.pk]
    assert [s.pk for s in writable] == [subscription.pk]
    assert gated.user_role == Role.OWNER
    assert role_of(user=owner, subscription_id=other.pk) == Role.READER
    assert unread == 1
    # Chained querysets are new queries, as always.
    assert subscriptions_for_user(user=owner).filter(pk=other.pk).count() == 1


def test_the_bell_counts_afresh_after_a_write(owner, subscription, request_cache):
    factories.NotificationFactory(user=owner)
    factories.NotificationFactory(user=owner)
    assert unread_notification_count(user=owner) == 2
    services.notifications_mark_read(user=owner)
    assert unread_notification_count(user=owner) == 0
    services.notify_subscription(subscription=subscription, title="New")
    assert unread_notification_count(user=owner) == 1


def test_without_a_role_the_bell_is_still_counted(request_cache):
    loner = factories.UserFactory(username="loner")
    factories.NotificationFactory(user=loner)
    assert unread_notification_count(user=loner) == 1
    assert subscription_ids_for_user(user=loner) == []


def test_outside_a_request_nothing_is_remembered(owner, subscription):
    assert subscription_ids_for_user(user=owner) == [subscription.pk]
    other = factories.SubscriptionFactory()
    factories.RoleAssignmentFactory(user=owner, subscription=other, role=Role.CONTRIBUTOR)
    assert set(subscription_ids_for_user(user=owner)) == {subscription.pk, other.pk}
    assert writable_subscriptions_for_user(user=owner).count() == 2


def test_each_request_reads_its_own_roles(client, owner, subscription):
    client.force_login(owner)
    assert client.get("/peerings/").status_code == 200
    other = factories.SubscriptionFactory(display_name="Zeta")
    factories.RoleAssignmentFactory(user=owner, subscription=other, role=Role.READER)
    assert "Zeta" in client.get("/peerings/").content.decode()


def test_current_subscription_from_the_cache(rf, owner, subscription, request_cache):
    request = rf.get("/")
    request.user = owner
    request.session = {"current_subscription_id": str(subscription.pk)}
    assert current_subscription(request) == subscription
    request.session = {"current_subscription_id": "not-a-uuid"}
    assert current_subscription(request) is None

"""The role checks, once (portal.permissions)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from portal.models import Role
from portal.permissions import can_write, ensure_can_write, refuse_reader, role_can_write
from portal.selectors import subscription_for_user
from tests import factories


@pytest.mark.parametrize(
    ("role", "writes"),
    [(Role.OWNER, True), (Role.CONTRIBUTOR, True), (Role.READER, False), (None, False)],
)
def test_which_roles_write(role, writes):
    assert role_can_write(role) is writes


@pytest.mark.django_db
def test_can_write_reads_the_role_the_selector_set(owner, reader, subscription):
    assert can_write(subscription_for_user(user=owner, subscription_id=subscription.pk))
    assert not can_write(subscription_for_user(user=reader, subscription_id=subscription.pk))
    assert not can_write(subscription)  # not read through a selector: no role known
    assert not can_write(None)


def test_refuse_reader():
    refuse_reader(Role.CONTRIBUTOR)
    with pytest.raises(PermissionDenied, match="Reader"):
        refuse_reader(Role.READER)


@pytest.mark.django_db
def test_ensure_can_write_asks_the_database(subscription):
    contributor = factories.UserFactory()
    factories.RoleAssignmentFactory(
        user=contributor, subscription=subscription, role=Role.CONTRIBUTOR
    )
    ensure_can_write(user=contributor, subscription=subscription)
    for user in (AnonymousUser(), factories.UserFactory()):
        with pytest.raises(PermissionDenied):
            ensure_can_write(user=user, subscription=subscription)

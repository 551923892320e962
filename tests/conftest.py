"""Shared fixtures: users with roles on subscriptions, for the tenancy matrix."""

import pytest

from portal.models import Role
from tests import factories


@pytest.fixture
def subscription(db):
    return factories.SubscriptionFactory(display_name="Contoso IX")


@pytest.fixture
def other_subscription(db):
    return factories.SubscriptionFactory(display_name="Northwind Exchange")


@pytest.fixture
def owner(subscription):
    user = factories.UserFactory(username="owner")
    factories.RoleAssignmentFactory(user=user, subscription=subscription, role=Role.OWNER)
    return user


@pytest.fixture
def reader(subscription):
    user = factories.UserFactory(username="reader")
    factories.RoleAssignmentFactory(user=user, subscription=subscription, role=Role.READER)
    return user


@pytest.fixture
def outsider(other_subscription):
    """Owner of another tenant's subscription: must never see `subscription`."""
    user = factories.UserFactory(username="outsider")
    factories.RoleAssignmentFactory(user=user, subscription=other_subscription, role=Role.OWNER)
    return user


@pytest.fixture
def operator(db):
    return factories.UserFactory(username="operator", is_staff=True, is_superuser=True)


@pytest.fixture
def region(db):
    return factories.AzureRegionFactory(name="eastus", display_name="East US")

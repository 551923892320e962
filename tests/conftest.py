"""Shared fixtures: users with roles on subscriptions, for the tenancy matrix."""

import pytest

from peering.enums import ConnectionState
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


@pytest.fixture
def tenant(subscription) -> dict:
    """One resource of every kind in `subscription`, named as a URL would name it: a resource
    group, a Peer ASN, a peering with an Active connection, a registered ASN and prefix, a
    Peering Service with a prefix (the URL matrix and the query baselines request them)."""
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-tenant")
    peer_asn = factories.PeerAsnFactory(subscription=subscription, name="tenant-asn")
    peering = factories.PeeringFactory(
        subscription=subscription, resource_group=group, peer_asn=peer_asn, name="tenant-peering"
    )
    service = factories.PeeringServiceFactory(
        subscription=subscription, resource_group=group, name="tenant-service"
    )
    return {
        "resource_group": group,
        "peer_asn": peer_asn,
        "peering": peering,
        "connection": factories.PeeringConnectionFactory(
            peering=peering, connection_state=ConnectionState.ACTIVE
        ),
        "registered_asn": factories.RegisteredAsnFactory(peering=peering, name="tenant-customer"),
        "registered_prefix": factories.RegisteredPrefixFactory(
            peering=peering, name="tenant-prefix"
        ),
        "peering_service": service,
        "service_prefix": factories.PeeringServicePrefixFactory(
            peering_service=service, name="tenant-service-prefix"
        ),
    }

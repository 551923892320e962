"""The prefix pages show the latest validation run as a checklist with its evidence, and how
fresh the VRPs are; the received-routes blade shows the computed RPKI state beside the router's
(issue 9)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from peering.services.prefix_validation import prefix_validate, registered_prefix_validate
from portal.models import Role
from tests import factories
from tests.factories import CUSTOMER_PREFIX

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.provider_world()


@pytest.fixture
def customer(world):
    user = factories.UserFactory(username="fabrikam-owner")
    subscription = factories.SubscriptionFactory(display_name="Fabrikam")
    factories.RoleAssignmentFactory(user=user, subscription=subscription, role=Role.OWNER)
    prefix = factories.PeeringServicePrefixFactory(
        name="hq",
        peering_service__subscription=subscription,
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        peering_service__backup_location="Ashburn",
        prefix=CUSTOMER_PREFIX,
        prefix_key=str(world.registered.prefix_key),
    )
    return user, prefix


def detail_url(prefix) -> str:
    service = prefix.peering_service
    return reverse(
        "peering_services:prefix_detail",
        args=[service.subscription_id, service.resource_group.name, service.name, prefix.name],
    )


def test_the_customer_sees_every_check_with_its_evidence(client, world, customer):
    user, prefix = customer
    world.primary_connections[1].received_routes.all().delete()
    prefix_validate(prefix_id=prefix.pk)
    client.force_login(user)
    body = client.get(detail_url(prefix)).content.decode()
    assert 'data-testid="validation-checklist"' in body
    assert 'data-check="announced_primary" data-status="fail"' in body
    assert 'data-check="community" data-status="pass"' in body
    assert "Not receiving the advertisement from IP 206.81.199.11 at Seattle." in body
    assert "Seattle: Facility" in body and "206.81.199.11) — not announcing" in body
    assert "Covering VRPs: 45.0.0.0/8-32 AS150001" in body
    assert "RPKI data: no VRPs imported yet." in body


def test_a_stale_vrp_set_is_called_out(client, world, customer):
    user, prefix = customer
    factories.VrpSetFactory(build_time=timezone.now() - timedelta(hours=30), vrp_count=500000)
    prefix_validate(prefix_id=prefix.pk)
    client.force_login(user)
    body = client.get(detail_url(prefix)).content.decode()
    assert "RPKI data: 500000 VRPs from rpki-client" in body
    assert "The VRP set is older than 24 hours." in body


def test_before_any_run_the_page_says_so(client, customer):
    user, prefix = customer
    client.force_login(user)
    body = client.get(detail_url(prefix)).content.decode()
    assert "No validation has run yet" in body


def test_another_tenant_cannot_see_the_checklist(client, world, customer):
    _user, prefix = customer
    prefix_validate(prefix_id=prefix.pk)
    stranger = factories.UserFactory(username="stranger")
    client.force_login(stranger)
    assert client.get(detail_url(prefix)).status_code == 404


def test_the_registered_prefix_page_shows_its_checklist(client):
    isp = factories.isp_world()
    owner = factories.UserFactory(username="kordia-owner")
    factories.RoleAssignmentFactory(user=owner, subscription=isp.subscription, role=Role.OWNER)
    registered = isp.registered_prefix
    isp.announce("45.70.0.0/16", connections=isp.primary_connections[:1], origin_as=150003)
    registered_prefix_validate(registered_prefix_id=registered.pk)
    client.force_login(owner)
    peering = isp.peering
    body = client.get(
        reverse(
            "registered:prefix_detail",
            args=[peering.subscription_id, peering.resource_group.name, peering.name, "isp-block"],
        )
    ).content.decode()
    assert 'data-check="announced" data-status="fail"' in body
    assert "Not receiving the advertisement from IP 206.81.198.11 at Seattle." in body


def test_the_routes_blade_shows_computed_and_reported_rpki_states(client, world):
    owner = factories.UserFactory(username="contoso-owner")
    factories.RoleAssignmentFactory(user=owner, subscription=world.subscription, role=Role.OWNER)
    route = world.primary_connections[0].received_routes.get()
    route.rpki_validation_state = "Invalid"
    route.reported_rpki_state = "Valid"
    route.large_communities = ["8075:8007:0"]
    route.save()
    client.force_login(owner)
    peering = world.peering
    body = client.get(
        reverse(
            "registered:routes",
            args=[peering.subscription_id, peering.resource_group.name, peering.name],
        )
    ).content.decode()
    assert "computed (RFC 6811)" in body
    assert "router reported Valid — disagrees" in body
    assert "8075:8007:0" in body

"""Live state (issue 12, item 2): the deployment page, a peering's Overview and Connections
poll with htmx while a connection is on its way, say when they were last updated, and stop
polling once every connection is in a final state. The deployment page's Next steps follow."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from peering.enums import ConnectionState, SessionState
from peering.management.commands.seed_demo import PEERING_NAME
from peering.models import Peering, PeeringConnection

pytestmark = pytest.mark.browser

UPDATED = re.compile(r"Last updated \d\d:\d\d:\d\d UTC")


def _pending_connection() -> tuple[Peering, PeeringConnection]:
    peering = Peering.objects.get(name=PEERING_NAME)
    PeeringConnection.objects.filter(peering=peering).update(
        connection_state=ConnectionState.ACTIVE,
        session_state_v4=SessionState.ESTABLISHED,
        session_state_v6=SessionState.NONE,
    )
    connection = peering.connections.first()
    connection.connection_state = ConnectionState.PENDING_APPROVAL
    connection.session_state_v4 = SessionState.PENDING_ADD
    connection.save(update_fields=["connection_state", "session_state_v4"])
    return peering, connection


def _activate(connection: PeeringConnection) -> None:
    PeeringConnection.objects.filter(pk=connection.pk).update(
        connection_state=ConnectionState.ACTIVE, session_state_v4=SessionState.ESTABLISHED
    )


def _args(peering: Peering) -> list:
    return [peering.subscription_id, peering.resource_group.name, peering.name]


def test_deployment_page_follows_the_connections_until_they_are_final(sign_in, demo):
    peering, connection = _pending_connection()
    page = sign_in("exchange")
    page.goto(f"{demo.url}{reverse('wizard:deployment', args=_args(peering))}")
    status = page.get_by_test_id("live-status")
    expect(status).to_contain_text(UPDATED)
    expect(page.get_by_test_id("live-polling")).to_be_visible()
    steps = page.get_by_test_id("next-steps")
    expect(steps).to_contain_text("1 PendingApproval")

    _activate(connection)
    # No reload: the next poll brings the new state, and the polling stops.
    expect(page.get_by_test_id("deployment-connections")).not_to_contain_text("PendingApproval")
    expect(steps).not_to_contain_text("PendingApproval")
    expect(steps).to_contain_text("Active")
    expect(steps).to_contain_text("Nothing: traffic flows.")
    expect(page.get_by_test_id("live-polling")).to_have_count(0)
    assert page.get_by_test_id("live-region").get_attribute("hx-trigger") is None
    expect(status).to_contain_text(UPDATED)


def test_overview_and_connections_refresh_while_a_connection_changes(sign_in, demo):
    peering, connection = _pending_connection()
    page = sign_in("exchange")
    page.goto(f"{demo.url}{reverse('peering:peering_detail', args=_args(peering))}")
    region = page.get_by_test_id("live-region")
    expect(region).to_have_attribute("hx-trigger", "every 5s")
    expect(page.get_by_test_id("connection-summary")).to_contain_text("PendingApproval")
    _activate(connection)
    expect(page.get_by_test_id("connection-summary")).not_to_contain_text("PendingApproval")
    expect(page.get_by_test_id("live-polling")).to_have_count(0)
    expect(region).not_to_have_attribute("hx-trigger", re.compile("every"))

    # Connections: the grid polls too, and stops when final.
    PeeringConnection.objects.filter(pk=connection.pk).update(
        connection_state=ConnectionState.VALIDATING
    )
    page.goto(f"{demo.url}{reverse('peering:peering_connections', args=_args(peering))}")
    grid = page.get_by_test_id("connections-grid")
    expect(grid).to_contain_text("Validating")
    expect(page.get_by_test_id("live-polling")).to_be_visible()
    _activate(connection)
    expect(grid).not_to_contain_text("Validating")
    expect(page.get_by_test_id("live-polling")).to_have_count(0)

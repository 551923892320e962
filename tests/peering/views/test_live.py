"""Live state without JavaScript and as htmx polls it (issue 12, item 2): the plain page shows
the current state with a Refresh link; while a connection changes the region carries the htmx
polling attributes, and a poll gets only that region back."""

import pytest
from django.urls import reverse

from peering.enums import ConnectionState, SessionState
from tests import factories

pytestmark = pytest.mark.django_db


def _peering(subscription, state):
    peering = factories.PeeringFactory(subscription=subscription)
    factories.PeeringConnectionFactory(
        peering=peering, connection_state=state, session_state_v4=SessionState.ESTABLISHED
    )
    return peering


def _url(name, peering):
    return reverse(name, args=[peering.subscription_id, peering.resource_group.name, peering.name])


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("wizard:deployment", "live-deployment"),
        ("peering:peering_detail", "live-overview"),
        ("peering:peering_connections", "connections-grid"),
    ],
)
def test_pages_poll_while_a_connection_changes_and_stop_when_final(
    client, owner, subscription, name, target
):
    client.force_login(owner)
    changing = _peering(subscription, ConnectionState.PROVISIONING_STARTED)
    page = client.get(_url(name, changing)).content.decode()
    assert f'id="{target}"' in page
    assert 'hx-trigger="every 5s"' in page
    assert "Last updated" in page and " UTC" in page
    assert 'data-testid="live-polling"' in page

    # A poll: only the region comes back.
    poll = client.get(
        _url(name, changing), HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target
    ).content.decode()
    assert poll.lstrip().startswith(f'<div id="{target}"')
    assert "<html" not in poll and "ProvisioningStarted" in poll

    final = _peering(subscription, ConnectionState.ACTIVE)
    page = client.get(_url(name, final)).content.decode()
    assert 'hx-trigger="every' not in page
    assert "Last updated" in page
    assert 'data-testid="live-polling"' not in page


def test_deployment_next_steps_follow_the_states(client, owner, subscription):
    client.force_login(owner)
    peering = _peering(subscription, ConnectionState.PENDING_APPROVAL)
    page = client.get(_url("wizard:deployment", peering)).content.decode()
    assert "1 PendingApproval" in page and "reviews the request" in page
    assert ">Refresh</a>" in page  # without JavaScript, the way to see the new state
    peering.connections.update(connection_state=ConnectionState.ACTIVE)
    page = client.get(_url("wizard:deployment", peering)).content.decode()
    assert "PendingApproval" not in page
    assert "Nothing: traffic flows." in page


def test_prefix_pages_poll_while_validation_is_pending(client, owner, subscription):
    service = factories.PeeringServiceFactory(subscription=subscription)
    prefix = factories.PeeringServicePrefixFactory(peering_service=service, name="web")
    args = [service.subscription_id, service.resource_group.name, service.name]
    detail = reverse("peering_services:prefix_detail", args=[*args, prefix.name])
    listing = reverse("peering_services:prefixes", args=args)
    client.force_login(owner)
    prefix.__class__.objects.filter(pk=prefix.pk).update(validation_state="Pending")
    for url, target in ((detail, "live-prefix"), (listing, "ps-prefix-table")):
        page = client.get(url).content.decode()
        assert 'hx-trigger="every 5s"' in page, url
        assert "Last updated" in page and "while a prefix is changing" in page, url
        poll = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target).content.decode()
        assert poll.lstrip().startswith(f'<div id="{target}"'), url
    prefix.__class__.objects.filter(pk=prefix.pk).update(validation_state="Verified")
    for url in (detail, listing):
        page = client.get(url).content.decode()
        assert 'hx-trigger="every' not in page, url
        assert "Last updated" in page, url

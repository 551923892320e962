"""Every blade of a peering carries its resource menu, the Settings blades included."""

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def _args(peering):
    return [peering.subscription_id, peering.resource_group.name, peering.name]


@pytest.fixture
def peering(subscription):
    # Premium Free route server (IxRs): Registered ASNs and Received routes apply.
    return factories.PeeringFactory(subscription=subscription, name="contoso-rs")


@pytest.mark.parametrize(
    ("url_name", "label"),
    [("registered:asn_list", "Registered ASNs"), ("registered:routes", "Received routes")],
)
def test_settings_blades_show_the_peering_menu(client, owner, peering, url_name, label):
    client.force_login(owner)
    html = client.get(reverse(url_name, args=_args(peering))).content.decode()
    (menu,) = re.findall(r'<nav id="resource-menu".*?</nav>', html, flags=re.S)
    for name in (
        "peering:peering_detail",
        "peering:peering_connections",
        "peering:peering_activity",
    ):
        assert f'href="{reverse(name, args=_args(peering))}"' in menu
    # Plain links: these pages have no #blade-pane for htmx to swap.
    assert "hx-get" not in menu
    current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', menu)
    assert current == [(reverse(url_name, args=_args(peering)), label)]


def test_overview_menu_still_swaps_the_pane(client, owner, peering):
    client.force_login(owner)
    html = client.get(reverse("peering:peering_detail", args=_args(peering))).content.decode()
    (menu,) = re.findall(r'<nav id="resource-menu".*?</nav>', html, flags=re.S)
    assert 'hx-target="#blade-pane"' in menu
    assert 'aria-current="page">Overview</a>' in menu

"""Home offers "Associate a Peer ASN" only to someone who can associate one."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_reader_home_has_no_associate_tile_that_leads_to_403(client, reader):
    client.force_login(reader)
    html = client.get(reverse("portal:home")).content.decode()
    assert "Associate a Peer ASN" not in html
    assert client.get(reverse("peering:peer_asn_create")).status_code == 403


def test_owner_home_has_the_associate_tile(client, owner):
    client.force_login(owner)
    html = client.get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("peering:peer_asn_create")}"' in html
    assert "Associate a Peer ASN" in html

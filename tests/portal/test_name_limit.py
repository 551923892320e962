"""Issue 10, defect 9: a name longer than 63 characters is never cut by the browser. Name inputs
carry `data-name-limit` (the live counter's limit), never `maxlength`, so without JavaScript the
whole pasted name reaches the server, which refuses it with a message and shows it again."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NAME_PAGES = [
    ("portal:resource_group_create", "name"),
    ("portal:api_tokens", "name"),
    ("peering:peer_asn_create", "name"),
    ("peering_services:create", "name"),
]


def _input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    return match.group(0)


@pytest.mark.parametrize(("url_name", "field"), NAME_PAGES)
def test_name_inputs_count_instead_of_cutting(client, owner, region, url_name, field):
    client.force_login(owner)
    html = client.get(reverse(url_name)).content.decode()
    tag = _input(html, field)
    assert "maxlength" not in tag
    assert 'data-name-limit="63"' in tag


def test_the_wizard_name_is_counted_too(client, owner, region):
    client.force_login(owner)
    response = client.get(reverse("wizard:start"), follow=True)
    html = response.content.decode()
    for field in ("name", "new_resource_group"):
        tag = _input(html, field)
        assert "maxlength" not in tag and 'data-name-limit="63"' in tag


def test_a_long_name_without_javascript_is_refused_with_a_message_and_kept(
    client, owner, subscription, region
):
    client.force_login(owner)
    long_name = "contoso-" + "x" * 62  # 70 characters, as a browser without maxlength sends it
    response = client.post(
        reverse("portal:resource_group_create"),
        {"subscription": str(subscription.pk), "name": long_name, "region": str(region.pk)},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The name must be 1 to 63 characters long" in html
    assert f'value="{long_name}"' in _input(html, "name")
    assert not subscription.resource_groups.filter(name__startswith="contoso-").exists()

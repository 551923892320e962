"""Issue 10, defect 4: a tag row the form cannot read is an error, never an empty set saved."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def peering(subscription):
    peering = factories.PeeringFactory(subscription=subscription, name="tagged")
    peering.tags = {"env": "prod", "team": "noc"}
    peering.save(update_fields=["tags"])
    return peering


def tags_url(peering):
    return reverse(
        "peering:peering_tags",
        args=[peering.subscription_id, peering.resource_group.name, peering.name],
    )


@pytest.mark.parametrize(
    "data",
    [
        {"tag_index": "1e3"},
        {"tag_index": ["0", "1e3"], "tag-0-name": "env", "tag-0-value": "prod"},
        {"tag_index": "-1"},
        {"tag_index": "5"},  # a row index with no fields behind it
        {"tag_index": [str(i) for i in range(80)]},
    ],
)
def test_unreadable_tag_rows_are_refused_and_keep_the_tags(client, owner, peering, data):
    client.force_login(owner)
    response = client.post(tags_url(peering), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The tags were not saved." in page
    peering.refresh_from_db()
    assert peering.tags == {"env": "prod", "team": "noc"}


def test_well_formed_rows_still_save(client, owner, peering):
    client.force_login(owner)
    data = {"tag_index": ["0", "1"], "tag-0-name": "env", "tag-0-value": "test"}
    data.update({"tag-1-name": "", "tag-1-value": ""})
    assert client.post(tags_url(peering), data).status_code == 302
    peering.refresh_from_db()
    assert peering.tags == {"env": "test"}

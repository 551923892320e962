"""Issue 10, defect 7: a name in a URL that breaks the ARM rule answers 404 before any query
(SQLite used to answer 500: "LIKE or GLOB pattern too complex")."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

LONG = "a" * 64
HUGE = "x" * 60_000


@pytest.mark.parametrize("name", [LONG, HUGE, "bad name", "caf\u00e9"])
@pytest.mark.parametrize(
    "template",
    [
        "/subscriptions/{sub}/resourceGroups/{name}/",
        "/subscriptions/{sub}/providers/Microsoft.Peering/peerAsns/{name}/",
        "/subscriptions/{sub}/resourceGroups/{name}/providers/Microsoft.Peering/peerings/x/",
        "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Peering/peerings/{name}/",
        "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Peering/peerings/p/"
        "registeredAsns/{name}/",
        "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/"
        "{name}/",
        "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Peering/peeringServices/"
        "s/prefixes/{name}/",
    ],
)
def test_names_breaking_the_arm_rule_are_404_without_a_query(
    client, owner, subscription, template, name
):
    client.force_login(owner)
    url = template.format(sub=subscription.pk, name=name)
    with CaptureQueriesContext(db_connection) as ctx:
        response = client.get(url)
    assert response.status_code == 404
    # Only the session and user are read (by the middleware), never the resource lookup.
    assert not any("LIKE" in q["sql"] for q in ctx.captured_queries)


def test_a_63_character_name_still_routes(client, owner, subscription):
    client.force_login(owner)
    url = f"/subscriptions/{subscription.pk}/resourceGroups/{'a' * 63}/"
    assert client.get(url).status_code == 404  # routed: no such group in this subscription

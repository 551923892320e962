"""Issue 11: every optimised page (and its htmx fragments) runs the same, fixed number of
queries at 100 rows and at a real exchange's size — 10,000 peerings, 40,000 connections,
10,000 registered ASNs, built by `seed_scale` — and never more than 10.

The numbers are absolute: a new query on a page changes them on purpose, in this file."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.benchmark import SMALL_DATASET, bench_pages

pytestmark = [pytest.mark.django_db, pytest.mark.benchmark]

SMALL = SMALL_DATASET
LARGE = ["--peerings=10000", "--registered-asns=10000", "--activity=10000"]
# Page label → queries (session, user, and the caller's role assignments with the bell's count —
# one query, read once per request, shell included).
EXPECTED = {
    "Peerings list, page 1": 7,
    "Peerings list, page 101": 7,
    "  htmx: peerings sort": 6,  # no filter bar: no resource-group choices
    "  htmx: peerings filter+page": 6,
    "Peering detail (16 conns)": 8,  # + the received-routes chart (two queries, issue 12)
    "Connections blade": 5,
    "Registered ASNs, 50 rows": 7,
    "Registered ASNs, 2,000, paged": 7,
    "  htmx: registered ASNs page 10": 7,
    "Peer ASNs": 5,
    "  htmx: peer ASNs search": 5,
    "Home": 5,
    "Activity log": 5,
    "  htmx: activity filter+page": 5,
    "Resource groups": 5,
    "  htmx: resource groups sort": 5,
    "Peering Services": 5,
}


def _counts(client, user) -> dict[str, int]:
    counts = {}
    for page in bench_pages(user):
        if page.wizard:
            continue
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.url, headers=page.headers)
        assert response.status_code == 200, page.label
        counts[page.label] = len(queries)
    return counts


def _seed(args):
    call_command("seed_scale", "--subscription=Counts", "--user=counts", *args, stdout=StringIO())


def test_queries_are_fixed_from_100_to_10k_rows(client):
    _seed(SMALL)
    user = get_user_model().objects.get(username="counts")
    client.force_login(user)
    small = _counts(client, user)
    _seed(LARGE)
    large = _counts(client, user)
    assert small == large
    assert small == EXPECTED
    assert max(small.values()) <= 10

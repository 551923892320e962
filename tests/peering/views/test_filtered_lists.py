"""Issue 12 item 10 for the lists that were paged but not filtered or sorted: Registered
prefixes, the Peering Services list, a Peering Service's Prefixes blade and a peering's Activity
log blade filter (`?q=`), sort (`?sort=`) and page on the server, with the filter and the sort in
the URL, the page links and the filter form (kept for the next filter); htmx gets only the
results. And the connection pickers name each place with its PeeringDB id."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peering.enums import ConnectionState
from portal.models import ActivityLog, ActivityStatus
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def peering_url(peering, name: str) -> str:
    return reverse(name, args=[peering.subscription_id, peering.resource_group.name, peering.name])


def service_url(service, name: str) -> str:
    return reverse(
        f"peering_services:{name}",
        args=[service.subscription_id, service.resource_group.name, service.name],
    )


def next_page_link(base: str, body: str) -> str:
    """The pager's link to page 2 (relative: `?…`), as a URL to get."""
    (link,) = re.findall(r'href="([^"]*page=2[^"]*)"', body)
    return base + link.replace("&amp;", "&")


def queries(client, target) -> int:
    with CaptureQueriesContext(db_connection) as ctx:
        assert client.get(target).status_code == 200
    return len(ctx.captured_queries)


# --- Registered prefixes ----------------------------------------------------------------------


@pytest.fixture
def edge(subscription):
    return factories.PeeringFactory(
        subscription=subscription, name="contoso-edge", direct_peering_type="Edge"
    )


def registered_prefix_names(response) -> list[str]:
    return re.findall(
        r'data-testid="registered-prefix-row">\s*<th scope="row"[^>]*><a [^>]*>([^<]+)<',
        html(response),
    )


@pytest.mark.django_db
def test_registered_prefixes_filter_sort_and_page_on_the_server(client, owner, edge):
    for name, prefix, state in (
        ("fabrikam", "45.60.1.0/24", "Verified"),
        ("adatum", "45.61.0.0/24", "Pending"),
        ("tailspin", "198.51.100.0/24", "Failed"),
    ):
        factories.RegisteredPrefixFactory(
            peering=edge, name=name, prefix=prefix, validation_state=state
        )
    client.force_login(owner)
    base = peering_url(edge, "registered:prefix_list")
    assert registered_prefix_names(client.get(base)) == ["adatum", "fabrikam", "tailspin"]
    assert registered_prefix_names(client.get(base, {"sort": "-name"})) == [
        "tailspin",
        "fabrikam",
        "adatum",
    ]
    assert registered_prefix_names(client.get(base, {"sort": "state"})) == [
        "tailspin",
        "adatum",
        "fabrikam",
    ]
    # By name or by (part of) the prefix.
    assert registered_prefix_names(client.get(base, {"q": "FAB"})) == ["fabrikam"]
    assert registered_prefix_names(client.get(base, {"q": "45.6"})) == ["adatum", "fabrikam"]
    empty = html(client.get(base, {"q": "contoso"}))
    assert "No registered prefixes match “contoso”" in empty and "Clear filters" in empty
    body = html(client.get(base, {"q": "45.", "sort": "-prefix"}))
    assert '<input type="hidden" name="sort" value="-prefix" form="prefix-filters">' in body
    assert 'id="prefix-filter-q"' in body and 'value="45."' in body
    assert 'aria-sort="descending"' in body
    swapped = client.get(base, {"q": "tail"}, HTTP_HX_TARGET="prefix-results", **HTMX)
    assert "<html" not in html(swapped) and 'data-testid="prefix-filters"' not in html(swapped)
    assert registered_prefix_names(swapped) == ["tailspin"]


@pytest.mark.django_db
def test_registered_prefixes_are_paged_with_the_filter_in_the_links(client, owner, edge):
    for index in range(55):
        factories.RegisteredPrefixFactory(
            peering=edge, name=f"cust-{index:02}", prefix=f"45.70.{index}.0/24"
        )
    client.force_login(owner)
    base = peering_url(edge, "registered:prefix_list")
    few = queries(client, base)
    body = html(client.get(base, {"q": "cust", "sort": "-name"}))
    assert body.count('data-testid="registered-prefix-row"') == 50
    assert "Showing 1 to 50 of 55 records." in body
    link = next_page_link(base, body)
    assert "q=cust" in link and "sort=-name" in link
    second = client.get(base, {"q": "cust", "sort": "-name", "page": "2"})
    assert registered_prefix_names(second) == [f"cust-{i:02}" for i in (4, 3, 2, 1, 0)]
    factories.RegisteredPrefixFactory.create_batch(20, peering=edge)
    assert queries(client, base) == few <= 10


# --- Peering Services list --------------------------------------------------------------------


@pytest.fixture
def services(subscription):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-ps")
    contoso = factories.PeeringServiceProviderFactory(name="Contoso IX")
    northwind = factories.PeeringServiceProviderFactory(name="Northwind Transit")
    made = {}
    for name, provider, prefix in (
        ("web-ps", contoso, "45.80.0.0/24"),
        ("mail-ps", northwind, "203.0.113.0/24"),
        ("backup-ps", contoso, "198.51.100.0/24"),
    ):
        made[name] = factories.PeeringServiceFactory(
            subscription=subscription, resource_group=group, name=name, provider=provider
        )
        factories.PeeringServicePrefixFactory(peering_service=made[name], prefix=prefix)
    return made


def service_names(response) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]*">([^<]+)</a></th>', html(response))


@pytest.mark.django_db
def test_peering_services_filter_sort_and_page_on_the_server(client, owner, services):
    client.force_login(owner)
    base = reverse("peering_services:list")
    assert service_names(client.get(base)) == ["backup-ps", "mail-ps", "web-ps"]
    assert service_names(client.get(base, {"sort": "-name"})) == ["web-ps", "mail-ps", "backup-ps"]
    assert service_names(client.get(base, {"sort": "provider"})) == [
        "backup-ps",
        "web-ps",
        "mail-ps",
    ]
    # By name, by provider, or by one of its prefixes.
    assert service_names(client.get(base, {"q": "mail"})) == ["mail-ps"]
    assert service_names(client.get(base, {"q": "northwind"})) == ["mail-ps"]
    assert service_names(client.get(base, {"q": "198.51."})) == ["backup-ps"]
    empty = html(client.get(base, {"q": "fabrikam"}))
    assert "No Peering Services match “fabrikam”" in empty and "Clear filters" in empty
    body = html(client.get(base, {"q": "ps", "sort": "-provider"}))
    assert (
        '<input type="hidden" name="sort" value="-provider" form="peering-service-filters">' in body
    )
    assert 'id="peering-service-filter-q"' in body and 'value="ps"' in body
    swapped = client.get(base, {"q": "web"}, HTTP_HX_TARGET="peering-service-results", **HTMX)
    assert "<html" not in html(swapped) and 'id="peering-service-filters"' not in html(swapped)
    assert service_names(swapped) == ["web-ps"]


@pytest.mark.django_db
def test_peering_services_pages_keep_the_filter(client, owner, services, subscription):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-many")
    for index in range(52):
        factories.PeeringServiceFactory(
            subscription=subscription, resource_group=group, name=f"many-{index:02}"
        )
    client.force_login(owner)
    base = reverse("peering_services:list")
    body = html(client.get(base, {"q": "many", "sort": "name"}))
    assert "Showing 1 to 50 of 52 records." in body
    link = next_page_link(base, body)
    assert "q=many" in link and "sort=name" in link
    assert service_names(client.get(link)) == ["many-50", "many-51"]


# --- a Peering Service's Prefixes blade --------------------------------------------------------


def prefix_names(response) -> list[str]:
    return re.findall(r'<tr data-testid="prefix-([^"]+)">', html(response))


@pytest.mark.django_db
def test_service_prefixes_filter_sort_and_page_on_the_server(client, owner, subscription):
    service = factories.PeeringServiceFactory(subscription=subscription, name="fabrikam-ps")
    for name, prefix, state in (
        ("web", "45.80.0.0/24", "Verified"),
        ("mail", "45.80.1.0/24", "Failed"),
        ("vpn", "203.0.113.0/24", "Pending"),
    ):
        factories.PeeringServicePrefixFactory(
            peering_service=service, name=name, prefix=prefix, validation_state=state
        )
    client.force_login(owner)
    base = service_url(service, "prefixes")
    assert prefix_names(client.get(base)) == ["mail", "vpn", "web"]
    # Prefixes sort as text, like Received routes.
    assert prefix_names(client.get(base, {"sort": "-prefix"})) == ["mail", "web", "vpn"]
    assert prefix_names(client.get(base, {"sort": "state"})) == ["mail", "vpn", "web"]
    assert prefix_names(client.get(base, {"q": "45.80."})) == ["mail", "web"]
    assert prefix_names(client.get(base, {"q": "VPN"})) == ["vpn"]
    empty = html(client.get(base, {"q": "nothing"}))
    assert "No prefixes match “nothing”" in empty and "Clear filters" in empty
    body = html(client.get(base, {"q": "45.", "sort": "-name"}))
    assert '<input type="hidden" name="sort" value="-name" form="ps-prefix-filters">' in body
    # Polling while a prefix is Pending keeps the filter and the sort.
    pending = html(client.get(base, {"q": "203.", "sort": "-name"}))
    assert re.search(r'hx-get="[^"]*prefixes/\?q=203\.&amp;sort=-name"', pending)
    swapped = client.get(base, {"q": "web"}, HTTP_HX_TARGET="ps-prefix-table", **HTMX)
    assert "<html" not in html(swapped) and 'id="ps-prefix-filters"' not in html(swapped)
    assert prefix_names(swapped) == ["web"]
    # A row's htmx action re-renders the table that is shown: filtered and sorted the same.
    revalidate = reverse(
        "peering_services:prefix_revalidate",
        args=[service.subscription_id, service.resource_group.name, service.name, "web"],
    )
    assert f'hx-post="{revalidate}?q=45.&amp;sort=-name"' in body
    acted = client.post(f"{revalidate}?q=45.&sort=-name", HTTP_HX_TARGET="ps-prefix-table", **HTMX)
    assert prefix_names(acted) == ["web", "mail"]
    assert "Re-validation of web" in html(acted)
    for index in range(55):
        factories.PeeringServicePrefixFactory(peering_service=service, name=f"p-{index:02}")
    paged = html(client.get(base, {"q": "p-", "sort": "name"}))
    assert paged.count('<tr data-testid="prefix-') == 50
    link = next_page_link(base, paged)
    assert "q=p-" in link and "sort=name" in link
    assert prefix_names(client.get(link)) == [f"p-{i}" for i in range(50, 55)]


# --- a peering's Activity log blade ------------------------------------------------------------


def operations(response) -> list[str]:
    return re.findall(r'<span class="operation-name">([^<]+)</span>', html(response))


@pytest.mark.django_db
def test_peering_activity_filter_sort_and_page_on_the_server(client, owner, subscription):
    peering = factories.PeeringFactory(subscription=subscription, name="contoso-seattle")
    now = timezone.now()
    for minutes, operation, status, caller in (
        (3, "Microsoft.Peering/peerings/write", ActivityStatus.SUCCEEDED, "alice"),
        (2, "Microsoft.Peering/peerings/connections/write", ActivityStatus.FAILED, "bob"),
        (1, "Microsoft.Peering/peerings/registeredPrefixes/write", ActivityStatus.SUCCEEDED, "bob"),
    ):
        entry = factories.ActivityLogFactory(
            subscription=subscription,
            resource_id=peering.resource_id,
            operation=operation,
            operation_display=operation.rsplit("/", 2)[-2],
            status=status,
            caller=caller,
        )
        ActivityLog.objects.filter(pk=entry.pk).update(timestamp=now - timedelta(minutes=minutes))
    client.force_login(owner)
    base = peering_url(peering, "peering:peering_activity")
    newest_first = [
        "Microsoft.Peering/peerings/registeredPrefixes/write",
        "Microsoft.Peering/peerings/connections/write",
        "Microsoft.Peering/peerings/write",
    ]
    assert operations(client.get(base)) == newest_first
    assert operations(client.get(base, {"sort": "time"})) == newest_first[::-1]
    assert operations(client.get(base, {"q": "connections"})) == [newest_first[1]]
    assert operations(client.get(base, {"q": "failed"})) == [newest_first[1]]
    assert operations(client.get(base, {"q": "bob", "sort": "time"})) == newest_first[1::-1]
    empty = html(client.get(base, {"q": "deprovision"}))
    assert "No events match “deprovision”" in empty and "Clear filters" in empty
    body = html(client.get(base, {"q": "bob", "sort": "caller"}))
    assert '<input type="hidden" name="sort" value="caller" form="activity-filters">' in body
    assert 'id="activity-filter-q"' in body and 'value="bob"' in body
    swapped = client.get(base, {"q": "alice"}, HTTP_HX_TARGET="activity-results", **HTMX)
    assert "<html" not in html(swapped) and 'id="activity-filters"' not in html(swapped)
    assert operations(swapped) == [newest_first[2]]
    few = queries(client, base)
    factories.ActivityLogFactory.create_batch(
        55, subscription=subscription, resource_id=peering.resource_id, caller="carol"
    )
    assert queries(client, base) == few <= 10
    paged = html(client.get(base, {"q": "carol", "sort": "-time"}))
    assert paged.count('data-testid="activity-row"') == 50
    link = next_page_link(base, paged)
    assert "q=carol" in link and "sort=-time" in link
    assert len(operations(client.get(link))) == 5


# --- PeeringDB ids in the connection pickers ---------------------------------------------------


@pytest.mark.django_db
def test_received_routes_connection_filter_names_the_peeringdb_facility(client, owner, edge):
    connection = factories.PeeringConnectionFactory(
        peering=edge,
        connection_state=ConnectionState.ACTIVE,
        direct_facility__name="Equinix SE2",
        direct_facility__peeringdb_facility_id=71,
    )
    # The filter is offered from two connections on.
    factories.PeeringConnectionFactory(
        peering=edge,
        connection_state=ConnectionState.ACTIVE,
        peer_session_ipv4_address="192.0.2.11",
    )
    client.force_login(owner)
    body = html(client.get(peering_url(edge, "registered:routes")))
    assert (
        f'<option value="{connection.connection_identifier}">'
        "Equinix SE2 (PeeringDB facility 71) · 192.0.2.10</option>"
    ) in body

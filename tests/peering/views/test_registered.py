"""Views of a peering's Registered ASNs, Registered prefixes and Received routes blades: the
tenancy matrix, Add gated on an Active connection, service errors next to their fields, prefix
keys never crossing tenants, query budgets and htmx fragments."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peering.enums import ConnectionState
from peering.models import PrefixValidationState, RegisteredAsn, RegisteredPrefix
from portal.models import Role
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def html(response) -> str:
    return response.content.decode()


def url(peering, name: str, *extra) -> str:
    return reverse(
        f"registered:{name}",
        args=[peering.subscription_id, peering.resource_group.name, peering.name, *extra],
    )


# --- the world ------------------------------------------------------------------------------


@pytest.fixture
def route_server(subscription):
    """Contoso IX's route-server peering with an Active connection."""
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-ix")
    peering = factories.PeeringFactory(
        subscription=subscription,
        resource_group=group,
        name="contoso-ix-seattle",
        direct_peering_type="IxRs",
    )
    factories.PeeringConnectionFactory(peering=peering, connection_state=ConnectionState.ACTIVE)
    return peering


@pytest.fixture
def pending_route_server(subscription):
    """A route-server peering whose only connection is still PendingApproval."""
    peering = factories.PeeringFactory(
        subscription=subscription, name="contoso-ix-chicago", direct_peering_type="IxRs"
    )
    factories.PeeringConnectionFactory(
        peering=peering, connection_state=ConnectionState.PENDING_APPROVAL
    )
    return peering


@pytest.fixture
def edge(subscription):
    """A Direct Premium Free (Edge) peering used for Peering Service, Active."""
    peering = factories.PeeringFactory(
        subscription=subscription, name="contoso-edge", direct_peering_type="Edge"
    )
    factories.PeeringConnectionFactory(
        peering=peering,
        connection_state=ConnectionState.ACTIVE,
        use_for_peering_service=True,
        session_prefix_v4="192.0.2.0/31",
        peer_session_ipv4_address="192.0.2.0",
        microsoft_session_ipv4_address="192.0.2.1",
    )
    return peering


@pytest.fixture
def registered(route_server, owner):
    return factories.RegisteredAsnFactory(
        peering=route_server, name="fabrikam", asn=8100, created_by=owner
    )


@pytest.fixture
def registered_prefix(edge, owner):
    return factories.RegisteredPrefixFactory(
        peering=edge,
        name="fabrikam-hq",
        prefix="45.60.10.0/24",
        created_by=owner,
        validation_state=PrefixValidationState.FAILED,
        error_message="Advertisement missing MAPS community",
    )


@pytest.fixture
def customer_prefix(registered):
    """A prefix in the customer's own subscription that redeemed the registered ASN's key."""
    service = factories.PeeringServiceFactory(name="fabrikam-secret-service")
    return factories.PeeringServicePrefixFactory(
        peering_service=service,
        name="fabrikam-secret-prefix",
        prefix="45.61.0.0/24",
        prefix_key=str(registered.prefix_key),
        registered_asn=registered,
    )


@pytest.fixture
def routes(route_server):
    connection = route_server.connections.get()
    now = timezone.now()
    return [
        factories.ReceivedRouteFactory(
            connection=connection,
            prefix="45.60.10.0/24",
            as_path="59999 8100",
            received_at=now,
        ),
        factories.ReceivedRouteFactory(
            connection=connection,
            prefix="45.60.11.0/24",
            as_path="59999 64500 8100",
            rpki_validation_state="Invalid",
            received_at=now - timedelta(minutes=5),
        ),
        factories.ReceivedRouteFactory(
            connection=connection,
            prefix="198.51.100.0/24",
            as_path="59999 150000",
            received_at=now,
        ),
    ]


def read_urls(route_server, edge, registered, registered_prefix) -> list[str]:
    return [
        url(route_server, "asn_list"),
        url(route_server, "routes"),
        url(edge, "prefix_list"),
        url(edge, "prefix_detail", registered_prefix.name),
    ]


def write_get_urls(route_server, edge, registered, registered_prefix) -> list[str]:
    return [
        url(route_server, "asn_add"),
        url(route_server, "asn_rotate", registered.name),
        url(route_server, "asn_delete", registered.name),
        url(edge, "prefix_add"),
        url(edge, "prefix_delete", registered_prefix.name),
    ]


def post_requests(route_server, edge, registered, registered_prefix) -> list[tuple[str, dict]]:
    return [
        (url(route_server, "asn_add"), {"name": "northwind", "asn": "8200"}),
        (url(route_server, "asn_rotate", registered.name), {}),
        (url(route_server, "asn_delete", registered.name), {}),
        (url(edge, "prefix_add"), {"name": "new-prefix", "prefix": "45.62.0.0/24"}),
        (url(edge, "prefix_revalidate", registered_prefix.name), {}),
        (url(edge, "prefix_delete", registered_prefix.name), {}),
    ]


def snapshot() -> tuple:
    return (
        sorted(RegisteredAsn.objects.values_list("name", "asn", "prefix_key")),
        sorted(RegisteredPrefix.objects.values_list("name", "prefix", "validation_state")),
    )


# --- tenancy matrix -------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_everywhere(
    client, route_server, edge, registered, registered_prefix
):
    world = (route_server, edge, registered, registered_prefix)
    before = snapshot()
    for target in read_urls(*world) + write_get_urls(*world):
        response = client.get(target)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("login")), target
    for target, data in post_requests(*world):
        response = client.post(target, data)
        assert response.status_code == 302, target
        assert response["Location"].startswith(reverse("login")), target
    assert snapshot() == before


@pytest.mark.django_db
def test_outsider_gets_404_everywhere_and_changes_nothing(
    client, outsider, route_server, edge, registered, registered_prefix
):
    world = (route_server, edge, registered, registered_prefix)
    before = snapshot()
    client.force_login(outsider)
    for target in read_urls(*world) + write_get_urls(*world):
        assert client.get(target).status_code == 404, target
    for target, data in post_requests(*world):
        assert client.post(target, data).status_code == 404, target
    assert snapshot() == before


@pytest.mark.django_db
def test_reader_sees_keys_but_no_write_controls(
    client, reader, route_server, edge, registered, registered_prefix
):
    client.force_login(reader)
    listing = client.get(url(route_server, "asn_list"))
    assert listing.status_code == 200
    body = html(listing)
    assert str(registered.prefix_key) in body
    assert 'data-copy="' + str(registered.prefix_key) + '"' in body
    for control in ('data-testid="add-button"', 'data-testid="rotate-key"', "delete/"):
        assert control not in body, control

    prefixes = html(client.get(url(edge, "prefix_list")))
    assert str(registered_prefix.prefix_key) in prefixes
    for control in ('data-testid="add-button"', 'data-testid="revalidate"', "revalidate/"):
        assert control not in prefixes, control
    detail = html(client.get(url(edge, "prefix_detail", registered_prefix.name)))
    assert str(registered_prefix.prefix_key) in detail
    assert 'data-testid="revalidate"' not in detail
    assert 'data-testid="delete"' not in detail


@pytest.mark.django_db
def test_reader_gets_403_on_write_pages_and_forged_posts(
    client, reader, route_server, edge, registered, registered_prefix
):
    world = (route_server, edge, registered, registered_prefix)
    before = snapshot()
    client.force_login(reader)
    for target in write_get_urls(*world):
        assert client.get(target).status_code == 403, target
    for target, data in post_requests(*world):
        assert client.post(target, data).status_code == 403, target
    assert snapshot() == before


@pytest.mark.django_db
def test_unknown_children_are_404(client, owner, route_server, edge):
    client.force_login(owner)
    assert client.get(url(route_server, "asn_rotate", "nobody")).status_code == 404
    assert client.post(url(route_server, "asn_delete", "nobody")).status_code == 404
    assert client.get(url(edge, "prefix_detail", "nothing")).status_code == 404
    assert client.post(url(edge, "prefix_revalidate", "nothing")).status_code == 404


@pytest.mark.django_db
def test_revalidate_is_post_only(client, owner, edge, registered_prefix):
    client.force_login(owner)
    assert client.get(url(edge, "prefix_revalidate", registered_prefix.name)).status_code == 405


# --- Registered ASNs --------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_is_disabled_with_the_reason_before_a_connection_is_active(
    client, owner, pending_route_server
):
    client.force_login(owner)
    body = html(client.get(url(pending_route_server, "asn_list")))
    assert "Available once a connection of this peering is Active." in body
    assert 'disabled aria-describedby="add-unavailable" data-testid="add-button"' in body
    assert url(pending_route_server, "asn_add") not in body

    page = client.get(url(pending_route_server, "asn_add"))
    assert "Available once a connection of this peering is Active." in html(page)
    assert "<fieldset disabled>" in html(page)

    response = client.post(url(pending_route_server, "asn_add"), {"name": "fab", "asn": "8100"})
    assert response.status_code == 400
    assert "The ASN was not registered." in html(response)
    assert not RegisteredAsn.objects.exists()


@pytest.mark.django_db
def test_add_registered_asn_happy_path(client, owner, route_server):
    client.force_login(owner)
    page = client.get(url(route_server, "asn_add"))
    assert page.status_code == 200
    assert "Register an ASN" in html(page)

    response = client.post(url(route_server, "asn_add"), {"name": "fabrikam", "asn": "AS8100"})
    assert response.status_code == 302
    registered = RegisteredAsn.objects.get()
    assert (registered.peering, registered.name, registered.asn) == (route_server, "fabrikam", 8100)
    assert registered.created_by == owner

    listing = client.get(response["Location"])
    body = html(listing)
    assert "Registered ASN fabrikam (AS8100) added." in body
    assert str(registered.prefix_key) in body
    assert 'class="row-current"' in body
    assert "Not used yet" in body
    assert f"by {owner.get_username()}" in body


@pytest.mark.django_db
def test_add_refuses_a_private_asn_next_to_the_field_and_keeps_what_was_typed(
    client, owner, route_server
):
    client.force_login(owner)
    response = client.post(url(route_server, "asn_add"), {"name": "fabrikam", "asn": "64512"})
    assert response.status_code == 400
    body = html(response)
    assert "RFC 6996" in body
    assert 'value="fabrikam"' in body
    assert 'value="64512"' in body
    assert not RegisteredAsn.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "asn": ""},
        {"name": "bad name!", "asn": "8100"},
        {"name": "x" * 500, "asn": "9" * 500},
        {"name": "ok", "asn": "AS-SET"},
        {"name": "ok\x00", "asn": "0"},
    ],
)
def test_bad_input_is_a_message_never_a_500(client, owner, route_server, data):
    client.force_login(owner)
    response = client.post(url(route_server, "asn_add"), data)
    assert response.status_code == 400
    assert "invalid-feedback" in html(response)
    assert not RegisteredAsn.objects.exists()


@pytest.mark.django_db
def test_duplicate_asn_of_another_tenant_is_refused_at_the_field(
    client, owner, route_server, other_subscription
):
    foreign = factories.PeeringFactory(subscription=other_subscription, name="northwind-ix")
    factories.RegisteredAsnFactory(peering=foreign, name="northwind-secret-customer", asn=8100)
    client.force_login(owner)
    response = client.post(url(route_server, "asn_add"), {"name": "fabrikam", "asn": "8100"})
    assert response.status_code == 400
    body = html(response)
    assert "AS8100 is already registered on a peering." in body
    assert "northwind" not in body
    assert not RegisteredAsn.objects.filter(peering=route_server).exists()


@pytest.mark.django_db
def test_duplicate_name_on_the_same_peering_is_refused(client, owner, route_server, registered):
    client.force_login(owner)
    response = client.post(url(route_server, "asn_add"), {"name": "FABRIKAM", "asn": "8200"})
    assert response.status_code == 400
    assert "already exists on this peering" in html(response)
    assert RegisteredAsn.objects.count() == 1


@pytest.mark.django_db
def test_cancel_goes_back_without_saving(client, owner, route_server, registered):
    client.force_login(owner)
    key = registered.prefix_key
    response = client.post(url(route_server, "asn_add"), {"name": "x", "cancel": "1"})
    assert response["Location"] == url(route_server, "asn_list")
    response = client.post(url(route_server, "asn_rotate", registered.name), {"cancel": "1"})
    assert response["Location"] == url(route_server, "asn_list")
    registered.refresh_from_db()
    assert registered.prefix_key == key
    assert RegisteredAsn.objects.count() == 1


@pytest.mark.django_db
def test_rotate_explains_and_changes_the_key(
    client, owner, route_server, registered, customer_prefix
):
    client.force_login(owner)
    old_key = registered.prefix_key
    page = html(client.get(url(route_server, "asn_rotate", registered.name)))
    assert "stops working <strong>at once</strong>" in page
    assert "1 customer prefix in 1 subscription" in page
    assert "fabrikam-secret-prefix" not in page

    response = client.post(url(route_server, "asn_rotate", registered.name))
    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.prefix_key != old_key
    assert registered.key_rotated_at is not None
    body = html(client.get(response["Location"]))
    assert str(registered.prefix_key) in body
    assert str(old_key) not in body
    assert "The old key no longer works" in body


@pytest.mark.django_db
def test_delete_registered_asn(client, owner, route_server, registered):
    client.force_login(owner)
    page = client.get(url(route_server, "asn_delete", registered.name))
    assert "This cannot be undone." in html(page)
    response = client.post(url(route_server, "asn_delete", registered.name))
    assert response.status_code == 302
    assert not RegisteredAsn.objects.exists()


@pytest.mark.django_db
def test_used_by_counts_without_naming_the_customers(
    client, owner, route_server, registered, customer_prefix
):
    second = factories.PeeringServicePrefixFactory(
        peering_service=customer_prefix.peering_service,
        name="fabrikam-secret-prefix-2",
        registered_asn=registered,
    )
    client.force_login(owner)
    body = html(client.get(url(route_server, "asn_list")))
    assert "2 prefixes in 1 subscription" in body
    # The prefixes themselves are shown (issue 12, item 5: which customer prefixes use a key;
    # the provider receives them as routes anyway); the customer's names are not.
    assert customer_prefix.prefix in body
    for secret in (
        customer_prefix.name,
        second.name,
        customer_prefix.peering_service.name,
        customer_prefix.peering_service.subscription.display_name,
    ):
        assert secret not in body, secret


@pytest.mark.django_db
def test_a_registered_asn_list_on_an_edge_peering_explains_why_not(client, owner, edge):
    client.force_login(owner)
    body = html(client.get(url(edge, "asn_list")))
    assert "Registered ASNs belong to Exchange peerings with route server." in body


# --- keys never cross tenants -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_tenants_keys_never_appear_in_another_tenants_responses(
    client,
    outsider,
    other_subscription,
    route_server,
    edge,
    registered,
    registered_prefix,
    customer_prefix,
):
    secrets = [str(registered.prefix_key), str(registered_prefix.prefix_key)]
    # The outsider has its own route-server peering with its own registered ASN.
    own = factories.PeeringFactory(subscription=other_subscription, name="northwind-ix")
    factories.PeeringConnectionFactory(peering=own, connection_state=ConnectionState.ACTIVE)
    own_registered = factories.RegisteredAsnFactory(peering=own, name="contoso-customer", asn=8300)
    customer = factories.UserFactory(username="customer")
    factories.RoleAssignmentFactory(
        user=customer,
        subscription=customer_prefix.peering_service.subscription,
        role=Role.OWNER,
    )
    world = (route_server, edge, registered, registered_prefix)
    for user in (outsider, customer):
        client.force_login(user)
        responses = [client.get(target) for target in read_urls(*world) + write_get_urls(*world)]
        responses += [client.post(target, data) for target, data in post_requests(*world)]
        responses += [
            client.get(url(own, "asn_list")),
            client.get(url(own, "asn_rotate", own_registered.name)),
            client.post(url(own, "asn_add"), {"name": "dup", "asn": str(registered.asn)}),
            client.get(url(own, "routes")),
        ]
        for response in responses:
            body = html(response)
            for secret in secrets:
                assert secret not in body, (user, response.request["PATH_INFO"])
    client.force_login(outsider)
    assert str(own_registered.prefix_key) in html(client.get(url(own, "asn_list")))


# --- Registered prefixes ----------------------------------------------------------------------


@pytest.mark.django_db
def test_prefix_list_shows_state_message_and_key(client, owner, edge, registered_prefix):
    client.force_login(owner)
    body = html(client.get(url(edge, "prefix_list")))
    assert "45.60.10.0/24" in body
    assert 'class="state state-failed"' in body
    assert "Advertisement missing MAPS community" in body
    assert f'data-copy="{registered_prefix.prefix_key}"' in body
    assert url(edge, "prefix_add") in body


@pytest.mark.django_db
def test_prefix_add_is_disabled_without_an_active_peering_service_connection(
    client, owner, subscription
):
    peering = factories.PeeringFactory(
        subscription=subscription, name="edge-pending", direct_peering_type="Edge"
    )
    factories.PeeringConnectionFactory(
        peering=peering,
        use_for_peering_service=True,
        connection_state=ConnectionState.APPROVED,
    )
    client.force_login(owner)
    body = html(client.get(url(peering, "prefix_list")))
    assert "Available once a connection of this peering is Active." in body
    assert url(peering, "prefix_add") not in body
    response = client.post(url(peering, "prefix_add"), {"name": "p", "prefix": "45.62.0.0/24"})
    assert response.status_code == 400
    assert not RegisteredPrefix.objects.exists()


@pytest.mark.django_db
def test_prefix_add_happy_path_goes_to_its_page_with_the_key(client, owner, edge):
    client.force_login(owner)
    response = client.post(
        url(edge, "prefix_add"), {"name": "fabrikam-hq", "prefix": "45.62.0.0/24"}
    )
    assert response.status_code == 302
    registered = RegisteredPrefix.objects.get()
    assert response["Location"] == url(edge, "prefix_detail", "fabrikam-hq")
    body = html(client.get(response["Location"]))
    assert str(registered.prefix_key) in body
    assert "Pending" in body
    assert "Validation is queued or running." in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "message"),
    [("10.0.0.0/8", "10.0.0.0/8"), ("45.62.0.1/24", "IPv4"), ("2001:db8::/32", "IPv4")],
)
def test_prefix_add_refuses_bad_prefixes_at_the_field(client, owner, edge, prefix, message):
    client.force_login(owner)
    response = client.post(url(edge, "prefix_add"), {"name": "p1", "prefix": prefix})
    assert response.status_code == 400
    body = html(response)
    assert "invalid-feedback" in body
    assert message in body
    assert f'value="{prefix}"' in body
    assert not RegisteredPrefix.objects.exists()


@pytest.mark.django_db
def test_prefix_registered_elsewhere_is_refused(client, owner, edge, other_subscription):
    foreign = factories.PeeringFactory(
        subscription=other_subscription, name="northwind-edge", direct_peering_type="Edge"
    )
    factories.RegisteredPrefixFactory(peering=foreign, prefix="45.62.0.0/24")
    client.force_login(owner)
    response = client.post(url(edge, "prefix_add"), {"name": "p1", "prefix": "45.62.0.0/24"})
    assert response.status_code == 400
    assert "may be registered under only one peering" in html(response)
    assert not RegisteredPrefix.objects.filter(peering=edge).exists()


@pytest.mark.django_db
def test_prefix_detail_revalidate_and_delete(client, owner, edge, registered_prefix):
    client.force_login(owner)
    detail = html(client.get(url(edge, "prefix_detail", registered_prefix.name)))
    assert str(registered_prefix.prefix_key) in detail
    assert "Advertisement missing MAPS community" in detail
    assert "Re-validate" in detail

    response = client.post(url(edge, "prefix_revalidate", registered_prefix.name))
    assert response["Location"] == url(edge, "prefix_detail", registered_prefix.name)
    registered_prefix.refresh_from_db()
    assert registered_prefix.validation_state == PrefixValidationState.PENDING

    response = client.post(
        url(edge, "prefix_revalidate", registered_prefix.name), {"return": "list"}
    )
    assert response["Location"] == url(edge, "prefix_list")

    assert "This cannot be undone." in html(
        client.get(url(edge, "prefix_delete", registered_prefix.name))
    )
    response = client.post(url(edge, "prefix_delete", registered_prefix.name))
    assert response["Location"] == url(edge, "prefix_list")
    assert not RegisteredPrefix.objects.exists()


@pytest.mark.django_db
def test_registered_asns_say_where_their_keys_work_and_who_uses_them(
    client, owner, route_server, registered
):
    """Issue 12, item 5: without a provider of the peering's ASN, a warning and what to do;
    with one, its name; per key, the customer prefixes that redeemed it."""
    client.force_login(owner)
    page = html(client.get(url(route_server, "asn_list")))
    asn = route_server.peer_asn.peer_asn
    assert 'data-testid="key-provider-missing"' in page
    assert f"No Peering Service provider has AS{asn}" in page
    assert "peeringservice@microsoft.com" in page
    assert "No provider: refused to customers" in page

    provider = factories.PeeringServiceProviderFactory(name="Contoso IX", asn=asn)
    for index in range(7):
        factories.PeeringServicePrefixFactory(
            peering_service__provider=provider,
            registered_asn=registered,
            prefix=f"45.60.{index}.0/24",
            validation_state="Verified",
        )
    page = html(client.get(url(route_server, "asn_list")))
    assert 'data-testid="key-provider-missing"' not in page
    assert 'data-testid="key-provider"' in page and "<strong>Contoso IX</strong>" in page
    (row,) = re.findall(r'<tr id="asn-\d+".*?</tr>', page, flags=re.S)
    assert re.search(r'data-testid="key-valid-under">Contoso IX</td>', row)
    listed = re.findall(r"<code>(45\.60\.\d+\.0/24)</code>", row)
    assert listed == [f"45.60.{i}.0/24" for i in range(5)]
    assert "and 2 more" in row and "7 prefixes in" in row


@pytest.mark.django_db
def test_registered_asns_filter_sort_and_page_on_the_server(client, owner, route_server):
    for index, (name, asn) in enumerate((("fabrikam", 8100), ("adatum", 64512), ("tailspin", 100))):
        factories.RegisteredAsnFactory(peering=route_server, name=name, asn=asn + index)
    client.force_login(owner)
    base = url(route_server, "asn_list")

    def names(response) -> list[str]:
        return re.findall(
            r'data-testid="registered-asn-row">\s*<th scope="row"[^>]*>([^<]+)<', html(response)
        )

    assert names(client.get(base)) == ["adatum", "fabrikam", "tailspin"]
    assert names(client.get(base, {"sort": "-asn"})) == ["adatum", "fabrikam", "tailspin"]
    assert names(client.get(base, {"sort": "asn"})) == ["tailspin", "fabrikam", "adatum"]
    assert names(client.get(base, {"q": "fab"})) == ["fabrikam"]
    assert names(client.get(base, {"q": "AS8100"})) == ["fabrikam"]
    empty = html(client.get(base, {"q": "contoso"}))
    assert "No registered ASNs match" in empty and "Clear filters" in empty
    # The filter and the sort stay in the URL of the form, the headers and the pages.
    body = html(client.get(base, {"q": "a", "sort": "-name"}))
    assert '<input type="hidden" name="sort" value="-name" form="asn-filters">' in body
    assert 'value="a"' in body and 'aria-sort="descending"' in body
    swapped = client.get(base, {"q": "tail"}, HTTP_HX_TARGET="asn-results", **HTMX)
    assert "<html" not in html(swapped) and names(swapped) == ["tailspin"]


@pytest.mark.django_db
def test_registered_asns_sort_by_use_and_page_past_the_first_fifty(client, owner, route_server):
    """The list pages its keys alone, then reads the page's rows (`KeyedRows`): a sort on the
    count of redeemed prefixes and a second page keep the list's order."""
    made = [
        factories.RegisteredAsnFactory(peering=route_server, name=f"customer-{index:02d}")
        for index in range(52)
    ]
    for registered, uses in ((made[7], 2), (made[3], 1)):
        for _ in range(uses):
            factories.PeeringServicePrefixFactory(registered_asn=registered)
    client.force_login(owner)
    base = url(route_server, "asn_list")

    def names(**params) -> list[str]:
        return re.findall(
            r'data-testid="registered-asn-row">\s*<th scope="row"[^>]*>([^<]+)<',
            html(client.get(base, params)),
        )

    assert names(page=2) == ["customer-50", "customer-51"]
    assert names(sort="-used")[:3] == ["customer-07", "customer-03", "customer-51"]
    assert names(sort="used", page=2) == ["customer-03", "customer-07"]


# --- Received routes --------------------------------------------------------------------------


@pytest.mark.django_db
def test_routes_show_every_column(client, reader, route_server, routes):
    client.force_login(reader)
    body = html(client.get(url(route_server, "routes")))
    for text in ("45.60.10.0/24", "59999 64500 8100", "8075:8007", "192.0.2.10", "Invalid"):
        assert text in body
    for header in (
        "Prefix",
        "Next hop",
        "AS path",
        "Origin AS",
        "Communities",
        "Origin AS validation",
        "RPKI validation",
        "Received",
    ):
        # Sortable headers hold their label in a link (issue 12, item 10).
        header_cell = rf"<th[^>]*>\s*(<a [^>]*>)?{header}( <span[^>]*>[^<]*</span>)?(</a>)?\s*</th>"
        assert re.search(header_cell, body), header


def route_rows(response) -> int:
    return html(response).count('data-testid="route-row"')


@pytest.mark.django_db
def test_route_filters(client, owner, route_server, routes):
    client.force_login(owner)
    base = url(route_server, "routes")
    assert route_rows(client.get(base)) == 3
    assert route_rows(client.get(base, {"prefix": "45.60."})) == 2
    assert route_rows(client.get(base, {"prefix": "45.60.10.0/24", "prefix_match": "exact"})) == 1
    assert route_rows(client.get(base, {"prefix": "45.60.", "prefix_match": "exact"})) == 0
    assert route_rows(client.get(base, {"as_path": "64500 8100"})) == 1
    assert route_rows(client.get(base, {"as_path": "AS8100"})) == 2
    assert route_rows(client.get(base, {"as_path": "810"})) == 0  # whole ASNs only
    assert route_rows(client.get(base, {"rpki_validation_state": "Invalid"})) == 1
    # A bad value in one filter is ignored, the others still apply.
    assert route_rows(client.get(base, {"prefix": "45.60.", "prefix_match": "bogus"})) == 2
    assert route_rows(client.get(base, {"connection": "not-a-connection"})) == 3
    empty = client.get(base, {"prefix": "203.0.113."})
    assert "No received routes match these filters" in html(empty)


@pytest.mark.django_db
def test_route_filter_by_connection(client, owner, route_server, routes):
    first = route_server.connections.get()
    second = factories.PeeringConnectionFactory(
        peering=route_server,
        connection_state=ConnectionState.ACTIVE,
        peer_session_ipv4_address="192.0.2.11",
        microsoft_session_ipv4_address="192.0.2.21",
    )
    factories.ReceivedRouteFactory(connection=second, prefix="45.63.0.0/24")
    client.force_login(owner)
    base = url(route_server, "routes")
    assert route_rows(client.get(base)) == 4
    assert route_rows(client.get(base, {"connection": str(second.connection_identifier)})) == 1
    assert route_rows(client.get(base, {"connection": str(first.connection_identifier)})) == 3


@pytest.mark.django_db
def test_routes_are_paged_by_50(client, owner, route_server):
    connection = route_server.connections.get()
    for index in range(55):
        factories.ReceivedRouteFactory(connection=connection, prefix=f"45.70.{index}.0/24")
    client.force_login(owner)
    first = client.get(url(route_server, "routes"))
    assert route_rows(first) == 50
    assert "Showing 1 to 50 of 55 records." in html(first)
    assert route_rows(client.get(url(route_server, "routes"), {"page": "2"})) == 5
    # The pages keep the filter and the sort (a shared link shows the same rows).
    sorted_page = html(
        client.get(url(route_server, "routes"), {"prefix": "45.70.", "sort": "-prefix"})
    )
    (next_link,) = re.findall(r'href="([^"]*page=2[^"]*)"', sorted_page)
    assert "prefix=45.70." in next_link and "sort=-prefix" in next_link


def route_prefixes(response) -> list[str]:
    return re.findall(
        r'<tr data-testid="route-row">\s*<th scope="row"[^>]*><code>([^<]+)</code>', html(response)
    )


@pytest.mark.django_db
def test_routes_sort_on_the_server_with_filter_and_sort_in_the_url(
    client, owner, route_server, routes
):
    client.force_login(owner)
    base = url(route_server, "routes")
    assert route_prefixes(client.get(base)) == ["198.51.100.0/24", "45.60.10.0/24", "45.60.11.0/24"]
    newest_last = client.get(base, {"sort": "received", "prefix": "45.60."})
    assert route_prefixes(newest_last) == ["45.60.11.0/24", "45.60.10.0/24"]
    body = html(newest_last)
    assert 'aria-sort="ascending"' in body
    # The filter form keeps the sort, the header flips it and keeps the filter.
    assert '<input type="hidden" name="sort" value="received" form="route-filters">' in body
    assert (
        'href="?sort=-received&amp;prefix=45.60."' in body
        or 'href="?prefix=45.60.&amp;sort=-received"' in body
    )
    descending = client.get(base, {"sort": "-received", "prefix": "45.60."})
    assert route_prefixes(descending) == ["45.60.10.0/24", "45.60.11.0/24"]
    assert 'aria-sort="descending"' in html(descending)
    # An unknown sort is the default order, never an error.
    assert route_prefixes(client.get(base, {"sort": "-password"})) == route_prefixes(
        client.get(base)
    )
    # With htmx, only the results come back, sorted the same way.
    swapped = client.get(base, {"sort": "-prefix"}, HTTP_HX_TARGET="routes-results", **HTMX)
    assert "<html" not in html(swapped)
    assert route_prefixes(swapped) == ["45.60.11.0/24", "45.60.10.0/24", "198.51.100.0/24"]


@pytest.mark.django_db
def test_routes_htmx_filter_returns_only_the_results(client, owner, route_server, routes):
    client.force_login(owner)
    response = client.get(
        url(route_server, "routes"),
        {"prefix": "198.51."},
        HTTP_HX_TARGET="routes-results",
        **HTMX,
    )
    body = html(response)
    assert "<html" not in body
    assert 'id="routes-results"' in body
    assert 'data-testid="route-filters"' not in body
    assert route_rows(response) == 1
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_htmx_panes_have_no_page_chrome(
    client, owner, route_server, edge, registered, registered_prefix
):
    client.force_login(owner)
    world = (route_server, edge, registered, registered_prefix)
    for target in read_urls(*world) + write_get_urls(*world):
        body = html(client.get(target, **HTMX))
        assert "<html" not in body, target
        assert 'id="blade-pane"' in body, target


@pytest.mark.django_db
def test_full_pages_have_breadcrumbs(client, owner, route_server, registered):
    client.force_login(owner)
    body = html(client.get(url(route_server, "asn_rotate", registered.name)))
    assert reverse("peering:peering_list") in body
    assert (
        reverse(
            "peering:peering_detail",
            args=[
                route_server.subscription_id,
                route_server.resource_group.name,
                route_server.name,
            ],
        )
        in body
    )
    assert 'aria-current="page">Rotate key</li>' in body
    assert f'<a href="{url(route_server, "asn_list")}">Registered ASNs</a>' in body


# --- query budgets ----------------------------------------------------------------------------


def count_queries(client, target) -> int:
    with CaptureQueriesContext(db_connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_registered_asn_list_queries_do_not_grow_with_rows(client, owner, route_server):
    client.force_login(owner)
    target = url(route_server, "asn_list")

    def add(count):
        for _ in range(count):
            registered = factories.RegisteredAsnFactory(peering=route_server, created_by=owner)
            factories.PeeringServicePrefixFactory(registered_asn=registered)

    add(3)
    few = count_queries(client, target)
    add(27)
    assert count_queries(client, target) == few


@pytest.mark.django_db
def test_registered_prefix_list_queries_do_not_grow_with_rows(client, owner, edge):
    client.force_login(owner)
    target = url(edge, "prefix_list")

    def add(count):
        for _ in range(count):
            factories.RegisteredPrefixFactory(peering=edge, created_by=owner)

    add(3)
    few = count_queries(client, target)
    add(27)
    assert count_queries(client, target) == few


@pytest.mark.django_db
def test_route_queries_do_not_grow_with_rows(client, owner, route_server):
    client.force_login(owner)
    connection = route_server.connections.get()
    target = url(route_server, "routes")

    def add(start, count):
        for index in range(start, start + count):
            factories.ReceivedRouteFactory(connection=connection, prefix=f"45.80.{index}.0/24")

    add(0, 3)
    few = count_queries(client, target)
    add(3, 27)
    assert count_queries(client, target) == few

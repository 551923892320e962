"""Views of the Peering Service blades: the tenancy matrix on every URL, "Create a peering
service connection" through its tabs with plain POSTs, errors that keep what was typed, prefix
keys that never leak, Delete's "yes", htmx fragments and the query budgets."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peering.enums import ConnectionState, Kind, SessionState
from peering.models import (
    PeeringService,
    PeeringServiceDraft,
    PeeringServicePrefix,
    PrefixEvent,
    PrefixKeyAttempt,
    PrefixValidationState,
    ReceivedRoute,
    RegisteredAsn,
)
from peering.services.prefix_validation import MSG_KEY
from portal.models import ActivityLog, ResourceGroup, Role
from portal.selectors import SESSION_SUBSCRIPTION_KEY
from tests import factories

LIST_URL = reverse("peering_services:list")
CREATE_URL = reverse("peering_services:create")
HTMX = {"HTTP_HX_REQUEST": "true"}
ANNOUNCED = "45.80.0.0/24"
NOT_ANNOUNCED = "45.80.1.0/24"
PROVIDER_ASN = 59999
CUSTOMER_ASN = 8100


def html(response) -> str:
    return response.content.decode()


# --- the world: a provider whose route server receives the customer's prefix ---------------


@pytest.fixture
def world(db, subscription, region):
    """Contoso IX (AS59999) with a route-server peering in Seattle: two Active connections with
    Established sessions that receive ANNOUNCED from the registered customer AS8100."""
    provider = factories.PeeringServiceProviderFactory(name="Contoso IX", asn=PROVIDER_ASN)
    for city in ("Seattle", "Ashburn", "Chicago"):
        factories.PeeringServiceProviderLocationFactory(provider=provider, name=city)
    location = factories.PeeringServiceLocationFactory(country="United States", state="Washington")
    factories.PeeringServiceLocationFactory(country="United States", state="Oregon")
    factories.PeeringServiceLocationFactory(country="Japan", state="Tokyo")
    provider_subscription = factories.SubscriptionFactory(display_name="Contoso IX provider")
    metro = factories.PeeringLocationFactory(name="Seattle")
    peering = factories.PeeringFactory(
        subscription=provider_subscription,
        kind=Kind.DIRECT,
        direct_peering_type="IxRs",
        peering_location=metro,
        peer_asn__peer_asn=PROVIDER_ASN,
    )
    connections = [
        factories.PeeringConnectionFactory(
            peering=peering,
            connection_state=ConnectionState.ACTIVE,
            # Only connections used for Peering Service count (issue 9).
            use_for_peering_service=True,
            session_state_v4=SessionState.ESTABLISHED,
            peer_session_ipv4_address=f"192.0.2.{10 + n}",
            microsoft_session_ipv4_address=f"192.0.2.{20 + n}",
        )
        for n in range(2)
    ]
    registered = RegisteredAsn.objects.create(peering=peering, name="fabrikam", asn=CUSTOMER_ASN)
    factories.VrpFactory(asn=CUSTOMER_ASN, prefix=ANNOUNCED, max_length=32)  # the customer's ROA
    for conn in connections:
        ReceivedRoute.objects.create(
            connection=conn,
            prefix=ANNOUNCED,
            next_hop=conn.peer_session_ipv4_address,
            as_path=f"{PROVIDER_ASN} {CUSTOMER_ASN}",
            origin_as=CUSTOMER_ASN,
            communities=["8075:8007"],
            received_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    group = factories.ResourceGroupFactory(
        subscription=subscription, name="fabrikam-network", region=region
    )
    return {
        "provider": provider,
        "location": location,
        "peering": peering,
        "connections": connections,
        "key": str(registered.prefix_key),
        "group": group,
    }


@pytest.fixture
def other_provider_key(db):
    """A registered ASN of another provider: its key must not work for Contoso IX."""
    provider = factories.PeeringServiceProviderFactory(name="Northwind IX", asn=63999)
    peering = factories.PeeringFactory(
        kind=Kind.DIRECT, direct_peering_type="IxRs", peer_asn__peer_asn=63999
    )
    registered = RegisteredAsn.objects.create(peering=peering, name="northwind-cust", asn=8200)
    return provider, str(registered.prefix_key)


def make_service(world, subscription, *, name="fabrikam-ps", prefixes=(), backup=""):
    service = PeeringService.objects.create(
        subscription=subscription,
        resource_group=world["group"],
        name=name,
        region=world["group"].region,
        location=world["location"],
        provider=world["provider"],
        primary_location="Seattle",
        backup_location=backup,
    )
    for n, (prefix_name, prefix, state) in enumerate(prefixes):
        PeeringServicePrefix.objects.create(
            peering_service=service,
            name=prefix_name,
            prefix=prefix,
            prefix_key=world["key"],
            validation_state=state,
            error_message="Prefix not received from the provider." if state == "Failed" else "",
        )
        del n
    return service


@pytest.fixture
def service(world, subscription):
    return make_service(
        world,
        subscription,
        prefixes=[
            ("web", ANNOUNCED, PrefixValidationState.VERIFIED),
            ("mail", NOT_ANNOUNCED, PrefixValidationState.FAILED),
        ],
    )


def args(service) -> list:
    return [service.subscription_id, service.resource_group.name, service.name]


def url(view: str, service, *extra) -> str:
    return reverse(f"peering_services:{view}", args=[*args(service), *extra])


WRITE_URLS = ("prefix_add", "prefix_delete", "prefix_revalidate", "delete")


def service_urls(service) -> dict[str, str]:
    return {
        "detail": url("detail", service),
        "prefixes": url("prefixes", service),
        "prefix_add": url("prefix_add", service),
        "prefix_detail": url("prefix_detail", service, "web"),
        "prefix_delete": url("prefix_delete", service, "web"),
        "prefix_revalidate": url("prefix_revalidate", service, "web"),
        "delete": url("delete", service),
    }


def create_data(subscription, world, **overrides) -> dict:
    """Every value of the create form, as the page posts it."""
    data = {
        "tab": "basics",
        "subscription": str(subscription.pk),
        "resource_group": world["group"].name,
        "new_resource_group": "",
        "name": "fabrikam-ps",
        "region": "",
        "country": "United States",
        "state": "Washington",
        "provider": str(world["provider"].pk),
        "primary_location": "Seattle",
        "backup_location": "",
        "prefix_index": ["0"],
        "prefix-0-name": "web",
        "prefix-0-prefix": ANNOUNCED,
        "prefix-0-prefix_key": world["key"],
    }
    data.update(overrides)
    return data


# --- tenancy matrix ----------------------------------------------------------------------


def test_anonymous_is_sent_to_login_everywhere(client, service):
    targets = [("list", LIST_URL), ("create", CREATE_URL), *service_urls(service).items()]
    for name, target in targets:
        response = client.get(target) if name != "prefix_revalidate" else client.post(target)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_other_tenant_gets_404_on_every_url(client, outsider, service):
    client.force_login(outsider)
    for name, target in service_urls(service).items():
        if name != "prefix_revalidate":
            assert client.get(target).status_code == 404, name
        if name in WRITE_URLS:
            assert client.post(target, {"confirm": "yes"}).status_code == 404, name
    assert PeeringService.objects.filter(pk=service.pk).exists()
    assert service.prefixes.count() == 2


def test_other_tenant_list_shows_nothing(client, outsider, service):
    client.force_login(outsider)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert service.name not in html(response)


def test_unknown_service_prefix_or_group_is_404(client, owner, service):
    client.force_login(owner)
    assert client.get(url("prefix_detail", service, "nope")).status_code == 404
    wrong_group = reverse(
        "peering_services:detail", args=[service.subscription_id, "other-rg", service.name]
    )
    assert client.get(wrong_group).status_code == 404


def test_reader_reads_without_write_controls(client, reader, service):
    client.force_login(reader)
    urls = service_urls(service)
    for name in ("detail", "prefixes", "prefix_detail"):
        response = client.get(urls[name])
        assert response.status_code == 200, name
        page = html(response)
        assert "Re-validate" not in page, name
        assert urls["delete"] not in page, name
        assert urls["prefix_add"] not in page, name
        assert urls["prefix_delete"] not in page, name
    assert "Create" not in html(client.get(LIST_URL)).split("command-bar", 1)[1].split("</div>")[0]


def test_reader_forged_writes_are_403(client, reader, service, world):
    client.force_login(reader)
    urls = service_urls(service)
    for name in ("prefix_add", "prefix_delete", "delete"):
        assert client.get(urls[name]).status_code == 403, name
    for name in ("prefix_add", "prefix_delete", "prefix_revalidate", "delete"):
        data = {"confirm": "yes", "name": "x", "prefix": NOT_ANNOUNCED, "prefix_key": world["key"]}
        assert client.post(urls[name], data).status_code == 403, name
    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, {"goto": "create"}).status_code == 403
    assert PeeringService.objects.filter(pk=service.pk).exists()
    assert service.prefixes.count() == 2


def test_reader_of_one_subscription_posting_to_it_is_403(client, world, subscription):
    user = factories.UserFactory(username="mixed")
    factories.RoleAssignmentFactory(user=user, subscription=subscription, role=Role.READER)
    factories.RoleAssignmentFactory(user=user, role=Role.OWNER)
    client.force_login(user)
    response = client.post(CREATE_URL, create_data(subscription, world, goto="create"))
    assert response.status_code == 403
    assert not PeeringService.objects.exists()


def test_unknown_subscription_is_a_field_error(client, outsider, world, subscription):
    client.force_login(outsider)
    response = client.post(CREATE_URL, create_data(subscription, world, goto="create"))
    assert response.status_code == 200
    assert "Select one of your subscriptions" in html(response)
    assert not PeeringService.objects.exists()


# --- list --------------------------------------------------------------------------------


def test_list_shows_columns_and_counts_per_state(client, owner, service):
    client.force_login(owner)
    page = html(client.get(LIST_URL))
    for text in ("fabrikam-ps", "fabrikam-network", "Washington, United States", "Contoso IX"):
        assert text in page
    assert "1 Verified" in page
    assert "1 Failed" in page
    assert '<span class="ps-count">2</span>' in page
    assert 'data-testid="create-peering-service"' in page


def test_list_honours_the_subscription_switcher(client, owner, service, other_subscription):
    factories.RoleAssignmentFactory(user=owner, subscription=other_subscription)
    client.force_login(owner)
    session = client.session
    session[SESSION_SUBSCRIPTION_KEY] = str(other_subscription.pk)
    session.save()
    assert "fabrikam-ps" not in html(client.get(LIST_URL))
    session[SESSION_SUBSCRIPTION_KEY] = str(service.subscription_id)
    session.save()
    assert "fabrikam-ps" in html(client.get(LIST_URL))


def _count_queries(client, target) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_rows(client, owner, world, subscription):
    client.force_login(owner)
    prefixes = [("a", ANNOUNCED, "Verified"), ("b", NOT_ANNOUNCED, "Pending")]
    for n in range(3):
        make_service(world, subscription, name=f"ps-{n}", prefixes=prefixes)
    few = _count_queries(client, LIST_URL)
    for n in range(3, 30):
        make_service(world, subscription, name=f"ps-{n}", prefixes=prefixes)
    assert _count_queries(client, LIST_URL) == few


def test_prefixes_blade_queries_do_not_grow_with_rows(client, owner, world, subscription):
    client.force_login(owner)
    service = make_service(world, subscription)
    for n in range(3):
        PeeringServicePrefix.objects.create(
            peering_service=service, name=f"p{n}", prefix=f"45.81.{n}.0/24", prefix_key="k"
        )
    few = _count_queries(client, url("prefixes", service))
    for n in range(3, 30):
        PeeringServicePrefix.objects.create(
            peering_service=service, name=f"p{n}", prefix=f"45.81.{n}.0/24", prefix_key="k"
        )
    assert _count_queries(client, url("prefixes", service)) == few


# --- create through the tabs ------------------------------------------------------------


def test_create_starts_on_basics_with_the_writable_subscription(client, owner, world):
    client.force_login(owner)
    response = client.get(CREATE_URL)
    assert response.status_code == 200
    page = html(response)
    assert "Create a peering service connection" in page
    assert 'data-tab="basics"' in page
    assert world["group"].name in page
    assert "no-store" in response["Cache-Control"]


def test_create_happy_path_through_the_tabs(
    client, owner, world, subscription, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    client.get(CREATE_URL)
    basics = {
        "tab": "basics",
        "subscription": str(subscription.pk),
        "resource_group": world["group"].name,
        "name": "fabrikam-ps",
        "prefix_index": "0",
        "goto": "configuration",
    }
    response = client.post(CREATE_URL, basics)
    page = html(response)
    assert 'data-tab="configuration"' in page
    # The Basics are kept in the user's server-side draft, not in the page.
    assert PeeringServiceDraft.objects.get(user=owner).data["values"]["name"] == "fabrikam-ps"
    assert 'name="name"' not in page
    reloaded = html(client.get(CREATE_URL))
    assert 'data-tab="configuration"' in reloaded

    # Choosing the provider and "Update" (no JavaScript) lists its peering locations.
    config = {**basics, "tab": "configuration", "provider": str(world["provider"].pk)}
    config.update(country="United States", goto="configuration")
    page = html(client.post(CREATE_URL, config))
    assert '<option value="Seattle">Seattle</option>' in page
    assert "failover goes over the internet" in page
    assert '<option value="Washington">Washington</option>' in page

    config.update(state="Washington", primary_location="Seattle", goto="prefixes")
    page = html(client.post(CREATE_URL, config))
    assert 'data-tab="prefixes"' in page
    # Rows: add one without JavaScript, then remove it.
    prefixes = {**config, "tab": "prefixes", "goto": ""}
    prefixes.update({"prefix-0-name": "web", "prefix-0-prefix": ANNOUNCED})
    prefixes["prefix-0-prefix_key"] = world["key"]
    page = html(client.post(CREATE_URL, {**prefixes, "add_prefix": "1"}))
    assert 'id="ps-prefix-row-1"' in page
    assert f'value="{ANNOUNCED}"' in page
    page = html(
        client.post(CREATE_URL, {**prefixes, "prefix_index": ["0", "1"], "remove_prefix": "1"})
    )
    assert 'id="ps-prefix-row-1"' not in page
    assert 'id="ps-prefix-row-0"' in page

    page = html(client.post(CREATE_URL, {**prefixes, "goto": "review"}))
    assert "Validation passed" in page
    assert world["key"][-4:] in page
    # The owner's own key is kept in the draft for Create; the page shows it masked only.
    assert f'value="{world["key"]}"' not in page
    assert (
        PeeringServiceDraft.objects.get(user=owner).data["rows"][0][1]["prefix_key"]
        == (world["key"])
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, {**prefixes, "tab": "review", "goto": "create"})
    service = PeeringService.objects.get(name="fabrikam-ps")
    assert response.status_code == 302
    assert response["Location"] == url("detail", service)
    assert not PeeringServiceDraft.objects.filter(user=owner).exists()
    prefix = service.prefixes.get()
    assert prefix.validation_state == PrefixValidationState.VERIFIED, prefix.error_message
    assert prefix.learned_type == "ViaServiceProvider"

    overview = html(client.get(response["Location"]))
    assert "was created" in overview
    assert "2 of 2 sessions Established" in overview
    assert "None (failover goes over the internet)" in overview
    assert service.resource_id in overview
    prefixes_page = html(client.get(url("prefixes", service)))
    assert "state-verified" in prefixes_page
    # The key never reaches the activity log.
    for entry in ActivityLog.objects.all():
        assert world["key"] not in entry.message
        assert world["key"] not in entry.resource_id


def test_create_with_a_new_resource_group(
    client, owner, world, subscription, region, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    data = create_data(
        subscription,
        world,
        resource_group="",
        new_resource_group="ps-rg",
        region=region.name,
        goto="create",
        tab="review",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, data)
    assert response.status_code == 302
    group = ResourceGroup.objects.get(name="ps-rg")
    assert PeeringService.objects.get(name="fabrikam-ps").resource_group == group


def test_an_existing_group_fixes_the_region(client, owner, world, subscription):
    client.force_login(owner)
    page = html(client.post(CREATE_URL, create_data(subscription, world, goto="basics")))
    assert 'id="ps-region-fixed"' in page
    assert world["group"].region.display_name in page


def test_review_errors_link_to_their_tab_and_keep_values(client, owner, world, subscription):
    client.force_login(owner)
    data = create_data(
        subscription,
        world,
        name="bad name!",
        primary_location="",
        **{"prefix-0-prefix": "10.0.0.0/8"},
        goto="review",
    )
    response = client.post(CREATE_URL, data)
    page = html(response)
    assert "Validation failed" in page
    assert 'value="basics:name"' in page
    assert 'value="configuration:primary_location"' in page
    assert 'value="prefixes:prefix-0-prefix"' in page
    assert "disabled" in page.split('data-testid="create"')[1][:40]

    # Following the link to Basics shows the typed value with its message, focused.
    # The check's outcome is kept in the draft, not carried by the page.
    assert 'name="check"' not in page
    follow = {**data, "tab": "review", "goto": "basics:name"}
    page = html(client.post(CREATE_URL, follow))
    assert 'data-tab="basics"' in page
    assert 'value="bad name!"' in page
    assert "is-invalid" in page
    assert "autofocus" in page
    # The prefix keeps its value and message on its tab.
    page = html(client.post(CREATE_URL, {**follow, "tab": "basics", "goto": "prefixes"}))
    assert 'value="10.0.0.0/8"' in page
    assert "private or reserved" in page
    # Once the value changes, its old message is gone.
    fixed = {**follow, "tab": "basics", "goto": "prefixes", "prefix-0-prefix": ANNOUNCED}
    assert "private or reserved" not in html(client.post(CREATE_URL, fixed))
    assert not PeeringService.objects.exists()


def test_review_is_a_dry_run(client, owner, world, subscription, region):
    """Review + create asks the service in a rolled-back transaction: nothing is kept, and no
    key is matched (wrong keys are judged, and counted, only by Create)."""
    client.force_login(owner)
    data = create_data(
        subscription,
        world,
        resource_group="",
        new_resource_group="ps-rg",
        region=region.name,
        goto="review",
        **{"prefix-0-prefix_key": "6f1c5a8e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"},
    )
    logged = ActivityLog.objects.count()
    page = html(client.post(CREATE_URL, data))
    assert "Validation passed" in page
    assert "(New) ps-rg" in page
    assert not ResourceGroup.objects.filter(name="ps-rg").exists()
    assert not PeeringService.objects.exists()
    assert ActivityLog.objects.count() == logged
    assert not PrefixKeyAttempt.objects.exists()


def test_views_that_take_keys_hide_their_post_from_error_reports(client, owner, service, world):
    client.force_login(owner)
    data = {"name": "x", "prefix": NOT_ANNOUNCED, "prefix_key": world["key"]}
    for target in (CREATE_URL, url("prefix_add", service)):
        response = client.post(target, data)
        assert response.wsgi_request.sensitive_post_parameters == "__ALL__", target
        assert "no-store" in response["Cache-Control"], target


def test_forged_check_token_is_ignored(client, owner, world, subscription):
    client.force_login(owner)
    data = create_data(subscription, world, check="forged:token", goto="basics")
    response = client.post(CREATE_URL, data)
    assert response.status_code == 200
    assert html(response).count('data-testid="prefix-row"') <= 20
    assert "Validation failed" not in html(response)


@pytest.mark.parametrize("which", ["unknown", "other-provider"])
def test_wrong_key_same_message_on_create(
    client, owner, world, subscription, other_provider_key, which
):
    client.force_login(owner)
    key = "6f1c5a8e-2b3d-4e5f-8a9b-0c1d2e3f4a5b" if which == "unknown" else other_provider_key[1]
    data = create_data(subscription, world, goto="create", **{"prefix-0-prefix_key": key})
    page = html(client.post(CREATE_URL, data))
    assert "The prefix key does not match a key issued by Contoso IX." in page
    assert "Northwind" not in page
    assert 'value="prefixes:prefix-0-prefix_key"' in page
    assert not PeeringService.objects.exists()
    assert PrefixKeyAttempt.objects.filter(user=owner).count() == 1


def test_wrong_key_same_message_on_add_prefix(client, owner, service, other_provider_key):
    client.force_login(owner)
    answers = []
    for key in ("6f1c5a8e-2b3d-4e5f-8a9b-0c1d2e3f4a5b", other_provider_key[1]):
        response = client.post(
            url("prefix_add", service),
            {"name": "new", "prefix": "45.82.0.0/24", "prefix_key": key},
        )
        assert response.status_code == 200
        page = html(response)
        answers.append("The prefix key does not match a key issued by Contoso IX." in page)
        assert f'value="{key}"' in page  # shown again to its owner, in the input
    assert answers == [True, True]
    assert not service.prefixes.filter(name="new").exists()
    assert MSG_KEY.format(provider="Contoso IX").startswith(
        "The prefix key does not match a key issued by Contoso IX."
    )


# --- prefixes blade -----------------------------------------------------------------------


def test_prefixes_blade_shows_states_and_messages(client, owner, service):
    client.force_login(owner)
    page = html(client.get(url("prefixes", service)))
    assert "state-verified" in page and "state-failed" in page
    assert "Prefix not received from the provider." in page
    assert "cannot be edited" in page
    assert service.prefixes.first().prefix_key not in page


def test_add_prefix_without_javascript(
    client, owner, service, world, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    page = html(client.get(url("prefix_add", service)))
    assert "open" in page.split('id="ps-add-prefix"')[1][:30]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("prefix_add", service),
            {"name": "extra", "prefix": "45.83.0.0/24", "prefix_key": world["key"]},
        )
    assert response.status_code == 302
    assert response["Location"] == url("prefixes", service)
    prefix = service.prefixes.get(name="extra")
    assert prefix.validation_state == PrefixValidationState.FAILED
    assert prefix.error_message.startswith("Prefix not received from the provider")


def test_add_prefix_errors_keep_values(client, owner, service, world):
    client.force_login(owner)
    response = client.post(
        url("prefix_add", service), {"name": "web", "prefix": "45.84.0.0/33", "prefix_key": ""}
    )
    page = html(response)
    assert "already exists here" in page
    assert "only IPv4 prefixes" in page
    assert "Enter the prefix key" in page
    assert 'value="45.84.0.0/33"' in page


def test_add_prefix_with_htmx_returns_the_section(
    client, owner, service, world, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("prefix_add", service),
            {"name": "extra", "prefix": "45.83.0.0/24", "prefix_key": world["key"]},
            **HTMX,
            HTTP_HX_TARGET="ps-prefixes",
        )
    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="ps-prefixes"')
    assert "was added" in page
    assert "extra" in page


def test_revalidate_and_delete_prefix(client, owner, service, django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("prefix_revalidate", service, "mail"))
    assert response.status_code == 302
    mail = service.prefixes.get(name="mail")
    assert mail.validation_state == PrefixValidationState.FAILED
    assert mail.error_message.startswith("Prefix not received from the provider")
    assert mail.validated_at is not None

    # htmx: only the table comes back.
    response = client.post(
        url("prefix_revalidate", service, "mail"), **HTMX, HTTP_HX_TARGET="ps-prefix-table"
    )
    page = html(response)
    assert page.lstrip().startswith('<div id="ps-prefix-table"')
    assert "every 5s" in page  # Pending: the table polls until validation has run

    assert "Delete prefix web" in html(client.get(url("prefix_delete", service, "web")))
    response = client.post(url("prefix_delete", service, "web"))
    assert response.status_code == 302
    assert not service.prefixes.filter(name="web").exists()


def test_prefix_detail_lists_events_newest_first(client, owner, service):
    client.force_login(owner)
    prefix = service.prefixes.get(name="web")
    PrefixEvent.objects.create(
        prefix=prefix,
        event_type="PrefixAnnouncementEvent",
        event_level="Information",
        summary="Announced",
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
    )
    PrefixEvent.objects.create(
        prefix=prefix,
        event_type="PrefixWithdrawalEvent",
        event_level="Warning",
        summary="Withdrawn",
        timestamp=datetime(2026, 1, 2, tzinfo=UTC),
    )
    page = html(client.get(url("prefix_detail", service, "web")))
    assert page.index("PrefixWithdrawalEvent") < page.index("PrefixAnnouncementEvent")
    assert "state-verified" in page
    assert prefix.prefix_key not in page
    assert prefix.prefix_key[-4:] in page
    assert "cannot be edited" in page


# --- delete ------------------------------------------------------------------------------


def test_delete_needs_yes(client, owner, service):
    client.force_login(owner)
    assert "Type &quot;yes&quot; to confirm" in html(client.get(url("delete", service)))
    response = client.post(url("delete", service), {"confirm": "no"})
    assert response.status_code == 200
    assert "Type &quot;yes&quot; to confirm the deletion." in html(response)
    assert PeeringService.objects.filter(pk=service.pk).exists()
    response = client.post(url("delete", service), {"confirm": "yes"})
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    assert not PeeringService.objects.filter(pk=service.pk).exists()


# --- htmx fragments --------------------------------------------------------------------


def test_list_fragment_for_htmx(client, owner, service):
    client.force_login(owner)
    response = client.get(LIST_URL, **HTMX)
    page = html(response)
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="peering-service-results"')
    assert "fabrikam-ps" in page


def test_provider_change_with_htmx_refreshes_the_locations(client, owner, world, subscription):
    client.force_login(owner)
    data = create_data(subscription, world, tab="configuration", goto="configuration")
    data["primary_location"] = ""
    response = client.post(CREATE_URL, data, **HTMX, HTTP_HX_TARGET="ps-create")
    page = html(response)
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="ps-create"')
    for city in ("Seattle", "Ashburn", "Chicago"):
        assert f'<option value="{city}">{city}</option>' in page
    assert 'hx-post="/peering-services/create/"' in page


def test_htmx_create_redirects_the_client(
    client, owner, world, subscription, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, create_data(subscription, world, goto="create"), **HTMX)
    service = PeeringService.objects.get(name="fabrikam-ps")
    assert response["HX-Redirect"] == url("detail", service)


def test_html_is_escaped_when_redisplayed(client, owner, world, subscription):
    client.force_login(owner)
    data = create_data(subscription, world, name="<script>x</script>", goto="basics")
    page = html(client.post(CREATE_URL, data))
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;" in page


def test_forged_row_indices_are_bounded(client, owner, world, subscription):
    client.force_login(owner)
    data = create_data(subscription, world, goto="prefixes")
    data["prefix_index"] = ["x", "-1", "99999", *[str(n) for n in range(900)]]
    response = client.post(CREATE_URL, data)
    assert response.status_code == 200
    assert html(response).count('data-testid="prefix-row"') <= 20


# --- the server-side draft ----------------------------------------------------------------


def test_draft_survives_reload_and_sign_out(world, owner, subscription):
    from django.test import Client

    from tests import factories

    client = Client()
    assert client.login(username=owner.username, password=factories.PASSWORD)
    client.post(CREATE_URL, create_data(subscription, world, name="kept-ps", goto="configuration"))
    client.post(reverse("logout"))
    assert client.login(username=owner.username, password=factories.PASSWORD)
    page = html(client.get(CREATE_URL))
    assert 'data-tab="configuration"' in page
    assert '<option value="Washington" selected>Washington</option>' in page
    page = html(client.post(CREATE_URL, {"tab": "configuration", "goto": "basics"}))
    assert 'value="kept-ps"' in page
    page = html(client.post(CREATE_URL, {"tab": "basics", "goto": "prefixes"}))
    assert f'value="{ANNOUNCED}"' in page


def test_review_validates_without_writing_and_create_uses_the_draft(
    client, owner, world, subscription, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    page = html(client.post(CREATE_URL, create_data(subscription, world, goto="review")))
    assert "Validation passed" in page
    assert not PeeringService.objects.exists()
    # Create posts only the review tab's buttons: every value comes from the draft.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, {"tab": "review", "goto": "create"})
    service = PeeringService.objects.get(name="fabrikam-ps")
    assert response["Location"] == url("detail", service)
    assert service.prefixes.count() == 1
    assert not PeeringServiceDraft.objects.exists()


def test_discard_asks_first_without_javascript(client, owner, world, subscription):
    client.force_login(owner)
    client.post(CREATE_URL, create_data(subscription, world, goto="basics"))
    page = html(client.get(CREATE_URL))
    discard_url = reverse("peering_services:create_discard")
    assert f'href="{discard_url}"' in page and "hx-confirm=" in page
    confirm = client.get(discard_url)
    assert confirm.status_code == 200
    assert 'data-testid="confirm-discard"' in html(confirm)
    assert PeeringServiceDraft.objects.filter(user=owner).exists()  # asking deletes nothing
    response = client.post(discard_url)
    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert not PeeringServiceDraft.objects.filter(user=owner).exists()
    assert 'value="fabrikam-ps"' not in html(client.get(CREATE_URL))


def test_discard_with_htmx_redirects_the_client(client, owner, world, subscription):
    client.force_login(owner)
    client.post(CREATE_URL, create_data(subscription, world, goto="basics"))
    response = client.post(reverse("peering_services:create_discard"), **HTMX)
    assert response["HX-Redirect"] == LIST_URL
    assert not PeeringServiceDraft.objects.exists()


def test_discard_is_for_writers_only(client, reader, world):
    discard_url = reverse("peering_services:create_discard")
    assert client.get(discard_url).status_code == 302  # anonymous: to sign in
    client.force_login(reader)
    assert client.get(discard_url).status_code == 403
    assert client.post(discard_url).status_code == 403


def test_drafts_are_per_user(client, owner, world, subscription):
    from tests import factories

    client.force_login(owner)
    client.post(CREATE_URL, create_data(subscription, world, name="mine-ps", goto="basics"))
    other = factories.UserFactory(username="colleague")
    factories.RoleAssignmentFactory(user=other, subscription=subscription, role="Owner")
    client.force_login(other)
    assert 'value="mine-ps"' not in html(client.get(CREATE_URL))


def test_basics_labels_and_required_marks_match_create_a_peering(client, owner, world):
    client.force_login(owner)
    service_page = html(client.get(CREATE_URL))
    peering_page = html(client.get(reverse("wizard:tab", args=["basics"])))
    for label in ("Subscription", "Resource group", "Name", "Region"):
        mark = f'{label} <span class="required-mark" aria-hidden="true">*</span></label>'
        assert mark in service_page, label
        assert mark in peering_page, label
    for page in (service_page, peering_page):
        assert ">or Create new</label>" in page
        assert 'placeholder="Name of a new resource group"' in page

"""Views of the portal shell: the tenancy matrix, the resource group flow, htmx fragments and
query counts that do not grow with the number of rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.models import ActivityLog, ActivityStatus, Notification, ResourceGroup, Role
from portal.selectors import SESSION_SUBSCRIPTION_KEY
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def rg_url(group) -> str:
    return reverse("portal:resource_group_detail", args=[group.subscription_id, group.name])


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def group(subscription, region):
    return factories.ResourceGroupFactory(
        subscription=subscription, name="rg-contoso", region=region
    )


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


# ---- Anonymous users are sent to sign in -----------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("portal:home", []),
        ("portal:notifications", []),
        ("portal:resource_group_list", []),
        ("portal:resource_group_create", []),
        ("portal:activity_log", []),
    ],
)
def test_anonymous_get_redirects_to_login(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_resource_group_detail_redirects_to_login(client, group):
    response = client.get(rg_url(group))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "name", ["portal:switch_subscription", "portal:notifications", "portal:resource_group_create"]
)
def test_anonymous_post_redirects_to_login_and_changes_nothing(client, name, subscription):
    response = client.post(reverse(name), {"subscription": str(subscription.pk), "name": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not ResourceGroup.objects.exists()


# ---- Tenancy: another tenant's objects do not exist ------------------------------------------


def test_outsider_gets_404_for_other_tenants_resource_group(client, outsider, group):
    client.force_login(outsider)
    assert client.get(rg_url(group)).status_code == 404


def test_unknown_resource_group_is_404(owner_client, subscription):
    url = reverse("portal:resource_group_detail", args=[subscription.pk, "nope"])
    assert owner_client.get(url).status_code == 404


def test_outsider_does_not_see_other_tenants_groups_or_activity(client, outsider, group):
    factories.ActivityLogFactory(subscription=group.subscription, operation_display="Secret op")
    client.force_login(outsider)
    assert "rg-contoso" not in client.get(reverse("portal:resource_group_list")).content.decode()
    assert "Secret op" not in client.get(reverse("portal:activity_log")).content.decode()
    assert "Contoso IX" not in client.get(reverse("portal:home")).content.decode()


def test_resource_group_detail_is_case_insensitive_and_lists_peerings(owner_client, group):
    peering = factories.PeeringFactory(subscription=group.subscription, resource_group=group)
    response = owner_client.get(
        reverse("portal:resource_group_detail", args=[group.subscription_id, "RG-CONTOSO"])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Essentials" in body
    assert group.resource_id in body
    assert str(group.subscription_id) in body
    assert "East US" in body
    assert "Microsoft.Peering/peerings" in body
    detail = reverse(
        "peering:peering_detail", args=[group.subscription_id, group.name, peering.name]
    )
    assert f'href="{detail}"' in body


# ---- Switching subscription ------------------------------------------------------------------


def test_switch_subscription_sets_and_clears_session(owner_client, subscription):
    url = reverse("portal:switch_subscription")
    response = owner_client.post(
        url, {"subscription": str(subscription.pk), "next": "/resource-groups/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/resource-groups/"
    assert owner_client.session[SESSION_SUBSCRIPTION_KEY] == str(subscription.pk)

    response = owner_client.post(url, {"subscription": ""})
    assert response.status_code == 302
    assert SESSION_SUBSCRIPTION_KEY not in owner_client.session


def test_switch_subscription_foreign_id_is_404(owner_client, other_subscription):
    url = reverse("portal:switch_subscription")
    assert owner_client.post(url, {"subscription": str(other_subscription.pk)}).status_code == 404
    assert owner_client.post(url, {"subscription": "not-a-uuid"}).status_code == 404
    assert SESSION_SUBSCRIPTION_KEY not in owner_client.session


def test_switch_subscription_refuses_offsite_next(owner_client, subscription):
    response = owner_client.post(
        reverse("portal:switch_subscription"),
        {"subscription": str(subscription.pk), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("portal:home")


def test_switch_subscription_is_post_only(owner_client):
    assert owner_client.get(reverse("portal:switch_subscription")).status_code == 405


def test_current_subscription_filters_lists(client, owner, subscription, region):
    second = factories.SubscriptionFactory(display_name="Second")
    factories.RoleAssignmentFactory(user=owner, subscription=second, role=Role.OWNER)
    factories.ResourceGroupFactory(subscription=subscription, name="rg-first", region=region)
    factories.ResourceGroupFactory(subscription=second, name="rg-second", region=region)
    factories.ActivityLogFactory(subscription=subscription, operation_display="First op")
    factories.ActivityLogFactory(subscription=second, operation_display="Second op")
    client.force_login(owner)

    body = client.get(reverse("portal:resource_group_list")).content.decode()
    assert "rg-first" in body and "rg-second" in body

    client.post(reverse("portal:switch_subscription"), {"subscription": str(second.pk)})
    body = client.get(reverse("portal:resource_group_list")).content.decode()
    assert "rg-second" in body and "rg-first" not in body
    body = client.get(reverse("portal:activity_log")).content.decode()
    assert "Second op" in body and "First op" not in body


# ---- Resource group create -------------------------------------------------------------------


def test_reader_cannot_create_and_sees_no_create_button(reader_client, subscription, region):
    listing = reader_client.get(reverse("portal:resource_group_list"))
    assert listing.status_code == 200
    assert reverse("portal:resource_group_create") not in listing.content.decode()

    assert reader_client.get(reverse("portal:resource_group_create")).status_code == 403
    response = reader_client.post(
        reverse("portal:resource_group_create"),
        {"subscription": str(subscription.pk), "name": "rg-new", "region": region.pk},
    )
    assert response.status_code == 403
    assert not ResourceGroup.objects.exists()


def test_owner_sees_create_button(owner_client):
    listing = owner_client.get(reverse("portal:resource_group_list"))
    assert reverse("portal:resource_group_create") in listing.content.decode()


def test_forged_post_for_a_read_only_subscription_is_403(client, reader, region):
    # The reader also owns another subscription, so the create page itself is open to them.
    mine = factories.SubscriptionFactory(display_name="Mine")
    factories.RoleAssignmentFactory(user=reader, subscription=mine, role=Role.OWNER)
    read_only = reader.role_assignments.get(role=Role.READER).subscription
    client.force_login(reader)
    page = client.get(reverse("portal:resource_group_create"))
    assert page.status_code == 200
    assert list(page.context["form"].fields["subscription"].queryset) == [mine]

    response = client.post(
        reverse("portal:resource_group_create"),
        {"subscription": str(read_only.pk), "name": "rg-new", "region": region.pk},
    )
    assert response.status_code == 403
    assert not ResourceGroup.objects.exists()


def test_forged_post_for_a_foreign_subscription_is_404(owner_client, other_subscription, region):
    response = owner_client.post(
        reverse("portal:resource_group_create"),
        {"subscription": str(other_subscription.pk), "name": "rg-new", "region": region.pk},
    )
    assert response.status_code == 404
    assert not ResourceGroup.objects.exists()


def test_owner_creates_resource_group(owner_client, subscription, region):
    response = owner_client.post(
        reverse("portal:resource_group_create"),
        {"subscription": str(subscription.pk), "name": "rg-new", "region": region.pk},
        follow=True,
    )
    group = ResourceGroup.objects.get()
    assert group.name == "rg-new" and group.subscription == subscription
    assert response.redirect_chain[-1][0] == rg_url(group)
    assert "Resource group &#x27;rg-new&#x27; was created." in response.content.decode()
    assert ActivityLog.objects.filter(resource_id=group.resource_id).exists()


def test_create_form_preselects_current_subscription(owner_client, subscription):
    owner_client.post(reverse("portal:switch_subscription"), {"subscription": str(subscription.pk)})
    body = owner_client.get(reverse("portal:resource_group_create")).content.decode()
    assert f'<option value="{subscription.pk}" selected>' in body


def test_duplicate_name_case_insensitive_is_a_field_error(owner_client, group, region):
    response = owner_client.post(
        reverse("portal:resource_group_create"),
        {"subscription": str(group.subscription_id), "name": "RG-Contoso", "region": region.pk},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "already exists" in " ".join(form.errors["name"])
    assert 'id="id_name"' in response.content.decode()
    assert "already exists" in response.content.decode()
    assert ResourceGroup.objects.count() == 1


@pytest.mark.parametrize("name", ["bad name!", "x" * 200, "", "rg/../etc", "rg\x00nul"])
def test_bad_names_are_field_errors(owner_client, subscription, region, name):
    response = owner_client.post(
        reverse("portal:resource_group_create"),
        {"subscription": str(subscription.pk), "name": name, "region": region.pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ResourceGroup.objects.exists()


def test_missing_subscription_and_region_are_field_errors(owner_client):
    response = owner_client.post(reverse("portal:resource_group_create"), {"name": "rg-ok"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "subscription" in errors and "region" in errors
    assert not ResourceGroup.objects.exists()


# ---- Resource group list ---------------------------------------------------------------------


def test_resource_group_list_filters_and_sorts(owner_client, subscription, region):
    west = factories.AzureRegionFactory(name="westus", display_name="West US")
    factories.ResourceGroupFactory(subscription=subscription, name="alpha", region=west)
    factories.ResourceGroupFactory(subscription=subscription, name="beta", region=region)
    factories.ResourceGroupFactory(subscription=subscription, name="gamma", region=west)
    url = reverse("portal:resource_group_list")

    body = owner_client.get(url, {"q": "ET"}).content.decode()
    assert "beta" in body and "alpha" not in body and "gamma" not in body

    names = [g.name for g in owner_client.get(url, {"sort": "-name"}).context["page_obj"]]
    assert names == ["gamma", "beta", "alpha"]
    names = [g.name for g in owner_client.get(url, {"sort": "location"}).context["page_obj"]]
    assert names == ["beta", "alpha", "gamma"]
    # A malformed sort falls back to the default rather than failing.
    assert owner_client.get(url, {"sort": "password"}).status_code == 200


def test_resource_group_list_paginates_by_50(owner_client, subscription, region):
    for i in range(55):
        factories.ResourceGroupFactory(subscription=subscription, name=f"rg-{i:03}", region=region)
    url = reverse("portal:resource_group_list")
    first = owner_client.get(url)
    assert len(first.context["page_obj"]) == 50
    second = owner_client.get(url, {"page": 2})
    assert len(second.context["page_obj"]) == 5
    assert owner_client.get(url, {"page": "zzz"}).status_code == 200


def test_resource_group_list_htmx_returns_fragment(owner_client, group):
    response = owner_client.get(reverse("portal:resource_group_list"), {"q": "rg"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'class="sidenav"' not in body
    assert 'id="rg-results"' in body and "rg-contoso" in body
    assert "HX-Request" in response["Vary"]


def test_resource_group_list_full_page_works_without_js(owner_client, group):
    body = owner_client.get(reverse("portal:resource_group_list")).content.decode()
    assert "<html" in body
    assert 'method="get"' in body and 'id="rg-results"' in body


def test_resource_group_list_query_count_is_constant(owner_client, subscription, region):
    def add(n, start):
        for i in range(start, start + n):
            group = factories.ResourceGroupFactory(
                subscription=subscription, name=f"rg-{i:03}", region=region
            )
            factories.PeeringFactory(subscription=subscription, resource_group=group)

    url = reverse("portal:resource_group_list")
    add(3, 0)
    few = count_queries(owner_client, url)
    add(57, 3)
    many = count_queries(owner_client, url)
    assert few == many


# ---- Activity log ----------------------------------------------------------------------------


def test_activity_log_filters(owner_client, subscription):
    factories.ActivityLogFactory(subscription=subscription, operation_display="Associate Peer ASN")
    factories.ActivityLogFactory(
        subscription=subscription,
        operation_display="Create peering",
        status=ActivityStatus.FAILED,
        resource_id="/subscriptions/x/resourceGroups/rg-b/providers/Microsoft.Peering/peerings/p",
    )
    old = factories.ActivityLogFactory(subscription=subscription, operation_display="Ancient op")
    ActivityLog.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=10))
    url = reverse("portal:activity_log")

    body = owner_client.get(url).content.decode()
    assert "Associate Peer ASN" in body and "Create peering" in body
    assert "Ancient op" not in body  # default timespan is the last 7 days

    assert "Ancient op" in owner_client.get(url, {"timespan": "30d"}).content.decode()
    body = owner_client.get(url, {"status": "Failed"}).content.decode()
    assert "Create peering" in body and "Associate Peer ASN" not in body
    body = owner_client.get(url, {"operation": "peer asn"}).content.decode()
    assert "Associate Peer ASN" in body and "Create peering" not in body
    body = owner_client.get(url, {"resource": "rg-b"}).content.decode()
    assert "Create peering" in body and "Associate Peer ASN" not in body
    # Malformed filters are ignored, not a server error.
    assert owner_client.get(url, {"timespan": "99y", "status": "Nope"}).status_code == 200


def test_activity_log_shows_relative_and_absolute_time(owner_client, subscription):
    entry = factories.ActivityLogFactory(subscription=subscription, caller="owner")
    body = owner_client.get(reverse("portal:activity_log")).content.decode()
    assert f'datetime="{entry.timestamp.isoformat()}"' in body
    assert "ago" in body or "now" in body
    assert entry.resource_id in body


def test_activity_log_htmx_returns_fragment(owner_client, subscription):
    factories.ActivityLogFactory(subscription=subscription)
    response = owner_client.get(reverse("portal:activity_log"), {"status": "Succeeded"}, **HTMX)
    body = response.content.decode()
    assert "<html" not in body and 'id="activity-results"' in body


def test_activity_log_query_count_is_constant(owner_client, subscription):
    url = reverse("portal:activity_log")
    factories.ActivityLogFactory.create_batch(3, subscription=subscription)
    few = count_queries(owner_client, url)
    factories.ActivityLogFactory.create_batch(57, subscription=subscription)
    many = count_queries(owner_client, url)
    assert few == many


# ---- Home ------------------------------------------------------------------------------------


def test_home_lists_subscriptions_roles_and_recent_resources(client, reader, subscription):
    peer_asn = factories.PeerAsnFactory(subscription=subscription, name="contoso-asn")
    peering = factories.PeeringFactory(subscription=subscription, name="contoso-peering")
    client.force_login(reader)
    body = client.get(reverse("portal:home")).content.decode()
    assert "Contoso IX" in body and str(subscription.pk) in body and "Reader" in body
    assert reverse("peering:peer_asn_detail", args=[subscription.pk, peer_asn.name]) in body
    assert (
        reverse(
            "peering:peering_detail",
            args=[subscription.pk, peering.resource_group.name, peering.name],
        )
        in body
    )
    # A Reader cannot associate a Peer ASN (403): Home does not offer it (issue 12 item 7).
    assert reverse("peering:peer_asn_create") not in body
    assert reverse("peering:peer_asn_list") in body
    assert reverse("peering:peering_list") in body


def test_home_shows_only_ten_recent_resources(owner_client, subscription):
    factories.PeerAsnFactory.create_batch(8, subscription=subscription)
    factories.PeeringFactory.create_batch(8, subscription=subscription)
    assert len(owner_client.get(reverse("portal:home")).context["recent_resources"]) == 10


def test_home_htmx_returns_fragment(owner_client):
    body = owner_client.get(reverse("portal:home"), **HTMX).content.decode()
    assert "<html" not in body and "Subscriptions" in body


def test_home_query_count_is_constant(client, owner, subscription):
    client.force_login(owner)
    url = reverse("portal:home")

    def add(n):
        for _ in range(n):
            extra = factories.SubscriptionFactory()
            factories.RoleAssignmentFactory(user=owner, subscription=extra, role=Role.READER)
        factories.PeerAsnFactory.create_batch(n, subscription=subscription)
        factories.PeeringFactory.create_batch(n, subscription=subscription)

    add(3)
    few = count_queries(client, url)
    add(57)
    many = count_queries(client, url)
    assert few == many


# ---- Notifications ---------------------------------------------------------------------------


def test_notifications_list_newest_first_and_only_mine(owner_client, owner, outsider):
    older = factories.NotificationFactory(user=owner, title="Older")
    newer = factories.NotificationFactory(user=owner, title="Newer")
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))
    factories.NotificationFactory(user=outsider, title="Not yours")
    response = owner_client.get(reverse("portal:notifications"))
    titles = [n.title for n in response.context["page_obj"]]
    assert titles == [newer.title, older.title]
    assert "Not yours" not in response.content.decode()


def test_notifications_paginate_by_25(owner_client, owner):
    factories.NotificationFactory.create_batch(30, user=owner)
    response = owner_client.get(reverse("portal:notifications"))
    assert len(response.context["page_obj"]) == 25


def test_notifications_mark_one_then_all(owner_client, owner, outsider):
    one, two = factories.NotificationFactory.create_batch(2, user=owner)
    theirs = factories.NotificationFactory(user=outsider)
    url = reverse("portal:notifications")

    response = owner_client.post(url, {"id": one.pk, "next": url})
    assert response.status_code == 302 and response["Location"] == url
    one.refresh_from_db(), two.refresh_from_db()
    assert one.read_at is not None and two.read_at is None

    # Someone else's id is simply not theirs to mark.
    owner_client.post(url, {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None

    owner_client.post(url)
    two.refresh_from_db()
    assert two.read_at is not None
    for junk in ["abc", "²", "9" * 40, "-1"]:
        assert owner_client.post(url, {"id": junk}).status_code == 400


def test_notifications_htmx_post_returns_fragment_with_badge(owner_client, owner):
    factories.NotificationFactory.create_batch(2, user=owner)
    response = owner_client.post(reverse("portal:notifications"), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="notifications-results"' in body
    assert 'hx-swap-oob="true"' in body and 'data-testid="unread-count"' not in body


def test_unread_badge_in_top_bar(owner_client, owner):
    factories.NotificationFactory.create_batch(3, user=owner)
    body = owner_client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="unread-count">3<' in body


def test_notification_links_stay_on_site(owner_client, owner):
    factories.NotificationFactory(user=owner, title="Evil", link="javascript:alert(1)")
    factories.NotificationFactory(user=owner, title="Good", link="/peer-asns/")
    body = owner_client.get(reverse("portal:notifications")).content.decode()
    assert "javascript:alert" not in body
    assert 'href="/peer-asns/"' in body


# ---- Sign-in, password change, error pages ---------------------------------------------------


def test_login_page_has_no_shell(client):
    response = client.get(reverse("login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Sign in" in body and 'class="sidenav"' not in body and 'class="topbar"' not in body


def test_login_with_wrong_password_shows_error(client, owner):
    response = client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()


def test_login_then_home(client, owner):
    response = client.post(
        reverse("login"), {"username": "owner", "password": factories.PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("portal:home")


def test_password_change_pages(owner_client):
    assert owner_client.get(reverse("password_change")).status_code == 200
    assert owner_client.get(reverse("password_change_done")).status_code == 200


def test_404_page_uses_portal_template(owner_client, subscription):
    url = reverse("portal:resource_group_detail", args=[subscription.pk, "missing"])
    response = owner_client.get(url)
    assert response.status_code == 404
    assert "Resource not found" in response.content.decode()


def test_403_page_uses_portal_template(reader_client):
    response = reader_client.get(reverse("portal:resource_group_create"))
    assert response.status_code == 403
    assert "You do not have permission" in response.content.decode()


def test_no_inline_styles_or_scripts(owner_client, group):
    for url in [
        reverse("portal:home"),
        reverse("portal:resource_group_list"),
        reverse("portal:resource_group_create"),
        rg_url(group),
        reverse("portal:activity_log"),
        reverse("portal:notifications"),
    ]:
        body = owner_client.get(url).content.decode()
        assert "style=" not in body and "<style" not in body
        assert "onclick=" not in body and "onchange=" not in body
        for chunk in body.split("<script")[1:]:
            assert "nonce=" in chunk.split(">", 1)[0]

"""Views of the peering blades: the tenancy matrix, the Associate form's error paths, and the
query budgets of the lists."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peering.enums import ConnectionState, ContactRole, Kind, SessionState, ValidationState
from peering.models import PeerAsn, PeerContact
from portal.models import Role
from portal.selectors import SESSION_SUBSCRIPTION_KEY
from tests import factories

CREATE_URL = reverse("peering:peer_asn_create")
LIST_URL = reverse("peering:peer_asn_list")
PEERING_LIST_URL = reverse("peering:peering_list")
CONTACT_ROW_URL = reverse("peering:peer_asn_contact_row")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def peer_asn(subscription):
    record = factories.PeerAsnFactory(
        subscription=subscription, name="contoso-asn", peer_asn=64500 + 1000, peer_name="Contoso"
    )
    factories.PeerContactFactory(peer_asn=record, email="noc@contoso.example")
    return record


@pytest.fixture
def peering(subscription, peer_asn):
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-peering")
    record = factories.PeeringFactory(
        subscription=subscription, resource_group=group, name="seattle-ix", peer_asn=peer_asn
    )
    factories.PeeringConnectionFactory(peering=record, connection_state=ConnectionState.ACTIVE)
    return record


def detail_url(record) -> str:
    return reverse("peering:peer_asn_detail", args=[record.subscription_id, record.name])


def delete_url(record) -> str:
    return reverse("peering:peer_asn_delete", args=[record.subscription_id, record.name])


def peering_url(record, group: str | None = None) -> str:
    return reverse(
        "peering:peering_detail",
        args=[record.subscription_id, group or record.resource_group.name, record.name],
    )


def form_data(subscription, **overrides) -> dict:
    data = {
        "name": "contoso-asn-1",
        "subscription": str(subscription.pk),
        "peer_name": "Contoso Networks",
        "peer_asn": "8100",
        "contact_index": ["0"],
        "contact-0-role": ContactRole.NOC,
        "contact-0-email": "noc@contoso.example",
        "contact-0-phone": "+1 206 555 0100",
    }
    data.update(overrides)
    return data


def html(response) -> str:
    return response.content.decode()


# --- tenancy matrix -------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_everywhere(client, peer_asn, peering):
    urls = [
        LIST_URL,
        CREATE_URL,
        CONTACT_ROW_URL,
        detail_url(peer_asn),
        delete_url(peer_asn),
        PEERING_LIST_URL,
        peering_url(peering),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    response = client.post(delete_url(peer_asn))
    assert response.status_code == 302
    assert PeerAsn.objects.filter(pk=peer_asn.pk).exists()


@pytest.mark.django_db
def test_outsider_gets_404_for_another_tenants_objects(client, outsider, peer_asn, peering):
    client.force_login(outsider)
    for url in (detail_url(peer_asn), delete_url(peer_asn), peering_url(peering)):
        assert client.get(url).status_code == 404, url
    assert client.post(delete_url(peer_asn)).status_code == 404
    assert PeerAsn.objects.filter(pk=peer_asn.pk).exists()


@pytest.mark.django_db
def test_outsider_lists_show_nothing_of_another_tenant(client, outsider, peer_asn, peering):
    client.force_login(outsider)
    assert peer_asn.name not in html(client.get(LIST_URL))
    assert peering.name not in html(client.get(PEERING_LIST_URL))


@pytest.mark.django_db
def test_outsider_cannot_create_in_a_foreign_subscription(client, outsider, subscription):
    client.force_login(outsider)
    response = client.post(CREATE_URL, form_data(subscription))
    assert response.status_code in (200, 404)
    assert not PeerAsn.objects.filter(name="contoso-asn-1").exists()
    if response.status_code == 200:
        # Refused as an unknown choice: the subscription's name is never shown.
        assert subscription.display_name not in html(response)
        assert "Select one of your subscriptions" in html(response)


@pytest.mark.django_db
def test_unknown_uuid_or_wrong_resource_group_is_404(client, owner, peer_asn, peering):
    client.force_login(owner)
    unknown = "00000000-0000-0000-0000-000000000000"
    url = reverse("peering:peer_asn_detail", args=[unknown, peer_asn.name])
    assert client.get(url).status_code == 404
    assert client.get(peering_url(peering, group="other-rg")).status_code == 404
    missing = reverse("peering:peer_asn_detail", args=[peer_asn.subscription_id, "nope"])
    assert client.get(missing).status_code == 404


@pytest.mark.django_db
def test_reader_is_refused_every_write(client, reader, subscription, peer_asn):
    client.force_login(reader)
    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, form_data(subscription)).status_code == 403
    assert client.get(CONTACT_ROW_URL).status_code == 403
    assert client.get(delete_url(peer_asn)).status_code == 403
    assert client.post(delete_url(peer_asn)).status_code == 403
    assert PeerAsn.objects.filter(pk=peer_asn.pk).exists()
    assert not PeerAsn.objects.filter(name="contoso-asn-1").exists()


@pytest.mark.django_db
def test_reader_sees_no_write_buttons(client, reader, peer_asn):
    client.force_login(reader)
    listing = html(client.get(LIST_URL))
    assert peer_asn.name in listing
    assert 'data-testid="associate-peer-asn"' not in listing
    assert "Associate a Peer ASN" not in listing
    assert CREATE_URL not in listing
    detail = client.get(detail_url(peer_asn))
    assert detail.status_code == 200
    assert delete_url(peer_asn) not in html(detail)
    assert 'data-testid="delete-peer-asn"' not in html(detail)


@pytest.mark.django_db
def test_owner_sees_write_buttons(client, owner, peer_asn):
    client.force_login(owner)
    listing = html(client.get(LIST_URL))
    assert 'data-testid="associate-peer-asn"' in listing
    assert f'href="{CREATE_URL}"' in listing
    assert delete_url(peer_asn) in html(client.get(detail_url(peer_asn)))


@pytest.mark.django_db
def test_reader_of_one_subscription_posting_to_it_is_403(client, owner, other_subscription):
    factories.RoleAssignmentFactory(user=owner, subscription=other_subscription, role=Role.READER)
    client.force_login(owner)
    response = client.post(CREATE_URL, form_data(other_subscription))
    assert response.status_code == 403
    assert not PeerAsn.objects.exists()


# --- Associate a Peer ASN ------------------------------------------------------------------


@pytest.mark.django_db
def test_create_form_starts_with_one_noc_row_and_preselects_current(
    client, owner, subscription, other_subscription
):
    factories.RoleAssignmentFactory(user=owner, subscription=other_subscription, role=Role.OWNER)
    client.force_login(owner)
    session = client.session
    session[SESSION_SUBSCRIPTION_KEY] = str(other_subscription.pk)
    session.save()
    response = client.get(CREATE_URL)
    page = html(response)
    assert response.status_code == 200
    for section in ("Project details", "Instance details", "Contact"):
        assert section in page
    assert page.count('data-testid="contact-row"') == 1
    assert '<option value="Noc" selected>NOC</option>' in page
    assert f'<option value="{other_subscription.pk}" selected>' in page


@pytest.mark.django_db
def test_associate_happy_path(client, owner, subscription):
    client.force_login(owner)
    data = form_data(subscription, contact_index=["0", "3"])
    data.update(
        {
            "contact-3-role": ContactRole.POLICY,
            "contact-3-email": "policy@contoso.example",
            "contact-3-phone": "",
        }
    )
    response = client.post(CREATE_URL, data, follow=True)
    record = PeerAsn.objects.get(name="contoso-asn-1")
    assert record.validation_state == ValidationState.PENDING
    assert record.peer_asn == 8100
    assert record.created_by == owner
    assert list(record.contacts.values_list("role", "email")) == [
        ("Noc", "noc@contoso.example"),
        ("Policy", "policy@contoso.example"),
    ]
    assert response.redirect_chain[-1][0] == detail_url(record)
    page = html(response)
    assert "Peer ASN association submitted. Microsoft validates it, usually within 12 hours." in (
        page
    )
    assert "Microsoft is validating this ASN; usually within 12 hours" in page


def assert_redisplayed(response, *values):
    assert response.status_code == 200
    page = html(response)
    for value in values:
        assert value in page, value
    assert "Validation failed" in page


@pytest.mark.django_db
def test_private_asn_names_the_rfc_and_keeps_values(client, owner, subscription):
    client.force_login(owner)
    response = client.post(CREATE_URL, form_data(subscription, peer_asn="64512"))
    assert_redisplayed(
        response, "RFC 6996", 'value="64512"', 'value="contoso-asn-1"', "noc@contoso.example"
    )
    assert 'value="Contoso Networks"' in html(response)
    assert not PeerAsn.objects.exists()


@pytest.mark.django_db
def test_duplicate_name_is_a_field_error(client, owner, subscription, peer_asn):
    client.force_login(owner)
    response = client.post(CREATE_URL, form_data(subscription, name="CONTOSO-ASN"))
    assert_redisplayed(response, "already exists", 'value="CONTOSO-ASN"', 'value="8100"')
    assert PeerAsn.objects.count() == 1


@pytest.mark.django_db
def test_no_noc_contact_shows_above_the_grid(client, owner, subscription):
    client.force_login(owner)
    data = form_data(subscription, **{"contact-0-role": ContactRole.TECHNICAL})
    response = client.post(CREATE_URL, data)
    assert_redisplayed(
        response, "Add a NOC contact", 'data-testid="contact-errors"', "noc@contoso.example"
    )
    assert '<option value="Technical" selected>' in html(response)
    assert not PeerAsn.objects.exists()


@pytest.mark.django_db
def test_bad_email_lands_on_its_row(client, owner, subscription):
    client.force_login(owner)
    data = form_data(subscription, contact_index=["0", "1"])
    data.update({"contact-1-role": "Policy", "contact-1-email": "not-an-email"})
    response = client.post(CREATE_URL, data)
    assert_redisplayed(response, "Enter a valid email address", 'value="not-an-email"')
    page = html(response)
    assert 'name="contact-1-email"' in page
    assert 'aria-invalid="true"' in page
    assert not PeerAsn.objects.exists()


@pytest.mark.django_db
def test_personal_noc_mailbox_is_refused(client, owner, subscription):
    client.force_login(owner)
    data = form_data(subscription, **{"contact-0-email": "noc@gmail.com"})
    response = client.post(CREATE_URL, data)
    assert_redisplayed(response, "personal mailboxes", 'value="noc@gmail.com"')


@pytest.mark.django_db
def test_add_contact_without_javascript_keeps_everything(client, owner, subscription):
    client.force_login(owner)
    data = form_data(subscription, peer_asn="64512", add_contact="1")
    response = client.post(CREATE_URL, data)
    page = html(response)
    assert response.status_code == 200
    assert page.count('data-testid="contact-row"') == 2
    for value in ('value="contoso-asn-1"', 'value="64512"', "noc@contoso.example"):
        assert value in page
    assert "RFC 6996" not in page  # nothing judged yet
    assert 'name="contact-1-email"' in page
    assert not PeerAsn.objects.exists()


@pytest.mark.django_db
def test_remove_contact_without_javascript(client, owner, subscription):
    client.force_login(owner)
    data = form_data(subscription, contact_index=["0", "1"], remove_contact="0")
    data.update({"contact-1-role": "Policy", "contact-1-email": "policy@contoso.example"})
    response = client.post(CREATE_URL, data)
    page = html(response)
    assert response.status_code == 200
    assert page.count('data-testid="contact-row"') == 1
    assert "policy@contoso.example" in page
    assert "noc@contoso.example" not in page
    assert 'value="contoso-asn-1"' in page


@pytest.mark.django_db
def test_htmx_add_contact_returns_the_next_row(client, owner):
    client.force_login(owner)
    response = client.get(CONTACT_ROW_URL, {"contact_index": ["0", "4"]}, **HTMX)
    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert page.count('data-testid="contact-row"') == 1
    assert 'name="contact-5-email"' in page
    assert 'value="5"' in page


@pytest.mark.django_db
def test_htmx_add_contact_stops_at_the_limit(client, owner):
    client.force_login(owner)
    response = client.get(CONTACT_ROW_URL, {"contact_index": [str(i) for i in range(10)]}, **HTMX)
    assert "at most 10 contacts" in html(response)
    assert 'data-testid="contact-row"' not in html(response)


@pytest.mark.django_db
def test_htmx_remove_contact_returns_the_grid(client, owner, subscription):
    client.force_login(owner)
    data = form_data(subscription, contact_index=["0", "1"], remove_contact="1")
    data.update({"contact-1-email": "gone@contoso.example"})
    response = client.post(CREATE_URL, data, **HTMX)
    page = html(response)
    assert "<html" not in page
    assert 'id="contact-grid"' in page
    assert "gone@contoso.example" not in page
    assert "noc@contoso.example" in page


HOSTILE = [
    "x" * 10_000,
    "bad\x00name",
    "<script>alert(1)</script>",
    "名前-😀",
    "'; DROP TABLE peering_peerasn; --",
]


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "field", ["name", "peer_name", "peer_asn", "contact-0-email", "contact-0-phone"]
)
def test_hostile_input_gives_field_errors_not_500(client, owner, subscription, field, value):
    client.force_login(owner)
    response = client.post(CREATE_URL, form_data(subscription, **{field: value}))
    assert response.status_code == 200
    page = html(response)
    assert "Validation failed" in page
    assert "<script>alert(1)</script>" not in page
    assert not PeerAsn.objects.exists()
    assert not PeerContact.objects.exists()


@pytest.mark.django_db
def test_html_is_escaped_when_redisplayed(client, owner, subscription):
    client.force_login(owner)
    response = client.post(
        CREATE_URL, form_data(subscription, peer_name="<b>Contoso</b>", name="<i>x</i>")
    )
    page = html(response)
    assert "&lt;b&gt;Contoso&lt;/b&gt;" in page
    assert "<b>Contoso</b>" not in page
    assert "<i>x</i>" not in page


@pytest.mark.django_db
def test_forged_row_indices_are_bounded(client, owner, subscription):
    client.force_login(owner)
    data = form_data(subscription, contact_index=["0", "-1", "abc", "99999", "0"])
    response = client.post(CREATE_URL, data, follow=True)
    assert response.status_code == 200
    assert PeerAsn.objects.get().contacts.count() == 1


@pytest.mark.django_db
def test_user_without_any_role_cannot_open_the_form(client):
    user = factories.UserFactory(username="nobody")
    client.force_login(user)
    assert client.get(CREATE_URL).status_code == 403
    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert CREATE_URL not in html(listing)
    assert "No Peer ASNs to display" in html(listing)


# --- Peer ASN list ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_state_and_failure_message(client, owner, subscription):
    factories.PeerAsnFactory(
        subscription=subscription,
        name="failed-one",
        validation_state=ValidationState.FAILED,
        error_message="ASN not found in PeeringDB",
    )
    client.force_login(owner)
    page = html(client.get(LIST_URL))
    assert 'class="state state-failed"' in page
    assert "ASN not found in PeeringDB" in page


@pytest.mark.django_db
def test_list_filters_by_text_and_state(client, owner, subscription):
    factories.PeerAsnFactory(subscription=subscription, name="alpha", peer_asn=13335)
    factories.PeerAsnFactory(
        subscription=subscription,
        name="beta",
        peer_asn=15169,
        validation_state=ValidationState.APPROVED,
    )
    client.force_login(owner)
    page = html(client.get(LIST_URL, {"q": "AS13335"}))
    assert ">alpha<" in page and ">beta<" not in page
    page = html(client.get(LIST_URL, {"state": "Approved"}))
    assert ">beta<" in page and ">alpha<" not in page
    page = html(client.get(LIST_URL, {"q": "zzz"}))
    assert "No Peer ASNs match these filters" in page
    # Nonsense filters are ignored with a message, never a 500.
    response = client.get(LIST_URL, {"q": "<x>" * 5000, "state": "Bogus", "sort": "1;--"})
    assert response.status_code == 200
    assert ">alpha<" in html(response) and "<x><x>" not in html(response)


@pytest.mark.django_db
def test_list_sorts(client, owner, subscription):
    factories.PeerAsnFactory(subscription=subscription, name="aaa", peer_asn=300)
    factories.PeerAsnFactory(subscription=subscription, name="zzz", peer_asn=100)
    client.force_login(owner)
    page = html(client.get(LIST_URL, {"sort": "asn"}))
    assert page.index(">zzz<") < page.index(">aaa<")
    page = html(client.get(LIST_URL, {"sort": "-name"}))
    assert page.index(">zzz<") < page.index(">aaa<")
    assert client.get(LIST_URL, {"sort": "password"}).status_code == 200


@pytest.mark.django_db
def test_list_honours_the_switcher(client, owner, subscription, other_subscription):
    factories.RoleAssignmentFactory(user=owner, subscription=other_subscription, role=Role.READER)
    factories.PeerAsnFactory(subscription=subscription, name="in-contoso")
    factories.PeerAsnFactory(subscription=other_subscription, name="in-northwind")
    client.force_login(owner)
    page = html(client.get(LIST_URL))
    assert "in-contoso" in page and "in-northwind" in page
    session = client.session
    session[SESSION_SUBSCRIPTION_KEY] = str(other_subscription.pk)
    session.save()
    page = html(client.get(LIST_URL))
    assert "in-northwind" in page and "in-contoso" not in page


@pytest.mark.django_db
def test_list_htmx_returns_only_the_results(client, owner, peer_asn):
    client.force_login(owner)
    response = client.get(LIST_URL, {"q": "contoso"}, **HTMX)
    page = html(response)
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="peer-asn-results"')
    assert peer_asn.name in page


@pytest.mark.django_db
def test_list_paginates_by_50(client, owner, subscription):
    factories.PeerAsnFactory.create_batch(51, subscription=subscription)
    client.force_login(owner)
    page = html(client.get(LIST_URL))
    assert "Showing 1 to 50 of 51 records" in page
    page = html(client.get(LIST_URL, {"page": "2"}))
    assert "Showing 51 to 51 of 51 records" in page
    assert client.get(LIST_URL, {"page": "x"}).status_code == 200


def count_queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_peer_asn_list_queries_do_not_grow_with_rows(client, owner, subscription):
    client.force_login(owner)
    for _ in range(3):
        record = factories.PeerAsnFactory(subscription=subscription)
        factories.PeerContactFactory(peer_asn=record)
    few = count_queries(client, LIST_URL)
    for _ in range(57):
        record = factories.PeerAsnFactory(subscription=subscription)
        factories.PeerContactFactory(peer_asn=record)
    many = count_queries(client, LIST_URL)
    assert few == many


@pytest.mark.django_db
def test_peering_list_queries_do_not_grow_with_rows(client, owner, subscription, peer_asn):
    client.force_login(owner)
    group = factories.ResourceGroupFactory(subscription=subscription, name="rg-1")

    def make(n):
        for _ in range(n):
            item = factories.PeeringFactory(
                subscription=subscription, resource_group=group, peer_asn=peer_asn
            )
            factories.PeeringConnectionFactory(peering=item)

    make(3)
    few = count_queries(client, PEERING_LIST_URL)
    make(57)
    many = count_queries(client, PEERING_LIST_URL)
    assert few == many


# --- Peer ASN Overview and Delete -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "meaning"),
    [
        (ValidationState.PENDING, "Microsoft is validating this ASN; usually within 12 hours"),
        (ValidationState.APPROVED, "You can request peerings with this ASN"),
        (ValidationState.FAILED, "Peer name does not match PeeringDB"),
    ],
)
def test_detail_explains_the_state(client, owner, peer_asn, state, meaning):
    peer_asn.validation_state = state
    peer_asn.error_message = "Peer name does not match PeeringDB" if state == "Failed" else ""
    peer_asn.save()
    client.force_login(owner)
    page = html(client.get(detail_url(peer_asn)))
    assert meaning in page
    assert f"state-{state.lower()}" in page
    assert f'data-copy="{peer_asn.resource_id}"' in page
    assert "noc@contoso.example" in page


@pytest.mark.django_db
def test_detail_lists_the_peerings_that_use_it(client, owner, peer_asn, peering):
    client.force_login(owner)
    page = html(client.get(detail_url(peer_asn)))
    assert peering_url(peering) in page


@pytest.mark.django_db
def test_delete_asks_for_confirmation_then_deletes(client, owner, peer_asn):
    client.force_login(owner)
    confirm = client.get(delete_url(peer_asn))
    assert confirm.status_code == 200
    assert "Do you want to delete" in html(confirm)
    assert PeerAsn.objects.filter(pk=peer_asn.pk).exists()
    response = client.post(delete_url(peer_asn), follow=True)
    assert response.redirect_chain[-1][0] == LIST_URL
    assert "was deleted" in html(response)
    assert not PeerAsn.objects.filter(pk=peer_asn.pk).exists()


@pytest.mark.django_db
def test_delete_refused_while_a_peering_uses_it(client, owner, peer_asn, peering):
    client.force_login(owner)
    response = client.post(delete_url(peer_asn), follow=True)
    assert response.redirect_chain[-1][0] == detail_url(peer_asn)
    page = html(response)
    assert "cannot be deleted" in page
    assert "alert-danger" in page
    assert PeerAsn.objects.filter(pk=peer_asn.pk).exists()


# --- Peerings ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_peering_list_summarises_connection_states(client, owner, peering):
    factories.PeeringConnectionFactory(peering=peering, connection_state=ConnectionState.ACTIVE)
    factories.PeeringConnectionFactory(
        peering=peering, connection_state=ConnectionState.PENDING_APPROVAL
    )
    client.force_login(owner)
    page = html(client.get(PEERING_LIST_URL))
    assert "2 Active, 1 PendingApproval" in page
    assert peering_url(peering) in page


@pytest.fixture
def exchange_in_other_group(subscription, peering):
    """Beside `peering` (Direct, in its group): "exchange-one", an Exchange peering of the
    same Peer ASN in the group "rg-other"."""
    other_group = factories.ResourceGroupFactory(subscription=subscription, name="rg-other")
    return factories.PeeringFactory(
        subscription=subscription,
        resource_group=other_group,
        name="exchange-one",
        kind=Kind.EXCHANGE,
        peer_asn=peering.peer_asn,
    )


@pytest.mark.django_db
def test_peering_list_filters(client, owner, exchange_in_other_group):
    client.force_login(owner)
    page = html(client.get(PEERING_LIST_URL, {"resource_group": "rg-other"}))
    assert "exchange-one" in page and ">seattle-ix<" not in page
    page = html(client.get(PEERING_LIST_URL, {"kind": "Direct"}))
    assert ">seattle-ix<" in page and "exchange-one" not in page
    response = client.get(PEERING_LIST_URL, {"kind": "Direct"}, **HTMX)
    assert "<html" not in html(response)
    assert client.get(PEERING_LIST_URL, {"resource_group": "x" * 5000}).status_code == 200


@pytest.mark.django_db
def test_peering_list_fragment_filters_by_resource_group_as_the_page_does(
    client, owner, exchange_in_other_group
):
    """A results fragment reads the resource groups only to check a chosen one: the choice
    still filters, a group that is not one of the user's is still ignored, and without the
    filter the fragment costs one query less than the page (no filter bar)."""
    client.force_login(owner)
    page = html(client.get(PEERING_LIST_URL, {"resource_group": "rg-other"}, **HTMX))
    assert "<html" not in page
    assert "exchange-one" in page and ">seattle-ix<" not in page
    # A peering without connections: none counted, no states.
    assert '<td class="num">0</td>' in page
    assert '<td data-testid="connection-states">—</td>' in page
    page = html(client.get(PEERING_LIST_URL, {"resource_group": "rg-nope"}, **HTMX))
    assert "exchange-one" in page and ">seattle-ix<" in page
    page = html(client.get(PEERING_LIST_URL, {"sort": "-name"}, **HTMX))
    assert page.index(">seattle-ix<") < page.index(">exchange-one<")
    assert count_queries(client, PEERING_LIST_URL) == 1 + count_queries(
        client, PEERING_LIST_URL, **HTMX
    )


@pytest.mark.django_db
def test_peering_list_names_each_rows_subscription_and_no_other_tenants(
    client, owner, subscription, peering
):
    """Across all of the user's subscriptions each row names its own; another tenant's
    peerings are not listed."""
    second = factories.SubscriptionFactory(display_name="Second <sub>")
    factories.RoleAssignmentFactory(user=owner, subscription=second, role=Role.READER)
    group = factories.ResourceGroupFactory(subscription=second, name="rg-second")
    asn = factories.PeerAsnFactory(subscription=second)
    factories.PeeringFactory(subscription=second, resource_group=group, peer_asn=asn, name="p-2")
    stranger = factories.SubscriptionFactory(display_name="Stranger")
    factories.PeeringFactory(
        subscription=stranger,
        resource_group=factories.ResourceGroupFactory(subscription=stranger, name="rg-x"),
        peer_asn=factories.PeerAsnFactory(subscription=stranger),
        name="not-yours",
    )
    client.force_login(owner)
    page = html(client.get(PEERING_LIST_URL))
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    by_name = {name: row for row in rows for name in (">seattle-ix<", ">p-2<") if name in row}
    assert f"<td>{subscription.display_name}</td>" in by_name[">seattle-ix<"]
    assert "<td>Second &lt;sub&gt;</td>" in by_name[">p-2<"]
    assert "not-yours" not in page and "Stranger" not in page


@pytest.mark.django_db
def test_peering_list_empty_state(client, owner):
    client.force_login(owner)
    assert "No peerings to display" in html(client.get(PEERING_LIST_URL))


@pytest.mark.django_db
def test_peering_detail_shows_essentials_and_connections(client, reader, peering):
    connection_row = peering.connections.get()
    connection_row.session_state_v4 = SessionState.ESTABLISHED
    connection_row.save()
    client.force_login(reader)
    response = client.get(peering_url(peering))
    page = html(response)
    assert response.status_code == 200
    for text in (
        "rg-peering",
        "East US",
        "Premium_Direct_Free",
        "IxRs",
        peering.peering_location.name,
        f"AS{peering.peer_asn.peer_asn}",
        "state-established",
        "state-active",
        "192.0.2.10",
        "192.0.2.20",
        "10 Gbps",  # issue 12: Gbps everywhere
        connection_row.facility_name,
        f'data-copy="{peering.resource_id}"',
    ):
        assert text in page, text
    # Case-insensitive names resolve, like ARM.
    upper = reverse(
        "peering:peering_detail",
        args=[peering.subscription_id, "RG-PEERING", "SEATTLE-IX"],
    )
    assert client.get(upper).status_code == 200


# --- emails -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_email_templates_start_with_the_subject(peer_asn):
    approved = render_to_string(
        "peering/email/peer_asn_approved.txt", {"peer_asn": peer_asn, "reason": ""}
    ).strip()
    subject, _, body = approved.partition("\n")
    assert f"AS{peer_asn.peer_asn}" in subject and "Approved" in subject
    assert '"Contoso IX"' in body and "create peerings" in body
    failed = render_to_string(
        "peering/email/peer_asn_failed.txt",
        {"peer_asn": peer_asn, "reason": "Peer name <differs> from PeeringDB"},
    ).strip()
    subject, _, body = failed.partition("\n")
    assert "could not be validated" in subject
    assert "Peer name <differs> from PeeringDB" in body
    assert "peering@microsoft.com" in body and "associate the ASN again" in body

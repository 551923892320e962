"""Peering Service in the operators' admin: received routes uploaded on a connection (through
`peering.services.routes`: nothing imported if any line is wrong), registered ASNs and prefixes,
Peering Services and their prefixes (read-only, keys never listed), re-validation queued through
the validation tasks, and the wrong-key throttle lifted by deleting attempts."""

import json
from unittest import mock

import pytest
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from peering.models import (
    PeeringServiceProvider,
    PrefixEvent,
    PrefixKeyAttempt,
    PrefixValidationState,
    ReceivedRoute,
)
from peering.services.peering_services import _key_throttled
from portal.models import ActivityLog
from tests import factories
from tests.factories import CUSTOMER_ASN, CUSTOMER_PREFIX, PROVIDER_ASN

V = PrefixValidationState
CONNECTIONS = "admin:peering_peeringconnection_changelist"
IMPORT_OPERATION = "Microsoft.Peering/peerings/receivedRoutes/write"
FINAL_STATES = {V.VERIFIED, V.FAILED, V.INVALID, V.WARNING, V.UNKNOWN}


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def world(db):
    """Contoso IX (route server) with no routes loaded yet, and Fabrikam's Peering Service
    prefix (Seattle primary, Ashburn backup) redeemed with the registered ASN's key."""
    world = factories.provider_world(announce=False)
    world.prefix = factories.PeeringServicePrefixFactory(
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        peering_service__backup_location="Ashburn",
        peering_service__name="fabrikam-ps",
        name="fabrikam-office",
        prefix=CUSTOMER_PREFIX,
        prefix_key=str(world.registered.prefix_key),
        registered_asn=world.registered,
    )
    return world


def route_line(prefix=CUSTOMER_PREFIX, origin=CUSTOMER_ASN, **fields) -> str:
    route = {
        "prefix": prefix,
        "next_hop": "206.81.199.10",
        "as_path": f"{PROVIDER_ASN} {origin}",
        "communities": ["8075:8007"],
        **fields,
    }
    return json.dumps(route)


def routes_file(*lines: str, name="routes.jsonl") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join(lines).encode(), content_type="application/jsonl")


def upload(client, connection, **data):
    """Post the upload action from the connections list (post=yes: the form was filled)."""
    payload = {
        "action": "upload_received_routes",
        "_selected_action": [connection.pk],
        "post": "yes",
        **data,
    }
    return client.post(reverse(CONNECTIONS), payload)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def prefixes_of(connection) -> list[str]:
    return sorted(connection.received_routes.values_list("prefix", flat=True))


# --- Upload received routes ---------------------------------------------------------------


def test_upload_page_is_a_multipart_form_with_csrf(admin_client, world):
    connection = world.primary_connections[0]
    response = admin_client.post(
        reverse(CONNECTIONS),
        {"action": "upload_received_routes", "_selected_action": [connection.pk]},
    )
    assert response.status_code == 200
    html = response.text
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'type="file" name="file"' in html
    assert '<textarea name="text"' in html
    assert 'type="checkbox" name="strict"' in html
    assert 'name="action" value="upload_received_routes"' in html
    assert str(connection.connection_identifier) in html
    assert "<script" not in html.split('id="content-main"')[1].split("</form>")[0]
    assert not ReceivedRoute.objects.exists()


def test_upload_replaces_the_connections_routes(
    admin_client, world, operator, django_capture_on_commit_callbacks
):
    connection, other = world.primary_connections
    factories.ReceivedRouteFactory(connection=connection, prefix="45.60.99.0/24")
    factories.ReceivedRouteFactory(connection=other, prefix="45.60.98.0/24")

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            admin_client,
            connection,
            file=routes_file(
                "# Contoso IX, Seattle, 2025-03-01",
                route_line(),
                route_line("45.60.11.0/24", rpki_validation_state="NotFound"),
            ),
        )

    assert response.status_code == 302
    assert prefixes_of(connection) == [CUSTOMER_PREFIX, "45.60.11.0/24"]
    assert prefixes_of(other) == ["45.60.98.0/24"]  # another connection's set is untouched
    [(level, text)] = messages_of(response)
    assert level == "success"
    assert text.startswith(_label(connection))
    assert "imported 2 routes: 2 announced, 1 withdrawn, 0 origin changes" in text
    assert "1 prefix event recorded, 1 Peering Service prefix queued" in text

    log = ActivityLog.objects.get(operation=IMPORT_OPERATION)
    assert log.user == operator and log.subscription == world.subscription
    assert "2 announced, 1 withdrawn" in log.message
    event = world.prefix.events.get()
    assert event.event_type == "PrefixAnnouncementEvent"
    # The customer's prefix was validated again once the import committed.
    world.prefix.refresh_from_db()
    assert world.prefix.validation_state in FINAL_STATES


def test_upload_from_the_connections_page_with_pasted_routes(admin_client, world):
    connection = world.primary_connections[0]
    url = reverse("admin:peering_peeringconnection_change", args=[connection.pk])
    html = admin_client.get(url).text
    assert 'value="upload_received_routes"' in html
    assert "None loaded." in html

    field = f"{ActionLocation.CHANGE_FORM.value}-action"
    data = {field: "upload_received_routes", "_selected_action": connection.pk}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert f'name="{field}" value="upload_received_routes"' in response.text

    response = admin_client.post(url, {**data, "post": "yes", "text": route_line()})
    assert response.status_code == 302
    assert response["Location"] == url
    assert prefixes_of(connection) == [CUSTOMER_PREFIX]
    html = admin_client.get(url).text
    assert "?connection__id__exact=" in html and "1 route</a>" in html


def test_lines_may_name_the_selected_connection(admin_client, world):
    connection = world.primary_connections[0]
    guid = str(connection.connection_identifier).upper()
    response = upload(
        admin_client,
        connection,
        text="\n".join([route_line(connection=guid), route_line("45.60.11.0/24")]),
    )
    assert response.status_code == 302
    assert prefixes_of(connection) == [CUSTOMER_PREFIX, "45.60.11.0/24"]


def test_bad_lines_are_rejected_one_by_one_and_the_rest_imported(admin_client, world):
    """The upload uses the line-by-line importer of `import_received_routes`."""
    connection = world.primary_connections[0]
    factories.ReceivedRouteFactory(connection=connection, prefix="45.60.99.0/24")
    response = upload(
        admin_client,
        connection,
        file=routes_file(
            route_line(),
            "{not json",
            route_line(next_hop="router-1"),
            route_line("45.60.11.0/24", communities=["70000:1"]),
            route_line("45.60.12.0/24"),
        ),
    )
    assert response.status_code == 302
    assert prefixes_of(connection) == [CUSTOMER_PREFIX, "45.60.12.0/24"]
    [(level, text), (warning_level, warning)] = messages_of(response)
    assert level == "success"
    assert "imported 2 routes: 2 announced, 1 withdrawn" in text
    assert warning_level == "warning"
    assert warning.startswith(f"{_label(connection)}: 3 lines rejected (the rest imported): ")
    assert "Line 2: not JSON" in warning
    assert "Line 3: next_hop is not an IP address." in warning
    assert "Line 4: communities must be a list" in warning
    log = ActivityLog.objects.get(operation=IMPORT_OPERATION)
    assert "3 line(s) rejected." in log.message


def test_bad_lines_are_shown_next_to_the_field_and_nothing_is_imported(admin_client, world):
    """All or nothing (strict), as `import_received_routes --strict`."""
    connection = world.primary_connections[0]
    factories.ReceivedRouteFactory(connection=connection, prefix="45.60.99.0/24")
    response = upload(
        admin_client,
        connection,
        file=routes_file(route_line(), "{not json", route_line(next_hop="router-1")),
        strict="on",
    )
    assert response.status_code == 200
    html = response.text
    assert "Line 2: not JSON" in html
    assert "Line 3: next_hop is not an IP address." in html
    assert 'class="form-row errors field-file"' in html
    assert prefixes_of(connection) == ["45.60.99.0/24"]
    assert not ActivityLog.objects.filter(operation=IMPORT_OPERATION).exists()
    assert not PrefixEvent.objects.exists()
    assert messages_of(response) == []


def test_lines_naming_another_connection_are_refused(admin_client, world):
    connection, other = world.primary_connections
    response = upload(
        admin_client,
        connection,
        text="\n".join([route_line(), route_line(connection=str(other.connection_identifier))]),
    )
    assert response.status_code == 200
    assert "Lines name other connections" in response.text
    assert 'class="form-row errors field-text"' in response.text
    assert not ReceivedRoute.objects.exists()


def test_an_empty_file_withdraws_every_route(admin_client, world):
    connection = world.primary_connections[0]
    factories.ReceivedRouteFactory(connection=connection, prefix=CUSTOMER_PREFIX)
    response = upload(admin_client, connection, file=routes_file())
    assert response.status_code == 302, response.text
    assert prefixes_of(connection) == []
    [(_, text)] = messages_of(response)
    assert "imported 0 routes: 0 announced, 1 withdrawn" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose a file, or paste the routes."),
        ({"text": "   \n"}, "Choose a file, or paste the routes."),
        ({"file": "routes", "text": "routes"}, "Upload a file or paste routes, not both."),
        ({"file": b"\xff\xfe{}"}, "Line 1: the file is not UTF-8 text"),
        ({"file": b'{"prefix": "1.2.3.0/24"}\x00'}, "The file is not text"),
    ],
)
def test_upload_form_errors(admin_client, world, data, message):
    connection = world.primary_connections[0]
    if "file" in data:
        content = data["file"] if isinstance(data["file"], bytes) else route_line().encode()
        data = {**data, "file": SimpleUploadedFile("routes.jsonl", content)}
    response = upload(admin_client, connection, **data)
    assert response.status_code == 200
    assert message in response.text
    assert not ReceivedRoute.objects.exists()


def test_upload_size_is_limited(admin_client, world):
    connection = world.primary_connections[0]
    with mock.patch("peering.admin.connections.MAX_ROUTES_UPLOAD_BYTES", 100):
        response = upload(
            admin_client, connection, file=routes_file(route_line(), route_line("45.60.11.0/24"))
        )
    assert response.status_code == 200
    assert "at most 0 MB can be uploaded" in response.text
    assert not ReceivedRoute.objects.exists()


def test_more_than_one_connection_is_refused(admin_client, world):
    first, second = world.primary_connections
    response = admin_client.post(
        reverse(CONNECTIONS),
        {
            "action": "upload_received_routes",
            "_selected_action": [first.pk, second.pk],
            "post": "yes",
            "text": route_line(),
        },
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "warning",
            "Upload received routes for one connection at a time: 2 connections were selected.",
        )
    ]
    assert not ReceivedRoute.objects.exists()


def test_a_database_refusal_is_an_error_on_the_page(admin_client, world):
    from django.db import DataError

    connection = world.primary_connections[0]
    with mock.patch(
        "peering.admin.connections.received_routes_import_lines", side_effect=DataError("NUL")
    ):
        response = upload(admin_client, connection, text=route_line())
    assert response.status_code == 200
    assert "the database cannot store" in response.text


def test_staff_without_the_change_permission_cannot_upload(client, world):
    viewer = factories.UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_peeringconnection"))
    client.force_login(viewer)
    connection = world.primary_connections[0]
    url = reverse("admin:peering_peeringconnection_change", args=[connection.pk])
    assert "upload_received_routes" not in client.get(url).text
    response = upload(client, connection, text=route_line())
    assert response.status_code in (200, 302)
    assert not ReceivedRoute.objects.exists()


# --- Received routes list -----------------------------------------------------------------


def test_received_routes_filter_by_state_and_search_by_as_path(admin_client, world):
    connection = world.primary_connections[0]
    valid = factories.ReceivedRouteFactory(connection=connection, as_path="59999 150001")
    invalid = factories.ReceivedRouteFactory(
        connection=connection,
        prefix="45.60.11.0/24",
        as_path="59999 64666",
        rpki_validation_state="Invalid",
    )
    url = reverse("admin:peering_receivedroute_changelist")
    response = admin_client.get(url, {"rpki_validation_state": "Invalid"})
    assert list(response.context["cl"].result_list) == [invalid]
    response = admin_client.get(url, {"q": "64666"})
    assert list(response.context["cl"].result_list) == [invalid]
    response = admin_client.get(url, {"connection__id__exact": connection.pk})
    assert set(response.context["cl"].result_list) == {valid, invalid}
    assert world.peering.name in response.text


def test_received_routes_peering_column_is_headed_and_sortable(admin_client, world):
    """`related_column`: the peering's name under its own header, and ordering by it."""
    connection = world.primary_connections[0]
    factories.ReceivedRouteFactory(connection=connection)
    url = reverse("admin:peering_receivedroute_changelist")
    response = admin_client.get(url)
    assert "Peering" in [str(header["text"]) for header in response.context["result_headers"]]
    column = next(
        i for i, name in enumerate(response.context["cl"].list_display) if name == "peering"
    )
    response = admin_client.get(url, {"o": str(column)})
    assert response.status_code == 200
    assert "connection__peering__name" in str(response.context["cl"].queryset.query.order_by)
    assert f'<td class="field-peering">{world.peering.name}</td>' in response.text


# --- Re-validate ---------------------------------------------------------------------------


def test_revalidate_registered_prefix(admin_client, django_capture_on_commit_callbacks):
    registered = factories.RegisteredPrefixFactory(validation_state=V.VERIFIED)
    url = reverse("admin:peering_registeredprefix_changelist")
    data = {"action": "revalidate", "_selected_action": [registered.pk]}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(url, data)
    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.validation_state == V.PENDING
    assert len(callbacks) == 1
    [(level, text)] = messages_of(response)
    assert level == "success" and text.startswith("Queued validation of 1 registered prefix:")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, data)
    registered.refresh_from_db()
    # No session announces it: the check has run and recorded its outcome.
    assert registered.validation_state in FINAL_STATES


def test_revalidate_registered_prefix_from_its_page(
    admin_client, django_capture_on_commit_callbacks
):
    registered = factories.RegisteredPrefixFactory(validation_state=V.VERIFIED)
    url = reverse("admin:peering_registeredprefix_change", args=[registered.pk])
    html = admin_client.get(url).text
    assert str(registered.prefix_key) in html  # operators see a registered prefix's key
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                f"{ActionLocation.CHANGE_FORM.value}-action": "revalidate",
                "_selected_action": registered.pk,
            },
        )
    assert response.status_code == 302 and response["Location"] == url
    registered.refresh_from_db()
    assert registered.validation_state in FINAL_STATES


def test_revalidate_peering_service_prefixes(
    admin_client, world, django_capture_on_commit_callbacks
):
    world.announce()
    world.prefix.validation_state = V.FAILED
    world.prefix.save()
    url = reverse("admin:peering_peeringserviceprefix_changelist")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            url, {"action": "revalidate", "_selected_action": [world.prefix.pk]}
        )
    assert response.status_code == 302
    world.prefix.refresh_from_db()
    assert world.prefix.validation_state == V.PENDING
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "revalidate", "_selected_action": [world.prefix.pk]})
    world.prefix.refresh_from_db()
    assert world.prefix.validation_state == V.VERIFIED


# --- Keys ----------------------------------------------------------------------------------


def test_customer_keys_are_never_listed(admin_client, world):
    key = world.prefix.prefix_key
    for name in ("peeringserviceprefix", "peeringservice", "prefixevent"):
        response = admin_client.get(reverse(f"admin:peering_{name}_changelist"))
        assert response.status_code == 200
        assert key not in response.text
    # Nor found by searching for it.
    response = admin_client.get(
        reverse("admin:peering_peeringserviceprefix_changelist"), {"q": key}
    )
    assert list(response.context["cl"].result_list) == []


def test_prefix_page_shows_only_the_last_four_characters_of_the_key(admin_client, world):
    key = world.prefix.prefix_key
    response = admin_client.get(
        reverse("admin:peering_peeringserviceprefix_change", args=[world.prefix.pk])
    )
    assert response.status_code == 200
    assert key not in response.text
    assert key[:-4] not in response.text
    assert f"…{key[-4:]}" in response.text
    response = admin_client.get(
        reverse("admin:peering_peeringservice_change", args=[world.prefix.peering_service.pk])
    )
    assert world.prefix.name in response.text and key not in response.text


def test_registered_asn_key_is_on_its_page_not_in_the_list(admin_client, world):
    key = str(world.registered.prefix_key)
    response = admin_client.get(reverse("admin:peering_registeredasn_changelist"))
    assert world.registered.name in response.text and key not in response.text
    response = admin_client.get(
        reverse("admin:peering_registeredasn_change", args=[world.registered.pk])
    )
    assert key in response.text
    assert 'name="asn"' not in response.text  # read-only
    response = admin_client.get(reverse("admin:peering_peering_change", args=[world.peering.pk]))
    assert world.registered.name in response.text and key not in response.text


# --- Throttle and provider -----------------------------------------------------------------


def test_deleting_key_attempts_lifts_the_throttle(admin_client, owner):
    attempts = [factories.PrefixKeyAttemptFactory(user=owner) for _ in range(5)]
    assert _key_throttled(owner)
    response = admin_client.post(
        reverse("admin:peering_prefixkeyattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not PrefixKeyAttempt.objects.exists()
    assert not _key_throttled(owner)


def test_provider_asn_is_edited_and_checked(admin_client, db):
    provider = factories.PeeringServiceProviderFactory(name="Contoso IX")
    factories.PeeringServiceProviderLocationFactory(provider=provider, name="Seattle")
    url = reverse("admin:peering_peeringserviceprovider_change", args=[provider.pk])
    assert 'name="asn"' in admin_client.get(url).text
    location = provider.peering_locations.get()
    data = {
        "name": "Contoso IX",
        "kind": "exchange",
        "peering_locations-TOTAL_FORMS": "1",
        "peering_locations-INITIAL_FORMS": "1",
        "peering_locations-0-id": location.pk,
        "peering_locations-0-provider": provider.pk,
        "peering_locations-0-name": "Seattle",
    }
    response = admin_client.post(url, {**data, "asn": "64512"})
    assert response.status_code == 200
    assert "private" in response.text.lower() or "reserved" in response.text.lower()
    response = admin_client.post(url, {**data, "asn": "59999"})
    assert response.status_code == 302
    assert PeeringServiceProvider.objects.get(pk=provider.pk).asn == 59999
    response = admin_client.get(reverse("admin:peering_peeringserviceprovider_changelist"))
    assert "59999" in response.text and "Seattle" in response.text


# --- Only staff ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "registeredasn",
        "registeredprefix",
        "peeringservice",
        "peeringserviceprefix",
        "prefixevent",
        "receivedroute",
        "prefixkeyattempt",
    ],
)
def test_non_staff_cannot_reach_the_pages(client, owner, world, name):
    client.force_login(owner)
    response = client.get(reverse(f"admin:peering_{name}_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_non_staff_cannot_upload(client, owner, world):
    client.force_login(owner)
    response = upload(client, world.primary_connections[0], text=route_line())
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not ReceivedRoute.objects.exists()


def _label(connection) -> str:
    from peering.admin.common import _connection_label

    return _connection_label(connection)

"""Received routes: the JSON-lines format, imports replacing a connection's set, prefix events
from the difference, re-validation, and `manage.py import_received_routes`
(docs/received-routes.md)."""

import contextlib
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from peering.models import PrefixEvent, PrefixValidationState, ReceivedRoute
from peering.services import prefix_validation as pv
from peering.services.routes import (
    parse_jsonl,
    parse_route,
    received_routes_import,
    received_routes_import_text,
)
from portal.models import ActivityLog
from tests import factories
from tests.factories import CUSTOMER_ASN, CUSTOMER_PREFIX, PROVIDER_ASN

V = PrefixValidationState
pytestmark = pytest.mark.django_db
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
INFO, WARN, ERROR, CRIT = "Information", "Warning", "Error", "Critical"


def line(**fields) -> str:
    route = {
        "prefix": CUSTOMER_PREFIX,
        "next_hop": "206.81.199.10",
        "as_path": f"{PROVIDER_ASN} {CUSTOMER_ASN}",
        "communities": ["8075:8007"],
    }
    route.update(fields)
    return json.dumps({k: v for k, v in route.items() if v is not ...})


def route(prefix=CUSTOMER_PREFIX, origin=CUSTOMER_ASN, **fields) -> dict:
    """A parsed route, as received_routes_import takes them."""
    raw = {"prefix": prefix, "next_hop": "206.81.199.10", "as_path": f"{PROVIDER_ASN} {origin}"}
    raw["communities"] = ["8075:8007"]
    raw.update(fields)
    return parse_route(raw, line=1, now=NOW)


# --- the format -----------------------------------------------------------------------------


def test_parse_route_defaults():
    parsed = parse_route(
        {"prefix": "45.60.10.0/24", "next_hop": "206.81.199.10", "as_path": "59999 150001"},
        line=1,
        now=NOW,
    )
    assert parsed == {
        "prefix": "45.60.10.0/24",
        "next_hop": "206.81.199.10",
        "as_path": "59999 150001",
        "origin_as": 150001,
        "communities": [],
        "large_communities": [],
        "received_at": NOW,
        # Changed with issue 9: a state the line omits is not reported (''), never "Valid";
        # the portal computes the RPKI state itself at import.
        "origin_as_validation_state": "",
        "reported_rpki_state": "",
        "trust_anchor": "",
    }


def test_parse_route_accepts_lists_ipv6_and_explicit_fields():
    parsed = parse_route(
        {
            "prefix": "2a01:111:f400::/48",
            "next_hop": "2001:504:16::10",
            "as_path": [59999, 150001],
            "origin_as": 150001,
            "communities": "8075:8007 59999:1",
            "rpki_validation_state": "NotFound",
            "trust_anchor": "Arin",
            "received_at": "2025-02-01 10:00:00",
        },
        line=3,
        now=NOW,
    )
    assert parsed["as_path"] == "59999 150001"
    assert parsed["communities"] == ["8075:8007", "59999:1"]
    assert parsed["reported_rpki_state"] == "NotFound"  # kept as the router's report
    assert parsed["received_at"] == datetime(2025, 2, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prefix": "45.60.10.1/24"}, "Line 7: prefix '45.60.10.1/24' is not a CIDR prefix"),
        ({"prefix": ...}, "Line 7: prefix 'None' is not a CIDR prefix"),
        ({"next_hop": "router-1"}, "Line 7: next_hop is not an IP address."),
        ({"as_path": "59999 AS150001"}, "Line 7: as_path must be ASNs separated by spaces."),
        ({"as_path": ""}, "Line 7: as_path must hold 1–64 ASNs"),
        ({"as_path": "59999 0"}, "Line 7: as_path must hold 1–64 ASNs"),
        ({"as_path": "59999 4294967296"}, "Line 7: as_path must hold 1–64 ASNs"),
        ({"as_path": " ".join(["59999"] * 65)}, "Line 7: as_path must hold 1–64 ASNs"),
        ({"origin_as": "150001"}, "Line 7: origin_as must be an ASN."),
        ({"origin_as": True}, "Line 7: origin_as must be an ASN."),
        ({"origin_as": 0}, "Line 7: origin_as must be an ASN."),
        ({"communities": ["8075-8007"]}, "Line 7: communities must be a list"),
        ({"communities": [8075]}, "Line 7: communities must be a list"),
        ({"communities": {"a": 1}}, "Line 7: communities must be a list"),
        ({"received_at": "yesterday"}, "Line 7: received_at is not a date and time."),
        ({"rpki_validation_state": "Bad"}, "Line 7: rpki_validation_state must be one of"),
        ({"origin_as_validation_state": "valid"}, "Line 7: origin_as_validation_state must be"),
    ],
)
def test_parse_route_names_the_line_and_the_field(fields, message):
    raw = json.loads(line(**fields))
    with pytest.raises(ValidationError) as info:
        parse_route(raw, line=7, now=NOW)
    assert info.value.messages[0].startswith(message), info.value.messages


def test_parse_route_refuses_non_objects():
    with pytest.raises(ValidationError, match="Line 2: a route is a JSON object."):
        parse_route(["45.60.10.0/24"], line=2, now=NOW)


def test_parse_jsonl_reports_every_bad_line_at_once():
    text = "\n".join(
        [
            "# a comment",
            line(connection="A"),
            "",
            "{not json",
            line(next_hop="x"),
            line(connection="b"),
            "[1, 2]",
        ]
    )
    with pytest.raises(ValidationError) as info:
        parse_jsonl(text, now=NOW)
    messages = info.value.messages
    assert len(messages) == 3
    assert messages[0].startswith("Line 4: not JSON")
    assert messages[1] == "Line 5: next_hop is not an IP address."
    assert messages[2] == "Line 7: a route is a JSON object."


def test_parse_jsonl_groups_by_connection():
    groups = parse_jsonl(
        "\n".join(
            [
                line(connection="ABC"),
                line(connection="abc", prefix="45.60.11.0/24"),
                line(prefix="45.60.12.0/24"),
            ]
        ),
        now=NOW,
    )
    assert {k: [r["prefix"] for r in v] for k, v in groups.items()} == {
        "abc": ["45.60.10.0/24", "45.60.11.0/24"],
        "": ["45.60.12.0/24"],
    }


# --- the world ------------------------------------------------------------------------------


@pytest.fixture
def world(operator):
    """Contoso IX with no routes yet; Fabrikam's Peering Service prefix (Seattle primary,
    Ashburn backup) redeemed with the registered ASN's key."""
    world = factories.provider_world(announce=False)
    world.prefix = factories.PeeringServicePrefixFactory(
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        peering_service__backup_location="Ashburn",
        prefix=CUSTOMER_PREFIX,
        prefix_key=str(world.registered.prefix_key),
    )
    return world


def load(world, connection, routes, operator):
    return received_routes_import(connection=connection, routes=routes, operator=operator)


def events(prefix=None):
    qs = PrefixEvent.objects.all() if prefix is None else prefix.events.all()
    return sorted((e.event_type, e.event_level) for e in qs)


# --- importing: replace the set -------------------------------------------------------------


def test_import_replaces_the_connections_set_only(world, operator):
    first, second = world.primary_connections
    load(world, first, [route(), route("45.60.11.0/24")], operator)
    load(world, second, [route()], operator)

    result = load(world, first, [route("45.60.12.0/24")], operator)

    assert list(first.received_routes.values_list("prefix", flat=True)) == ["45.60.12.0/24"]
    assert list(second.received_routes.values_list("prefix", flat=True)) == [CUSTOMER_PREFIX]
    assert result.announced == ["45.60.12.0/24"]
    assert result.withdrawn == ["45.60.10.0/24", "45.60.11.0/24"]
    assert result.routes == 1
    log = ActivityLog.objects.filter(operation_display="Import received routes").latest("pk")
    assert log.subscription == world.subscription and log.user == operator
    assert log.message.startswith("1 route(s) at ")
    assert "1 announced, 2 withdrawn, 0 origin change(s)" in log.message


def test_an_empty_import_withdraws_everything(world, operator):
    first = world.primary_connections[0]
    load(world, first, [route(), route("45.60.11.0/24")], operator)
    result = load(world, first, [], operator)
    assert not first.received_routes.exists()
    assert result.withdrawn == ["45.60.10.0/24", "45.60.11.0/24"]


@pytest.mark.parametrize("who", ["owner", "reader", "nobody"])
def test_only_staff_operators_import(world, who, request, subscription):
    user = (
        factories.UserFactory(username="nobody")
        if who == "nobody"
        else request.getfixturevalue(who)
    )
    with pytest.raises(PermissionDenied):
        load(world, world.primary_connections[0], [route()], user)
    assert not ReceivedRoute.objects.exists()
    assert not ActivityLog.objects.exists()


def test_inactive_staff_cannot_import(world, operator):
    operator.is_active = False
    operator.save()
    with pytest.raises(PermissionDenied):
        load(world, world.primary_connections[0], [route()], operator)


# --- importing: prefix events ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "announce", "withdraw", "origin_change"),
    [
        (
            "primary",
            ("PrefixAnnouncementEvent", INFO),
            ("PrefixWithdrawalEvent", WARN),
            ("PrefixOriginAsChangeEvent", CRIT),
        ),
        (
            "backup",
            ("PrefixBackupRouteAnnouncementEvent", INFO),
            ("PrefixBackupRouteWithdrawalEvent", WARN),
            ("PrefixBackupRouteOriginAsChangeEvent", ERROR),
        ),
    ],
)
def test_events_from_the_difference(world, operator, where, announce, withdraw, origin_change):
    connection = world.primary_connections[0] if where == "primary" else world.backup_connections[0]
    metro = "Seattle" if where == "primary" else "Ashburn"

    load(world, connection, [route()], operator)
    assert events(world.prefix) == [announce]
    event = world.prefix.events.get()
    assert event.summary == (
        f"{CUSTOMER_PREFIX} announced at {connection.facility_name} ({metro}, {where})"
    )
    assert event.description == f"Origin AS{CUSTOMER_ASN}."

    PrefixEvent.objects.all().delete()
    result = load(world, connection, [route(origin=150999)], operator)
    assert result.origin_changed == [CUSTOMER_PREFIX]
    assert events(world.prefix) == [origin_change]
    assert world.prefix.events.get().description == f"Origin was AS{CUSTOMER_ASN}, now AS150999."

    PrefixEvent.objects.all().delete()
    load(world, connection, [], operator)
    assert events(world.prefix) == [withdraw]
    assert world.prefix.events.get().summary.startswith(f"{CUSTOMER_PREFIX} withdrawn at ")


def test_an_unchanged_import_records_no_event_and_revalidates_nothing(world, operator):
    connection = world.primary_connections[0]
    load(world, connection, [route()], operator)
    PrefixEvent.objects.all().delete()
    result = load(world, connection, [route(next_hop="206.81.199.11")], operator)
    assert (result.events, result.revalidated) == (0, 0)
    assert not PrefixEvent.objects.exists()


def test_a_second_origin_alongside_the_first_is_an_origin_change(world, operator):
    connection = world.primary_connections[0]
    load(world, connection, [route()], operator)
    result = load(world, connection, [route(), route(origin=150999)], operator)
    assert result.origin_changed == [CUSTOMER_PREFIX]
    assert ("PrefixOriginAsChangeEvent", CRIT) in events(world.prefix)


def test_events_only_for_prefixes_of_the_provider_owning_the_connection(world, operator):
    northwind = factories.provider_world(
        name="Northwind Exchange", provider_asn=63999, customer_asn=150002, announce=False
    )
    theirs = factories.PeeringServicePrefixFactory(
        peering_service__provider=northwind.provider,
        peering_service__primary_location="Seattle",
        prefix=CUSTOMER_PREFIX,
    )
    # The prefix is received on Contoso IX's connection: only Contoso IX's customer hears of it.
    result = load(world, world.primary_connections[0], [route()], operator)
    assert result.events == 1
    assert events(world.prefix) == [("PrefixAnnouncementEvent", INFO)]
    assert not theirs.events.exists()
    # And the other way round.
    load(northwind, northwind.primary_connections[0], [route(origin=150002)], operator)
    assert events(theirs) == [("PrefixAnnouncementEvent", INFO)]
    assert world.prefix.events.count() == 1


def test_no_event_when_the_connection_is_at_neither_location(world, operator):
    world.prefix.peering_service.primary_location = "Ashburn"
    world.prefix.peering_service.backup_location = ""
    world.prefix.peering_service.save()
    result = load(world, world.primary_connections[0], [route()], operator)  # Seattle
    assert result.events == 0 and not PrefixEvent.objects.exists()


def test_unrelated_prefixes_make_no_events(world, operator):
    result = load(world, world.primary_connections[0], [route("45.60.11.0/24")], operator)
    assert result.announced == ["45.60.11.0/24"]
    assert (result.events, result.revalidated) == (0, 0)


def test_events_are_not_recorded_for_other_customers_more_specifics(world, operator):
    # Events are per exact prefix: a covering route is not the customer's prefix.
    result = load(world, world.primary_connections[0], [route("45.60.0.0/16")], operator)
    assert result.events == 0


# --- importing: re-validation ---------------------------------------------------------------


def test_revalidation_follows_the_import(world, operator, django_capture_on_commit_callbacks):
    prefix = world.prefix
    with django_capture_on_commit_callbacks(execute=True):
        for connection in world.connections:
            load(
                world, connection, [route(next_hop=connection.peer_session_ipv4_address)], operator
            )
    prefix.refresh_from_db()
    assert prefix.validation_state == V.VERIFIED

    second = world.primary_connections[1]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = load(world, second, [], operator)
    assert result.revalidated == 1 and len(callbacks) == 1
    prefix.refresh_from_db()
    assert prefix.validation_state == V.FAILED
    assert prefix.error_message == pv.MSG_NOT_FROM_IP.format(
        ips=second.peer_session_ipv4_address, location="Seattle"
    )


def test_revalidation_is_queued_after_commit_only(world, operator):
    load(world, world.primary_connections[0], [route()], operator)
    world.prefix.refresh_from_db()
    assert world.prefix.validation_state == V.PENDING


# --- importing text: connection identifiers -------------------------------------------------


def test_import_text_routes_lines_to_their_connections(world, operator):
    first, second = world.primary_connections
    text = "\n".join(
        [
            line(connection=str(first.connection_identifier)),
            line(connection=str(second.connection_identifier).upper(), prefix="45.60.11.0/24"),
        ]
    )
    results = received_routes_import_text(text=text, operator=operator)
    assert {r.connection.pk: r.routes for r in results} == {first.pk: 1, second.pk: 1}
    assert second.received_routes.get().prefix == "45.60.11.0/24"


@pytest.mark.parametrize("identifier", ["", "not-a-guid", "6f1c2a55-0000-4000-8000-000000000000"])
def test_import_text_with_an_unknown_connection_imports_nothing(world, operator, identifier):
    first = world.primary_connections[0]
    load(world, first, [route("45.60.99.0/24")], operator)
    text = "\n".join(
        [line(connection=str(first.connection_identifier)), line(connection=identifier)]
    )
    with pytest.raises(ValidationError) as info:
        received_routes_import_text(text=text, operator=operator)
    assert "No connection with identifier" in info.value.messages[0]
    assert list(first.received_routes.values_list("prefix", flat=True)) == ["45.60.99.0/24"]


# Changed with issue 9: all-or-nothing is now the `strict` reading; by default the bad line is
# rejected and the rest imported (tests/peering/services/test_routes_importer.py).
def test_import_text_with_a_bad_line_imports_nothing(world, operator):
    first = world.primary_connections[0]
    load(world, first, [route("45.60.99.0/24")], operator)
    text = "\n".join(
        [
            line(connection=str(first.connection_identifier)),
            line(connection=str(first.connection_identifier), as_path="x"),
        ]
    )
    with pytest.raises(ValidationError) as info:
        received_routes_import_text(text=text, operator=operator, strict=True)
    assert info.value.messages == ["Line 2: as_path must be ASNs separated by spaces."]
    assert list(first.received_routes.values_list("prefix", flat=True)) == ["45.60.99.0/24"]


def test_import_text_for_one_connection(world, operator):
    first = world.primary_connections[0]
    results = received_routes_import_text(
        text=line() + "\n" + line(prefix="45.60.11.0/24"), operator=operator, connection=first
    )
    assert [r.routes for r in results] == [2]
    assert first.received_routes.count() == 2


def test_lines_naming_another_connection_are_not_moved_by_connection_option(world, operator):
    first, second = world.primary_connections
    text = line(connection=str(second.connection_identifier))
    with contextlib.suppress(ValidationError):  # refusing the file is also acceptable
        received_routes_import_text(text=text, operator=operator, connection=first)
    assert not first.received_routes.exists()


# --- manage.py import_received_routes -------------------------------------------------------


def run(*args, **options) -> str:
    out = StringIO()
    call_command("import_received_routes", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_command_imports_a_file(world, operator, tmp_path):
    first = world.primary_connections[0]
    path = tmp_path / "routes.jsonl"
    path.write_text(
        "# routes of the day\n" + line(connection=str(first.connection_identifier)) + "\n"
    )
    output = run(str(path))
    assert str(first.connection_identifier) in output
    assert "1 routes, 1 announced, 0 withdrawn, 0 origin changes, 1 prefix events" in output
    assert first.received_routes.get().prefix == CUSTOMER_PREFIX
    assert ActivityLog.objects.get(operation_display="Import received routes").caller


def test_command_with_connection_option(world, operator, tmp_path):
    backup = world.backup_connections[0]
    path = tmp_path / "routes.jsonl"
    path.write_text(line() + "\n")
    output = run(str(path), connection=str(backup.connection_identifier))
    assert "1 prefix events" in output
    assert events(world.prefix) == [("PrefixBackupRouteAnnouncementEvent", INFO)]


def test_command_reads_standard_input(world, operator, monkeypatch):
    first = world.primary_connections[0]
    monkeypatch.setattr("sys.stdin", StringIO(line(connection=str(first.connection_identifier))))
    output = run("-")
    assert "1 routes" in output
    assert first.received_routes.count() == 1


@pytest.mark.parametrize("identifier", ["nope", "6f1c2a55-0000-4000-8000-000000000000"])
def test_command_unknown_connection(world, operator, tmp_path, identifier):
    path = tmp_path / "routes.jsonl"
    path.write_text(line() + "\n")
    with pytest.raises(CommandError, match=f"No connection with identifier {identifier}"):
        run(str(path), connection=identifier)
    assert not ReceivedRoute.objects.exists()


def test_command_unknown_identifier_in_the_file(world, operator, tmp_path):
    path = tmp_path / "routes.jsonl"
    path.write_text(line(connection="6f1c2a55-0000-4000-8000-000000000000") + "\n")
    with pytest.raises(CommandError) as info:
        run(str(path))
    assert "Nothing imported" in str(info.value)
    assert "No connection with identifier 6f1c2a55-0000-4000-8000-000000000000" in str(info.value)


# Changed with issue 9: --strict keeps all-or-nothing; without it the line is reported and the
# rest imported (test_command_rejects_a_bad_line_and_imports_the_rest).
def test_command_bad_line_is_named(world, operator, tmp_path):
    first = world.primary_connections[0]
    path = tmp_path / "routes.jsonl"
    path.write_text(
        line(connection=str(first.connection_identifier))
        + "\n"
        + line(connection=str(first.connection_identifier), prefix="45.60.10.1/24")
    )
    with pytest.raises(CommandError) as info:
        run(str(path), strict=True)
    assert "Line 2: prefix '45.60.10.1/24'" in str(info.value)
    assert not ReceivedRoute.objects.exists()


def test_command_rejects_a_bad_line_and_imports_the_rest(world, operator, tmp_path):
    first = world.primary_connections[0]
    path = tmp_path / "routes.jsonl"
    path.write_text(
        line(connection=str(first.connection_identifier))
        + "\n"
        + line(connection=str(first.connection_identifier), prefix="45.60.10.1/24")
    )
    output = run(str(path))
    assert "1 line rejected" in output
    assert "Line 2: prefix '45.60.10.1/24'" in output
    assert list(first.received_routes.values_list("prefix", flat=True)) == [CUSTOMER_PREFIX]


@pytest.mark.parametrize("operator_name", ["owner", "ghost"])
def test_command_needs_a_staff_operator(world, operator, owner, tmp_path, operator_name):
    path = tmp_path / "routes.jsonl"
    path.write_text(line(connection=str(world.primary_connections[0].connection_identifier)))
    with pytest.raises(CommandError, match=f"No staff user named '{operator_name}'"):
        run(str(path), operator=operator_name)
    assert not ReceivedRoute.objects.exists()


def test_command_missing_file(world, operator, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.jsonl"))

"""The received-routes importer per BGP practice (issue 9): the rightmost AS is the origin, bad
lines are rejected one by one (or the file refused with `strict`), RFC 1997 and RFC 8092
communities, the first AS on bilateral sessions, RFC 6811 computed at import beside the router's
report, registered prefixes re-validated, batched writes of only the routes that changed."""

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from peering.models import PrefixEvent, PrefixValidationState, ReceivedRoute
from peering.services import routes as routes_service
from peering.services.routes import (
    parse_route,
    received_routes_import,
    received_routes_import_lines,
    received_routes_import_text,
)
from tests import factories
from tests.factories import CUSTOMER_ASN, CUSTOMER_PREFIX, PROVIDER_ASN

V = PrefixValidationState
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def line(**fields) -> str:
    route = {
        "prefix": CUSTOMER_PREFIX,
        "next_hop": "206.81.199.10",
        "as_path": f"{PROVIDER_ASN} {CUSTOMER_ASN}",
        "communities": ["8075:8007"],
    }
    route.update(fields)
    return json.dumps({k: v for k, v in route.items() if v is not ...})


def parse(**fields) -> dict:
    return parse_route(json.loads(line(**fields)), line=3, now=NOW)


@pytest.fixture
def world():
    return factories.provider_world(announce=False)


# --- the origin is the rightmost AS ---------------------------------------------------------


def test_the_origin_is_the_rightmost_as():
    assert parse(as_path="59999 3356 150001")["origin_as"] == 150001
    assert parse(as_path="59999 150001", origin_as=150001)["origin_as"] == 150001


def test_an_origin_as_that_disagrees_with_the_path_rejects_the_line():
    with pytest.raises(ValidationError) as info:
        parse(as_path="59999 150001", origin_as=150999)
    assert info.value.messages == [
        "Line 3: origin_as AS150999 disagrees with the AS path, which ends in AS150001; the "
        "origin is the rightmost AS of as_path."
    ]


@pytest.mark.parametrize(
    ("path", "stored"),
    [
        ("59999 {150001,150002}", "59999 {150001,150002}"),
        ([59999, [150002, 150001]], "59999 {150001,150002}"),
    ],
)
def test_a_path_ending_in_an_as_set_has_no_origin(path, stored):
    parsed = parse(as_path=path)
    assert parsed["origin_as"] is None
    assert parsed["as_path"] == stored


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("59999 {150001} 3356", "as_path may end in an AS_SET"),
        ("59999 {}", "the AS_SET at the end of as_path is empty"),
        ("59999 {x}", "as_path must be ASNs separated by spaces"),
    ],
)
def test_as_set_rules(path, message):
    with pytest.raises(ValidationError, match=message):
        parse(as_path=path)


# --- communities ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "standard", "large"),
    [
        (["8075:8007"], ["8075:8007"], []),
        (["65535:65535", "0:0"], ["65535:65535", "0:0"], []),
        (["8075:8007", "8075:8007:0"], ["8075:8007"], ["8075:8007:0"]),
        (
            "8075:8007 4294967295:4294967295:4294967295",
            ["8075:8007"],
            ["4294967295:4294967295:4294967295"],
        ),
    ],
)
def test_rfc1997_and_rfc8092_communities_are_stored_apart(given, standard, large):
    parsed = parse(communities=given)
    assert (parsed["communities"], parsed["large_communities"]) == (standard, large)


def test_a_large_communities_field_is_read_too():
    parsed = parse(large_communities=["8075:8007:0"])
    assert parsed["large_communities"] == ["8075:8007:0"]


@pytest.mark.parametrize(
    "given",
    [["70000:1"], ["1:65536"], ["4294967296:1:1"], ["1:2:3:4"], ["8075"], [8075]],
)
def test_out_of_range_communities_reject_the_line(given):
    with pytest.raises(ValidationError) as info:
        parse(communities=given)
    assert info.value.messages[0].startswith("Line 3: communities must be a list")
    assert "RFC 1997" in info.value.messages[0] and "RFC 8092" in info.value.messages[0]


def test_a_standard_community_in_the_large_field_is_refused():
    with pytest.raises(ValidationError, match="communities must be a list"):
        parse(large_communities=["8075:8007"])


# --- bad lines: one by one, or strict -------------------------------------------------------


def test_bad_lines_are_rejected_one_by_one_and_the_rest_imported(world, operator):
    first = world.primary_connections[0]
    received_routes_import(
        connection=first, routes=[parse(prefix="45.60.98.0/24"), parse()], operator=operator
    )
    text = "\n".join(
        [
            line(),
            line(prefix="45.60.10.1/24"),
            "{not json",
            line(prefix="45.60.11.0/24", communities=["70000:1"]),
            line(prefix="45.60.12.0/24"),
        ]
    )
    results, rejected = received_routes_import_lines(
        lines=text.splitlines(), operator=operator, connection=first
    )
    assert [number for number, _ in rejected] == [2, 3, 4]
    assert rejected[0][1].startswith("Line 2: prefix '45.60.10.1/24' is not a CIDR prefix")
    assert rejected[1][1].startswith("Line 3: not JSON")
    assert sorted(first.received_routes.values_list("prefix", flat=True)) == [
        CUSTOMER_PREFIX,
        "45.60.12.0/24",
    ]
    # The withdrawal of 45.60.98.0/24 is not missed because of the bad lines.
    assert results[0].withdrawn == ["45.60.98.0/24"]
    assert results[0].rejected == rejected
    log = (
        first.peering.subscription.activity_logs.latest("pk")
        if hasattr(first.peering.subscription, "activity_logs")
        else None
    )
    if log is not None:
        assert "3 line(s) rejected" in log.message


def test_strict_refuses_the_file_naming_every_bad_line(world, operator):
    first = world.primary_connections[0]
    received_routes_import(
        connection=first, routes=[parse(prefix="45.60.98.0/24")], operator=operator
    )
    text = "\n".join([line(), line(next_hop="x"), line(as_path="59999 150001", origin_as=1)])
    with pytest.raises(ValidationError) as info:
        received_routes_import_text(text=text, operator=operator, connection=first, strict=True)
    assert [m[:7] for m in info.value.messages] == ["Line 2:", "Line 3:"]
    assert list(first.received_routes.values_list("prefix", flat=True)) == ["45.60.98.0/24"]


def test_more_routes_than_a_connection_may_hold_are_rejected_beyond_the_limit(
    world, operator, monkeypatch
):
    monkeypatch.setattr(routes_service, "MAX_ROUTES_PER_CONNECTION", 2)
    first = world.primary_connections[0]
    text = "\n".join(line(prefix=f"45.60.{n}.0/24") for n in range(3))
    _results, rejected = received_routes_import_lines(
        lines=text.splitlines(), operator=operator, connection=first
    )
    assert rejected == [(3, "Line 3: more than 2 routes on this connection.")]
    assert first.received_routes.count() == 2


# --- bilateral sessions: the first AS is the peer -------------------------------------------


@pytest.fixture
def isp():
    """An ISP (AS59998) on a Direct Edge peering: a bilateral session."""
    return factories.isp_world()


def test_on_a_bilateral_session_the_first_as_must_be_the_peer(isp, operator):
    first = isp.primary_connections[0]
    text = "\n".join(
        [
            line(prefix="45.70.0.0/16", as_path="59998 150003"),
            line(prefix="45.70.1.0/24", as_path="3356 150003"),
        ]
    )
    _results, rejected = received_routes_import_lines(
        lines=text.splitlines(), operator=operator, connection=first
    )
    assert rejected == [
        (
            2,
            "Line 2: the AS path starts with AS3356, but routes on this bilateral session come "
            "from the peer AS59998.",
        )
    ]
    assert list(first.received_routes.values_list("prefix", flat=True)) == ["45.70.0.0/16"]


def test_a_route_server_is_transparent(world, operator):
    first = world.primary_connections[0]
    _results, rejected = received_routes_import_lines(
        lines=[line(as_path=f"3356 {CUSTOMER_ASN}")], operator=operator, connection=first
    )
    assert rejected == []
    assert first.received_routes.get().as_path == f"3356 {CUSTOMER_ASN}"


# --- RFC 6811 at import ---------------------------------------------------------------------


@pytest.mark.parametrize("tree", [False, True], ids=["indexed-queries", "prefix-tree"])
def test_rpki_state_is_computed_at_import_beside_the_reported_one(
    world, operator, monkeypatch, tree
):
    if tree:
        monkeypatch.setattr(routes_service, "SQL_LOOKUP_LIMIT", 0)
        monkeypatch.setattr(routes_service, "BATCH", 2)
    factories.VrpFactory(prefix="99.0.0.0/8", max_length=24, asn=64999)
    first = world.primary_connections[0]
    text = "\n".join(
        [
            line(rpki_validation_state="Valid"),  # covered by the world's ROA: Valid
            line(prefix="99.1.0.0/16", as_path="59999 7", rpki_validation_state="Valid"),
            line(prefix="99.1.2.0/25", as_path="59999 64999"),  # maxLength 24 exceeded
            line(prefix="98.0.0.0/16", as_path="59999 7", rpki_validation_state="NotFound"),
            line(prefix="45.60.20.0/24", as_path="59999 {150001,150002}"),  # AS_SET
        ]
    )
    received_routes_import_lines(lines=text.splitlines(), operator=operator, connection=first)
    rows = {
        r.prefix: (r.rpki_validation_state, r.reported_rpki_state, r.rpki_disagrees)
        for r in first.received_routes.all()
    }
    assert rows == {
        CUSTOMER_PREFIX: ("Valid", "Valid", False),
        "99.1.0.0/16": ("Invalid", "Valid", True),
        "99.1.2.0/25": ("Invalid", "", False),
        "98.0.0.0/16": ("NotFound", "NotFound", False),
        "45.60.20.0/24": ("Invalid", "", False),
    }


# --- the generation swap --------------------------------------------------------------------


def test_reimporting_the_same_file_keeps_one_set_and_records_nothing(world, operator, monkeypatch):
    monkeypatch.setattr(routes_service, "BATCH", 3)
    first = world.primary_connections[0]
    factories.PeeringServicePrefixFactory(
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        prefix=CUSTOMER_PREFIX,
    )
    text = "\n".join(line(prefix=f"45.60.{n}.0/24") for n in range(10, 20))
    received_routes_import_text(text=text, operator=operator, connection=first)
    events = PrefixEvent.objects.count()
    rows = set(first.received_routes.values_list("id", "prefix", "received_at"))
    results = received_routes_import_text(text=text, operator=operator, connection=first)
    assert (results[0].announced, results[0].withdrawn, results[0].origin_changed) == ([], [], [])
    assert PrefixEvent.objects.count() == events == 1
    # The connection holds exactly the file's routes, once each: the rows of the first import,
    # untouched (an identical table is a no-op diff, as in BGP).
    assert first.received_routes.count() == 10
    assert set(first.received_routes.values_list("id", "prefix", "received_at")) == rows
    assert {r[1] for r in rows} == {f"45.60.{n}.0/24" for n in range(10, 20)}


def test_a_reimport_writes_only_the_routes_that_changed(world, operator):
    first = world.primary_connections[0]
    kept, changed, gone = (line(prefix=f"45.60.{n}.0/24") for n in (10, 11, 12))
    received_routes_import_text(
        text="\n".join([kept, changed, gone]), operator=operator, connection=first
    )
    before = {r.prefix: r for r in first.received_routes.all()}
    result = received_routes_import_text(
        text="\n".join(
            [
                kept,
                line(prefix="45.60.11.0/24", communities=["8075:8007", "8075:8007:1"]),
                line(prefix="45.60.13.0/24"),
            ]
        ),
        operator=operator,
        connection=first,
    )[0]
    assert (result.announced, result.withdrawn, result.origin_changed) == (
        ["45.60.13.0/24"],
        ["45.60.12.0/24"],
        [],
    )
    after = {r.prefix: r for r in first.received_routes.all()}
    assert sorted(after) == ["45.60.10.0/24", "45.60.11.0/24", "45.60.13.0/24"]
    assert first.received_routes.count() == 3
    # The unchanged route is the same row, first received when it was first imported.
    assert (after["45.60.10.0/24"].pk, after["45.60.10.0/24"].received_at) == (
        before["45.60.10.0/24"].pk,
        before["45.60.10.0/24"].received_at,
    )
    # A changed attribute is a new route (the community, not the origin: no prefix event).
    assert after["45.60.11.0/24"].large_communities == ["8075:8007:1"]
    assert after["45.60.11.0/24"].pk != before["45.60.11.0/24"].pk


def test_a_received_at_the_line_gives_is_stored_on_the_unchanged_route(world, operator):
    first = world.primary_connections[0]
    received_routes_import_text(
        text=line(received_at="2026-11-30T08:00:00Z"), operator=operator, connection=first
    )
    row = first.received_routes.get()
    received_routes_import_text(
        text=line(received_at="2026-11-30T09:30:00Z"), operator=operator, connection=first
    )
    moved = first.received_routes.get()
    assert moved.pk == row.pk
    assert moved.received_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    # A line without a time keeps the stored one.
    received_routes_import_text(text=line(), operator=operator, connection=first)
    assert first.received_routes.get().received_at == moved.received_at


def test_an_as_set_origin_change_is_an_origin_change(world, operator):
    first = world.primary_connections[0]
    received_routes_import_text(text=line(), operator=operator, connection=first)
    result = received_routes_import_text(
        text=line(as_path="59999 {150001,150002}"), operator=operator, connection=first
    )[0]
    assert result.origin_changed == [CUSTOMER_PREFIX]


# --- registered prefixes are validated again --------------------------------------------------


def test_registered_prefixes_are_revalidated_on_import(
    isp, operator, django_capture_on_commit_callbacks
):
    registered = isp.registered_prefix
    with django_capture_on_commit_callbacks(execute=True):
        for connection in isp.primary_connections:
            received_routes_import_text(
                text=line(prefix="45.70.0.0/16", as_path="59998 150003"),
                operator=operator,
                connection=connection,
            )
    registered.refresh_from_db()
    assert registered.validation_state == V.VERIFIED
    with django_capture_on_commit_callbacks(execute=True):
        received_routes_import_text(
            text="", operator=operator, connection=isp.primary_connections[1]
        )
    registered.refresh_from_db()
    assert registered.validation_state == V.FAILED
    assert registered.error_message.startswith("Not receiving the advertisement from IP")
    # One run per validation (each import queues one, run after commit), with its checklist.
    assert [r.state for r in registered.validation_runs.order_by("id")] == [
        V.VERIFIED,
        V.VERIFIED,
        V.FAILED,
    ]


def test_rows_other_connections_hold_are_untouched(world, operator):
    first, second = world.primary_connections
    received_routes_import_text(text=line(), operator=operator, connection=second)
    received_routes_import_text(text="", operator=operator, connection=first)
    assert ReceivedRoute.objects.filter(connection=second).count() == 1

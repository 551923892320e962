"""RPKI: RFC 6811 origin validation (reference cases and a property test against a brute-force
reference), reading rpki-client and Routinator exports, the atomic VRP import that recomputes
route states and re-validates prefixes, ASPA upstream verification, `manage.py import_vrps`."""

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from peering.models import Aspa, PrefixValidationState, ReceivedRoute, Vrp, VrpSet
from peering.services import rpki
from peering.services.rpki import (
    VrpEntry,
    VrpIndex,
    aspa_upstream_verify,
    covering_vrps,
    parse_vrp_export,
    vrps_import,
)
from tests import factories
from tests.factories import CUSTOMER_ASN, CUSTOMER_PREFIX

V = PrefixValidationState


def validate(prefix, origin, vrps):
    index = VrpIndex(VrpEntry(p, m, a) for p, m, a in vrps)
    return index.validate(prefix, origin)


# --- RFC 6811 reference cases ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "origin", "vrps", "state"),
    [
        # No VRP covers the route.
        ("45.60.10.0/24", 150001, [], "NotFound"),
        ("45.60.10.0/24", 150001, [("45.61.0.0/16", 24, 150001)], "NotFound"),
        # A more specific VRP does not cover a less specific route.
        ("45.60.0.0/16", 150001, [("45.60.10.0/24", 24, 150001)], "NotFound"),
        # Exact match, and covered within maxLength.
        ("45.60.10.0/24", 150001, [("45.60.10.0/24", 24, 150001)], "Valid"),
        ("45.60.10.0/24", 150001, [("45.60.0.0/16", 24, 150001)], "Valid"),
        # maxLength exceeded: covered but not matched.
        ("45.60.10.0/25", 150001, [("45.60.0.0/16", 24, 150001)], "Invalid"),
        ("45.60.10.0/24", 150001, [("45.60.0.0/16", 16, 150001)], "Invalid"),
        # Origin mismatch.
        ("45.60.10.0/24", 150999, [("45.60.0.0/16", 24, 150001)], "Invalid"),
        # Several VRPs: one match is enough.
        (
            "45.60.10.0/24",
            150002,
            [("45.60.0.0/16", 24, 150001), ("45.60.10.0/24", 24, 150002)],
            "Valid",
        ),
        # Several VRPs, none matching: the route is Invalid.
        (
            "45.60.10.0/24",
            150003,
            [("45.60.0.0/16", 24, 150001), ("45.60.10.0/24", 24, 150002)],
            "Invalid",
        ),
        # AS0 (RFC 6483 §4, RFC 7607): covered routes are Invalid...
        ("45.60.10.0/24", 150001, [("45.60.0.0/16", 32, 0)], "Invalid"),
        # ...unless another VRP authorises the origin.
        (
            "45.60.10.0/24",
            150001,
            [("45.60.0.0/16", 32, 0), ("45.60.10.0/24", 24, 150001)],
            "Valid",
        ),
        # A path ending in an AS_SET has origin NONE: never Valid, Invalid when covered.
        ("45.60.10.0/24", None, [("45.60.0.0/16", 24, 150001)], "Invalid"),
        ("45.60.10.0/24", None, [], "NotFound"),
        # IPv6.
        ("2a01:111:f400::/48", 8075, [("2a01:111::/32", 48, 8075)], "Valid"),
        ("2a01:111:f400::/56", 8075, [("2a01:111::/32", 48, 8075)], "Invalid"),
        # An IPv4 VRP never covers an IPv6 route.
        ("2a01:111:f400::/48", 8075, [("0.0.0.0/0", 32, 8075)], "NotFound"),
    ],
)
def test_rfc6811_reference_cases(prefix, origin, vrps, state):
    assert validate(prefix, origin, vrps).state == state


def test_invalid_names_the_vrps_and_why():
    verdict = validate(
        "45.60.10.0/25",
        150001,
        [("45.60.0.0/16", 24, 150001), ("45.60.0.0/16", 32, 0), ("45.0.0.0/8", 32, 3356)],
    )
    assert verdict.state == "Invalid"
    assert set(verdict.reasons) == {
        "45.60.0.0/16-24 AS150001: /25 is longer than maxLength 24",
        "45.60.0.0/16-32 AS0 is an AS0 ROA: no AS may originate it (RFC 6483 §4, RFC 7607)",
        "45.0.0.0/8-32 AS3356 authorises AS3356, not AS150001",
    }


def test_valid_names_the_matching_vrp():
    verdict = validate("45.60.10.0/24", 150001, [("45.60.0.0/16", 24, 150001)])
    assert [str(v) for v in verdict.matched] == ["45.60.0.0/16-24 AS150001"]


# --- property: the prefix tree agrees with a brute-force reading of RFC 6811 ------------------


def brute_force(prefix: str, origin, vrps) -> str:
    route = ipaddress.ip_network(prefix)
    covering = [
        (ipaddress.ip_network(p), m, a)
        for p, m, a in vrps
        if ipaddress.ip_network(p).version == route.version
        and route.subnet_of(ipaddress.ip_network(p))
    ]
    if not covering:
        return "NotFound"
    for _network, max_length, asn in covering:
        if asn != 0 and origin is not None and asn == origin and route.prefixlen <= max_length:
            return "Valid"
    return "Invalid"


def networks(min_length=8, max_length=28):
    # A small space (inside 45.0.0.0/8) so that VRPs and routes often overlap.
    return st.builds(
        lambda bits, length: (
            ipaddress.ip_network(
                (0x2D000000 | (bits & 0x00FFFFFF), length), strict=False
            ).with_prefixlen
        ),
        st.integers(0, 2**24 - 1),
        st.integers(min_length, max_length),
    )


vrp = st.tuples(networks(), st.integers(0, 32), st.sampled_from([0, 150001, 150002, 150003]))


@settings(max_examples=300, deadline=None)
@given(
    prefix=networks(8, 32),
    origin=st.sampled_from([None, 150001, 150002, 150003]),
    vrps=st.lists(vrp, max_size=12),
)
def test_origin_validation_matches_a_brute_force_reference(prefix, origin, vrps):
    vrps = [(p, max(m, int(p.split("/")[1])), a) for p, m, a in vrps]
    assert validate(prefix, origin, vrps).state == brute_force(prefix, origin, vrps)
    # The importers' compact index too.
    assert rpki.VrpStates(vrps).state(prefix, origin) == brute_force(prefix, origin, vrps)


def test_the_compact_index_reads_ipv6_and_never_mixes_families():
    states = rpki.VrpStates([("2a01:111::/32", 48, 8075), ("0.0.0.0/0", 32, 8075)])
    assert states.state("2a01:111:f400::/48", 8075) == "Valid"
    assert states.state("2a01:111:f400::/56", 8075) == "Invalid"
    assert states.state("2a01:112::/48", 8075) == "NotFound"
    assert states.state("45.60.10.0/24", 8075) == "Valid"
    assert rpki.VrpStates([("2a01:111::/32", 48, 8075)]).state("45.60.10.0/24", 1) == "NotFound"


@pytest.mark.django_db
def test_indexed_query_and_prefix_tree_find_the_same_covering_vrps():
    rows = [("45.0.0.0/8", 32, 1), ("45.60.0.0/16", 24, 2), ("45.60.10.0/24", 24, 3)]
    rows += [("45.60.11.0/24", 24, 4), ("46.0.0.0/8", 24, 5)]
    for prefix, max_length, asn in rows:
        factories.VrpFactory(prefix=prefix, max_length=max_length, asn=asn)
    tree = VrpIndex.from_database()
    for prefix in ("45.60.10.0/24", "45.60.10.128/25", "45.60.0.0/16", "47.0.0.0/8"):
        assert sorted(map(str, covering_vrps(prefix))) == sorted(map(str, tree.covering(prefix)))
    assert {v.asn for v in covering_vrps("45.60.10.128/25")} == {1, 2, 3}
    states = rpki.VrpStates.from_database()
    for prefix, origin in (("45.60.10.128/25", 3), ("45.60.10.0/24", 2), ("47.0.0.0/8", 5)):
        assert states.state(prefix, origin) == tree.validate(prefix, origin).state


# --- reading exports ------------------------------------------------------------------------

RPKI_CLIENT = {
    "metadata": {"buildmachine": "rp1", "buildtime": "2026-11-30T08:04:49Z", "vrps": 3},
    "roas": [
        {"asn": 150001, "prefix": "45.60.0.0/16", "maxLength": 24, "ta": "arin", "expires": 1},
        {"asn": "AS0", "prefix": "45.61.0.0/16", "maxLength": 32, "ta": "arin"},
        {"asn": 8075, "prefix": "2a01:111::/32", "maxLength": 48, "ta": "arin"},
    ],
    "aspas": [{"customer_asid": 150001, "expires": 1, "providers": [59999, 3356]}],
}
ROUTINATOR_JSON = {
    "metadata": {"generated": 1764489600, "generatedTime": "2025-11-30T08:00:00Z"},
    "roas": [{"asn": "AS150001", "prefix": "45.60.0.0/16", "maxLength": 24, "ta": "arin"}],
}
ROUTINATOR_JSONEXT = {
    "metadata": {"generated": 1764489600, "generatedTime": "2025-11-30T08:00:00Z"},
    "roas": [
        {
            "asn": "AS150001",
            "prefix": "45.60.0.0/16",
            "maxLength": 24,
            "source": [{"type": "roa", "uri": "rsync://x/y.roa", "tal": "arin"}],
        }
    ],
    "aspas": [{"customer": "AS150001", "providers": ["AS59999"], "source": []}],
}


def test_reads_rpki_client_json():
    export = parse_vrp_export(RPKI_CLIENT)
    assert export.source == "rpki-client"
    assert export.build_time == datetime(2026, 11, 30, 8, 4, 49, tzinfo=UTC)
    assert [str(v) for v in export.vrps] == [
        "45.60.0.0/16-24 AS150001",
        "45.61.0.0/16-32 AS0",
        "2a01:111::/32-48 AS8075",
    ]
    assert export.aspas == {150001: [3356, 59999]}


@pytest.mark.parametrize(
    ("data", "source", "ta", "aspas"),
    [
        (ROUTINATOR_JSON, "routinator-json", "arin", {}),
        (ROUTINATOR_JSONEXT, "routinator-jsonext", "arin", {150001: [59999]}),
    ],
)
def test_reads_routinator_json_and_jsonext(data, source, ta, aspas):
    export = parse_vrp_export(data)
    assert export.source == source
    assert export.build_time == datetime(2025, 11, 30, 8, 0, tzinfo=UTC)
    assert [(str(v), v.trust_anchor) for v in export.vrps] == [("45.60.0.0/16-24 AS150001", ta)]
    assert export.aspas == aspas


@pytest.mark.parametrize(
    ("roa", "index"),
    [
        ({"asn": 1, "prefix": "45.60.0.1/16", "maxLength": 24}, 1),  # host bits
        ({"asn": 1, "prefix": "45.60.0.0/16", "maxLength": 8}, 1),  # maxLength < length
        ({"asn": 1, "prefix": "45.60.0.0/16", "maxLength": 33}, 1),
        ({"asn": "ASx", "prefix": "45.60.0.0/16", "maxLength": 24}, 1),
        ({"asn": 4294967296, "prefix": "45.60.0.0/16", "maxLength": 24}, 1),
        ({"prefix": "45.60.0.0/16"}, 1),
        ("45.60.0.0/16", 1),
    ],
)
def test_a_bad_vrp_refuses_the_export_naming_it(roa, index):
    data = {"roas": [{"asn": 1, "prefix": "45.0.0.0/8", "maxLength": 8}, roa]}
    with pytest.raises(ValidationError) as info:
        parse_vrp_export(data)
    assert info.value.messages[0].startswith(f"roas[{index}]: ")


@pytest.mark.parametrize("data", [[], {"metadata": {}}, {"roas": "x"}, "roas"])
def test_not_an_export(data):
    with pytest.raises(ValidationError, match="Not a VRP export"):
        parse_vrp_export(data)


# --- importing ------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    return factories.provider_world(roa=False)


@pytest.mark.django_db
def test_import_replaces_the_set_atomically_and_records_the_build_time(world, operator):
    factories.VrpFactory(prefix="99.0.0.0/8", asn=1)
    factories.AspaFactory(customer_asn=64999)
    vrp_set = vrps_import(data=RPKI_CLIENT, operator=operator, file_name="vrps.json")
    assert sorted(Vrp.objects.values_list("prefix", "max_length", "asn")) == [
        ("2a01:111::/32", 48, 8075),
        ("45.60.0.0/16", 24, 150001),
        ("45.61.0.0/16", 32, 0),
    ]
    assert list(Aspa.objects.values_list("customer_asn", "providers")) == [(150001, [3356, 59999])]
    assert (vrp_set.source, vrp_set.vrp_count, vrp_set.aspa_count) == ("rpki-client", 3, 1)
    assert vrp_set.build_time == datetime(2026, 11, 30, 8, 4, 49, tzinfo=UTC)
    assert vrp_set.imported_by == operator and vrp_set.file_name == "vrps.json"

    # A bad export changes nothing.
    broken = {"roas": [*RPKI_CLIENT["roas"], {"asn": 1, "prefix": "nope", "maxLength": 1}]}
    with pytest.raises(ValidationError):
        vrps_import(data=broken, operator=operator)
    assert Vrp.objects.count() == 3 and VrpSet.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("age", "stale"), [(timedelta(hours=23), False), (timedelta(hours=25), True)]
)
def test_a_set_older_than_24_hours_is_stale(operator, age, stale):
    built = (timezone.now() - age).isoformat()
    vrp_set = vrps_import(data={"metadata": {"buildtime": built}, "roas": []}, operator=operator)
    assert vrp_set.is_stale is stale


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "nobody"])
def test_only_operators_import_vrps(request, who):
    user = (
        factories.UserFactory(username="nobody")
        if who == "nobody"
        else request.getfixturevalue(who)
    )
    with pytest.raises(PermissionDenied):
        vrps_import(data=RPKI_CLIENT, operator=user)
    assert not Vrp.objects.exists()


@pytest.mark.django_db
def test_import_recomputes_route_states_and_revalidates_prefixes(
    world, operator, django_capture_on_commit_callbacks
):
    prefix = factories.PeeringServicePrefixFactory(
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        peering_service__backup_location="Ashburn",
        prefix=CUSTOMER_PREFIX,
        prefix_key=str(world.registered.prefix_key),
    )
    unrelated = factories.ReceivedRouteFactory(
        connection=world.primary_connections[0], prefix="99.1.0.0/16", as_path="59999 7"
    )
    # A ROA for another AS: the customer's routes become Invalid and the prefix Failed.
    wrong = {"roas": [{"asn": 150999, "prefix": "45.60.0.0/16", "maxLength": 24}]}
    with django_capture_on_commit_callbacks(execute=True):
        vrp_set = vrps_import(data=wrong, operator=operator)
    assert vrp_set.routes_changed == 3  # only the routes whose state changed were written
    assert set(
        ReceivedRoute.objects.filter(prefix=CUSTOMER_PREFIX).values_list(
            "rpki_validation_state", flat=True
        )
    ) == {"Invalid"}
    unrelated.refresh_from_db()
    assert unrelated.rpki_validation_state == "NotFound"
    prefix.refresh_from_db()
    assert prefix.validation_state == V.FAILED
    assert "45.60.0.0/16-24 AS150999 authorises AS150999, not AS150001" in prefix.error_message

    # The customer publishes its ROA: Valid, Verified.
    right = {"roas": [{"asn": CUSTOMER_ASN, "prefix": "45.60.0.0/16", "maxLength": 24}]}
    with django_capture_on_commit_callbacks(execute=True):
        vrps_import(data=right, operator=operator)
    prefix.refresh_from_db()
    assert prefix.validation_state == V.VERIFIED
    assert set(
        ReceivedRoute.objects.filter(prefix=CUSTOMER_PREFIX).values_list(
            "rpki_validation_state", flat=True
        )
    ) == {"Valid"}

    # Nothing changes: nothing is written and nothing re-validated.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert vrps_import(data=right, operator=operator).routes_changed == 0
    assert callbacks == []


# --- ASPA -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "aspas", "state"),
    [
        ([150001], {}, "Valid"),
        ([59999, 150001], {150001: {59999}}, "Valid"),
        ([59999, 59999, 150001, 150001], {150001: {59999}}, "Valid"),  # prepends collapse
        ([59999, 150001], {150001: {3356}}, "Invalid"),
        ([59999, 3356, 150001], {150001: {3356}}, "Unknown"),  # AS3356 has no ASPA
        ([59999, 3356, 150001], {150001: {3356}, 3356: {174}}, "Invalid"),
        ([59999, 3356, 150001], {150001: {3356}, 3356: {59999}}, "Valid"),
    ],
)
def test_aspa_upstream_verification(path, aspas, state):
    assert aspa_upstream_verify(path, aspas).state == state


# --- manage.py import_vrps ------------------------------------------------------------------


def run(*args, **options) -> str:
    out = StringIO()
    call_command("import_vrps", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.mark.django_db
def test_command_imports_and_warns_when_stale(operator, tmp_path):
    path = tmp_path / "vrps.json"
    path.write_text(json.dumps(RPKI_CLIENT))
    output = run(str(path))
    assert "3 VRPs and 1 ASPAs from rpki-client (built 2026-11-30T08:04:49+00:00)" in output
    assert Vrp.objects.count() == 3
    old = {**ROUTINATOR_JSON}
    path.write_text(json.dumps(old))
    assert "older than 24 hours" in run(str(path))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not JSON"), ('{"roas": [{"asn": 1}]}', "Nothing imported")],
)
def test_command_refuses_a_bad_file(operator, tmp_path, content, message):
    factories.VrpFactory()
    path = tmp_path / "vrps.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run(str(path))
    assert Vrp.objects.count() == 1


@pytest.mark.django_db
def test_command_needs_a_staff_operator(owner, tmp_path):
    path = tmp_path / "vrps.json"
    path.write_text(json.dumps(RPKI_CLIENT))
    with pytest.raises(CommandError, match="No staff user named 'owner'"):
        run(str(path), operator="owner")
    assert rpki.current_vrp_set() is None

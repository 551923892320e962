"""Prefix validation with evidence (issue 9): session rules (only Use-for-Peering-Service
connections count; product.md's minimums fail, a missing session above them warns), RPKI
decisions, ASNs named by what they are, overlap through the span index, the checklist stored per
run, a registered prefix's key checked against the registered prefix's origin, and the product's
scenarios end to end through the importers."""

import ipaddress
import json
import random

import pytest

from peering.enums import ConnectionState
from peering.models import Aspa, PrefixSpan, PrefixValidationState
from peering.services import prefix_validation as pv
from peering.services.prefix_validation import (
    MSG_AS_PATH_RESERVED,
    MSG_FEW_PRIMARY,
    MSG_NO_BACKUP,
    MSG_NOT_FROM_IP,
    MSG_ORIGIN,
    MSG_OVERLAP,
    prefix_evaluate,
    prefix_validate,
    registered_prefix_validate,
)
from peering.services.routes import received_routes_import_text
from peering.services.rpki import vrps_import
from tests import factories
from tests.factories import CUSTOMER_ASN, CUSTOMER_PREFIX, PROVIDER_ASN

V = PrefixValidationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.provider_world()


def evaluate(world, prefix=CUSTOMER_PREFIX, *, backup="Ashburn", key=None, exclude=None):
    return prefix_evaluate(
        prefix=prefix,
        provider=world.provider,
        key=str(world.registered.prefix_key) if key is None else key,
        primary_location="Seattle",
        backup_location=backup,
        exclude_prefix_id=exclude,
    )


def check(outcome, key):
    return next(c for c in outcome.checks if c.key == key)


def add_session(world, peering, facility, address, **fields):
    fields.setdefault("use_for_peering_service", True)
    fields.setdefault("connection_state", ConnectionState.ACTIVE)
    return factories.PeeringConnectionFactory(
        peering=peering,
        direct_facility=facility,
        peer_session_ipv4_address=address,
        microsoft_session_ipv4_address=address.rsplit(".", 1)[0] + ".250",
        session_prefix_v4=address.rsplit(".", 1)[0] + ".0/24",
        **fields,
    )


# --- sessions -------------------------------------------------------------------------------


def test_a_connection_not_used_for_peering_service_does_not_count(world):
    second = world.primary_connections[1]
    second.use_for_peering_service = False
    second.save()
    outcome = evaluate(world)
    assert (outcome.state, outcome.message) == (
        V.FAILED,
        MSG_FEW_PRIMARY.format(location="Seattle"),
    )
    evidence = check(outcome, "primary_sessions").evidence
    assert any("206.81.199.11" in e and "not used for Peering Service" in e for e in evidence), (
        evidence
    )


def test_a_missing_session_above_the_minimum_is_a_warning_naming_it(world):
    third = add_session(
        world, world.peering, world.primary_connections[0].direct_facility, "206.81.199.12"
    )
    outcome = evaluate(world)  # the third session announces nothing
    assert outcome.state == V.WARNING
    assert outcome.message == MSG_NOT_FROM_IP.format(ips="206.81.199.12", location="Seattle")
    assert check(outcome, "announced_primary").status == "warn"
    assert outcome.learned_type == "ViaServiceProvider"
    world.announce(connections=[third])
    assert evaluate(world).state == V.VERIFIED


def test_below_the_minimum_announcing_fails(world):
    add_session(world, world.peering, world.primary_connections[0].direct_facility, "206.81.199.12")
    world.primary_connections[1].received_routes.all().delete()
    outcome = evaluate(world)  # 1 of 3 primary sessions announces: fewer than two
    assert outcome.state == V.FAILED
    assert outcome.message == MSG_NOT_FROM_IP.format(
        ips="206.81.199.11, 206.81.199.12", location="Seattle"
    )


def test_backup_rules(world):
    backup_facility = world.backup_connections[0].direct_facility
    second_backup = add_session(world, world.backup_peering, backup_facility, "206.81.199.51")
    outcome = evaluate(world)  # one of two backup sessions announces: enough, with a warning
    assert outcome.state == V.WARNING
    assert outcome.message == MSG_NOT_FROM_IP.format(ips="206.81.199.51", location="Ashburn")
    world.backup_connections[0].received_routes.all().delete()
    outcome = evaluate(world)  # none announces at the backup: fails
    assert outcome.state == V.FAILED
    assert "206.81.199.50, 206.81.199.51" in outcome.message
    second_backup.use_for_peering_service = False
    second_backup.save()
    world.backup_connections[0].use_for_peering_service = False
    world.backup_connections[0].save()
    assert evaluate(world).message == MSG_NO_BACKUP.format(location="Ashburn")


# --- ASNs named by what they are ------------------------------------------------------------


@pytest.mark.parametrize(
    ("asn", "what", "rfc"),
    [
        (64496, "reserved for documentation and sample code", "RFC 5398"),
        (65551, "reserved for documentation and sample code", "RFC 5398"),
        (23456, "AS_TRANS, reserved for 2-byte/4-byte ASN interworking", "RFC 6793"),
        (65535, "reserved (the last 16-bit ASN)", "RFC 7300"),
    ],
)
def test_reserved_asns_are_named_correctly_not_private(world, asn, what, rfc):
    for connection in world.connections:
        connection.received_routes.all().delete()
    path = f"{PROVIDER_ASN} {asn} {CUSTOMER_ASN}"
    world.announce(as_path=path)
    outcome = evaluate(world)
    assert outcome.message == MSG_AS_PATH_RESERVED.format(asn=asn, what=what, rfc=rfc, path=path)
    assert "private" not in outcome.message


# --- RPKI and ASPA as evidence --------------------------------------------------------------


def test_rpki_evidence_names_vrps_and_the_routers_disagreement(world):
    route = world.primary_connections[0].received_routes.get()
    route.reported_rpki_state = "Invalid"
    route.save()
    evidence = check(evaluate(world), "rpki").evidence
    assert "Covering VRPs: 45.0.0.0/8-32 AS150001" in evidence
    assert any("the router reported Invalid — disagrees" in line for line in evidence)


def test_aspa_invalid_path_is_a_warning_with_evidence(world):
    factories.AspaFactory(customer_asn=CUSTOMER_ASN, providers=[3356])
    outcome = evaluate(world)
    assert outcome.state == V.WARNING
    assert outcome.message.startswith(f"The AS path {PROVIDER_ASN} {CUSTOMER_ASN} fails the ASPA")
    Aspa.objects.filter(customer_asn=CUSTOMER_ASN).update(providers=[PROVIDER_ASN])
    assert check(evaluate(world), "aspa").status == "pass"
    Aspa.objects.all().delete()
    assert check(evaluate(world), "aspa").status == "skip"


# --- overlap through the span index ---------------------------------------------------------


@pytest.mark.parametrize(
    ("other", "overlaps"),
    [("45.60.0.0/16", True), ("45.60.10.128/25", True), ("45.60.11.0/24", False)],
)
def test_overlap_uses_the_span_index(world, other, overlaps):
    held = factories.PeeringServicePrefixFactory(prefix=other, validation_state=V.VERIFIED)
    assert PrefixSpan.objects.get(prefix=held).cidr == other
    outcome = evaluate(world)
    assert (outcome.message == MSG_OVERLAP.format(prefix=CUSTOMER_PREFIX)) is overlaps
    assert evaluate(world, exclude=held.pk).state == V.VERIFIED


@pytest.mark.parametrize("seed", range(4))
def test_the_overlap_lookup_matches_a_brute_force_reference(seed):
    """Held spans of several lengths (covering spans are looked up at the lengths the stored
    spans have, the ones inside by range): the batch's answer is the brute-force one."""
    rng = random.Random(seed)

    def network():  # inside 45.60.0.0/16, so that they often overlap
        length = rng.choice([18, 20, 22, 23, 24, 24, 25, 26, 28, 32])
        return ipaddress.ip_network((0x2D3C0000 | rng.getrandbits(16), length), strict=False)

    service = factories.PeeringServiceFactory()
    stored = []
    for index in range(40):
        held = network()
        state = rng.choice([V.VERIFIED, V.WARNING, V.FAILED, V.PENDING])
        factories.PeeringServicePrefixFactory(
            peering_service=service,
            name=f"p{index}",
            prefix=held.with_prefixlen,
            validation_state=state,
        )
        stored.append((held, state))
    batch = [network() for _ in range(30)]
    subjects = [pv.Subject(n.with_prefixlen, service.provider, "", "Seattle") for n in batch]
    pre = pv.Preloaded(subjects)
    found = set()
    for candidate in batch:
        held = [h for h, state in stored if state in (V.VERIFIED, V.WARNING)]
        expected = any(candidate.overlaps(h) for h in held)
        assert pre.overlaps(candidate, None) is expected, candidate
        covered = any(candidate.subnet_of(h) and candidate != h for h in held)
        found.add((expected, covered))
    # Both answers, and prefixes covered by a larger held one, were tried.
    assert {(False, False), (True, True)} <= found


def test_spans_are_only_for_ipv4_prefixes():
    factories.PeeringServicePrefixFactory(prefix="2001:db8::/32")
    factories.PeeringServicePrefixFactory(prefix="garbage")
    assert not PrefixSpan.objects.exists()


# --- the checklist is stored per run ----------------------------------------------------------


def test_each_run_stores_every_check_in_order(world):
    prefix = factories.PeeringServicePrefixFactory(
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        peering_service__backup_location="Ashburn",
        prefix=CUSTOMER_PREFIX,
        prefix_key=str(world.registered.prefix_key),
    )
    prefix_validate(prefix_id=prefix.pk)
    run = prefix.validation_runs.get()
    assert run.state == V.VERIFIED
    assert [c["key"] for c in run.checks] == [
        "format",
        "range",
        "key",
        "overlap",
        "primary_sessions",
        "backup_sessions",
        "received",
        "origin",
        "private_asn",
        "prepending",
        "path_length",
        "community",
        "announced_primary",
        "announced_backup",
        "rpki",
        "aspa",
    ]
    assert {c["status"] for c in run.checks} <= {"pass", "skip"}
    sessions = next(c for c in run.checks if c["key"] == "primary_sessions")["evidence"]
    assert any("Seattle" in e and "206.81.199.10" in e and "announcing" in e for e in sessions)
    received = next(c for c in run.checks if c["key"] == "received")["evidence"]
    assert any(
        f"AS path {PROVIDER_ASN} {CUSTOMER_ASN}; communities 8075:8007" in e for e in received
    )
    for _ in range(pv.RUNS_KEPT + 2):
        prefix_validate(prefix_id=prefix.pk)
    assert prefix.validation_runs.count() == pv.RUNS_KEPT


def test_a_registered_prefix_key_checks_the_origin_of_the_registered_prefix():
    isp = factories.isp_world()
    registered = isp.registered_prefix
    isp.announce("45.70.0.0/16", connections=isp.primary_connections, origin_as=150003)
    isp.announce(
        "45.70.1.0/24",
        connections=isp.primary_connections,
        origin_as=150004,
        as_path="59998 150004",
    )
    factories.VrpFactory(asn=150004, prefix="45.70.1.0/24", max_length=24)
    outcome = prefix_evaluate(
        prefix="45.70.1.0/24",
        provider=isp.provider,
        key=str(registered.prefix_key),
        primary_location="Seattle",
    )
    assert outcome.state == V.FAILED
    assert outcome.message == MSG_ORIGIN.format(
        prefix="45.70.1.0/24", actual=150004, expected=150003
    )
    registered_prefix_validate(registered_prefix_id=registered.pk)
    assert registered.validation_runs.get().state == V.VERIFIED


# --- the product's scenarios, end to end ----------------------------------------------------


def jsonl(*routes) -> str:
    return "\n".join(json.dumps(r) for r in routes)


def test_scenario_a_customer_prefix_from_import_to_verified_and_back(
    operator, django_capture_on_commit_callbacks
):
    """Contoso IX announces Fabrikam's prefix on every session; the VRPs arrive; a hijack by
    another origin shows up as an origin change and RPKI Invalid; it is withdrawn again."""
    world = factories.provider_world(announce=False, roa=False)
    prefix = factories.PeeringServicePrefixFactory(
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        peering_service__backup_location="Ashburn",
        prefix=CUSTOMER_PREFIX,
        prefix_key=str(world.registered.prefix_key),
    )

    def announce(connection, origin=CUSTOMER_ASN):
        route = {
            "prefix": CUSTOMER_PREFIX,
            "next_hop": connection.peer_session_ipv4_address,
            "as_path": f"{PROVIDER_ASN} {origin}",
            "communities": ["8075:8007", "8075:8007:0"],
            "rpki_validation_state": "Valid",
        }
        with django_capture_on_commit_callbacks(execute=True):
            received_routes_import_text(text=jsonl(route), operator=operator, connection=connection)
        prefix.refresh_from_db()

    for connection in world.connections:
        announce(connection)
    # No VRPs yet: no ROA covers the prefix — a warning, whatever the router claimed.
    assert prefix.validation_state == V.WARNING
    assert prefix.error_message.startswith(f"No ROA covers {CUSTOMER_PREFIX}")

    roa = {
        "metadata": {"buildtime": "2026-12-01T06:00:00Z"},
        "roas": [{"asn": CUSTOMER_ASN, "prefix": "45.60.0.0/16", "maxLength": 24, "ta": "arin"}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        vrps_import(data=roa, operator=operator)
    prefix.refresh_from_db()
    assert prefix.validation_state == V.VERIFIED
    run = prefix.validation_runs.first()
    assert next(c for c in run.checks if c["key"] == "rpki")["status"] == "pass"

    # Another AS originates the prefix on one primary session.
    announce(world.primary_connections[1], origin=150999)
    assert prefix.validation_state == V.FAILED
    assert prefix.error_message == MSG_ORIGIN.format(
        prefix=CUSTOMER_PREFIX, actual=150999, expected=CUSTOMER_ASN
    )
    rpki_evidence = next(c for c in prefix.validation_runs.first().checks if c["key"] == "rpki")
    assert rpki_evidence["status"] == "fail"
    assert prefix.events.filter(event_type="PrefixOriginAsChangeEvent").exists()
    route = world.primary_connections[1].received_routes.get()
    assert (route.rpki_validation_state, route.reported_rpki_state, route.rpki_disagrees) == (
        "Invalid",
        "Valid",
        True,
    )
    assert route.large_communities == ["8075:8007:0"]

    # Fixed: Verified again.
    announce(world.primary_connections[1])
    assert prefix.validation_state == V.VERIFIED


# --- batches: a fixed number of queries, the same answers as one by one ----------------------


def customer_prefixes(world, prefixes):
    service = factories.PeeringServiceFactory(
        provider=world.provider, primary_location="Seattle", backup_location="Ashburn"
    )
    return [
        factories.PeeringServicePrefixFactory(
            peering_service=service,
            name=f"p{n}",
            prefix=prefix,
            prefix_key=str(world.registered.prefix_key),
        )
        for n, prefix in enumerate(prefixes)
    ]


def test_a_batch_decides_overlaps_as_one_by_one_would(world):
    first, second = customer_prefixes(world, [CUSTOMER_PREFIX, "45.60.10.0/25"])
    world.announce("45.60.10.0/25")
    pv.prefixes_validate(prefix_ids=[first.pk, second.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.validation_state == V.VERIFIED
    assert (second.validation_state, second.error_message) == (
        V.FAILED,
        MSG_OVERLAP.format(prefix="45.60.10.0/25"),
    )


def test_batch_queries_do_not_grow_with_the_batch(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(count, offset):
        prefixes = [f"45.61.{offset + n}.0/24" for n in range(count)]
        for prefix in prefixes:
            world.announce(prefix)
        ids = [r.pk for r in customer_prefixes(world, prefixes)]
        pv.prefixes_validate(prefix_ids=ids)  # Pending → Verified: one notification each
        with CaptureQueriesContext(connection) as ctx:
            validated = pv.prefixes_validate(prefix_ids=ids)  # again: nothing to announce
        assert {p.validation_state for p in validated} == {V.VERIFIED}
        return len(ctx.captured_queries)

    assert queries(2, 0) == queries(40, 10)


def test_a_batch_announces_every_change_in_queries_that_do_not_grow(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.models import ActivityLog, Notification, Role

    def announced(count, offset):
        prefixes = [f"45.62.{offset + n}.0/24" for n in range(count)]
        for prefix in prefixes:
            world.announce(prefix)
        stored = customer_prefixes(world, prefixes)
        subscription = stored[0].peering_service.subscription
        members = [factories.UserFactory() for _ in range(2)]
        for member in members:
            factories.RoleAssignmentFactory(user=member, subscription=subscription, role=Role.OWNER)
        with CaptureQueriesContext(connection) as ctx:
            pv.prefixes_validate(prefix_ids=[p.pk for p in stored])  # Pending → Verified
        # Each change notifies every member and logs one entry, as one by one would.
        for member in members:
            assert sorted(
                Notification.objects.filter(user=member).values_list("title", flat=True)
            ) == sorted(f"Prefix {p.name} ({p.prefix}) Verified" for p in stored)
        entries = ActivityLog.objects.filter(resource_id__in=[p.resource_id for p in stored])
        assert entries.count() == count
        assert {(e.status, e.caller) for e in entries} == {("Succeeded", "Microsoft.Peering")}
        return len(ctx.captured_queries)

    assert announced(2, 0) == announced(40, 10)

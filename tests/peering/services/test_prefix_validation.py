"""Prefix validation (product.md §3.10): every check alone, passing and failing, with its message.

The world (tests.factories.provider_world): provider "Contoso IX" (AS59999) with a route-server
peering in Seattle (two Active connections, peers 206.81.199.10 and .11) and one in Ashburn (one
Active connection, peer 206.81.199.50); Fabrikam's AS150001 is registered on it; 45.60.10.0/24 is
received on all three connections with AS path "59999 150001" and community 8075:8007.
"""

import hmac

import pytest

from peering.enums import ConnectionState
from peering.models import LearnedType, PrefixValidationState
from peering.services import prefix_validation as pv
from peering.services.prefix_validation import (
    MSG_AS_PATH_LONG,
    MSG_AS_PATH_PREPEND,
    MSG_AS_PATH_PRIVATE,
    MSG_COMMUNITY,
    MSG_FEW_PRIMARY,
    MSG_FORMAT,
    MSG_KEY,
    MSG_NO_BACKUP,
    MSG_NOT_FROM_IP,
    MSG_NOT_RECEIVED,
    MSG_ORIGIN,
    MSG_OVERLAP,
    MSG_PRIVATE,
    MSG_RPKI_INVALID,
    MSG_RPKI_NOT_FOUND,
    match_key,
    parse_public_ipv4,
    prefix_evaluate,
    prefix_validate,
    registered_prefix_validate,
)
from portal.models import ActivityLog, Notification
from tests import factories
from tests.factories import CUSTOMER_ASN, CUSTOMER_PREFIX, PROVIDER_ASN

V = PrefixValidationState
pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return factories.provider_world()


def evaluate(world, prefix=CUSTOMER_PREFIX, *, key=None, primary="Seattle", backup="Ashburn"):
    return prefix_evaluate(
        prefix=prefix,
        provider=world.provider,
        key=str(world.registered.prefix_key) if key is None else key,
        primary_location=primary,
        backup_location=backup,
    )


def assert_outcome(outcome, state, message, learned=LearnedType.NONE):
    assert (outcome.state, outcome.message, outcome.learned_type) == (state, message, learned)


def clear_routes(world):
    for connection in world.connections:
        connection.received_routes.all().delete()


# --- all good -------------------------------------------------------------------------------


def test_all_checks_pass_verified_via_service_provider(world):
    outcome = evaluate(world)
    assert_outcome(outcome, V.VERIFIED, "", LearnedType.VIA_SERVICE_PROVIDER)
    assert outcome.registered_asn == world.registered
    assert outcome.registered_prefix is None


def test_without_backup_location_the_primary_suffices(world):
    clear_routes(world)
    world.announce(connections=world.primary_connections)
    assert evaluate(world, backup="").state == V.VERIFIED


def test_a_more_specific_prefix_of_the_customer_is_judged_by_its_own_routes(world):
    world.announce("45.60.11.0/24")
    assert evaluate(world, "45.60.11.0/24").state == V.VERIFIED
    assert evaluate(world, "45.60.12.0/24").state == V.FAILED  # not received


# --- format ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    [
        "2001:db8::/32",
        "2a01:111::/32",
        "45.60.10.1/24",
        "45.60.11.0/23",
        "45.60.10.0",
        "45.60.10.0/33",
        "garbage",
        "",
        "45.60.10.0/24; DROP TABLE",
        "045.060.010.000/24",
    ],
    ids=[
        "ipv6-doc",
        "ipv6",
        "host-bits",
        "host-bits-23",
        "no-length",
        "length-33",
        "garbage",
        "empty",
        "trailing-junk",
        "leading-zeros",
    ],
)
def test_invalid_format_is_invalid(world, prefix):
    assert_outcome(evaluate(world, prefix), V.INVALID, MSG_FORMAT)


def test_valid_format_passes_the_format_check(world):
    network, problem = parse_public_ipv4(" 45.60.10.0/24 ")
    assert problem is None and str(network) == CUSTOMER_PREFIX


# --- private and reserved -------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    [
        "10.0.0.0/8",
        "10.1.2.0/24",
        "172.16.0.0/12",
        "192.168.1.0/24",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
        "192.0.0.0/29",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "239.1.2.0/24",
        "240.0.0.0/4",
        "255.255.255.255/32",
    ],
)
def test_private_or_reserved_is_invalid(world, prefix):
    assert_outcome(evaluate(world, prefix), V.INVALID, MSG_PRIVATE.format(prefix=prefix))


@pytest.mark.parametrize(
    "prefix", ["0.0.0.0/0", "100.0.0.0/8", "198.0.0.0/8", "96.0.0.0/4", "192.0.0.0/24"]
)
def test_a_prefix_containing_a_reserved_range_is_invalid(world, prefix):
    network, problem = parse_public_ipv4(prefix)
    assert network is None
    assert problem == MSG_PRIVATE.format(prefix=prefix)


@pytest.mark.parametrize("prefix", ["45.60.10.0/24", "8.8.8.0/24", "1.1.1.0/24", "45.60.10.128/25"])
def test_public_prefixes_pass_the_range_check(prefix):
    network, problem = parse_public_ipv4(prefix)
    assert problem is None and network.with_prefixlen == prefix


# --- the key --------------------------------------------------------------------------------


def test_unknown_key_and_another_providers_key_give_the_same_answer(world):
    other = factories.provider_world(
        name="Northwind Exchange", provider_asn=63999, customer_asn=150002
    )
    unknown = evaluate(world, key="6f1c2a55-0000-4000-8000-000000000000")
    foreign = evaluate(world, key=str(other.registered.prefix_key))
    not_a_guid = evaluate(world, key="not-a-key")
    empty = evaluate(world, key="")
    expected = MSG_KEY.format(provider="Contoso IX")
    for outcome in (unknown, foreign, not_a_guid, empty):
        assert_outcome(outcome, V.INVALID, expected)
    assert unknown.message == foreign.message
    assert (unknown.state, unknown.learned_type) == (foreign.state, foreign.learned_type)
    assert foreign.registered_asn is None and foreign.registered_prefix is None
    # And the other provider's key works for its own provider.
    assert (
        prefix_evaluate(
            prefix=CUSTOMER_PREFIX,
            provider=other.provider,
            key=str(other.registered.prefix_key),
            primary_location="Seattle",
        ).message
        != expected
    )


@pytest.mark.parametrize(
    "typed",
    [
        lambda k: k.upper(),
        lambda k: f"  {k} ",
        lambda k: "{" + k + "}",
        lambda k: k.replace("-", ""),
    ],
    ids=["upper", "spaces", "braces", "no-dashes"],
)
def test_key_is_accepted_in_its_usual_spellings(world, typed):
    assert evaluate(world, key=typed(str(world.registered.prefix_key))).state == V.VERIFIED


def test_key_of_a_registered_asn_on_a_non_service_peering_does_not_count(world):
    # An Exchange (not Direct) peering of the same ASN is not a Peering Service peering.
    exchange_peering = factories.PeeringFactory(
        subscription=world.subscription,
        peer_asn=world.peer_asn,
        kind="Exchange",
        sku_name="Basic_Exchange_Free",
        direct_peering_type="",
    )
    registered = factories.RegisteredAsnFactory(peering=exchange_peering, asn=150077)
    assert_outcome(
        evaluate(world, key=str(registered.prefix_key)),
        V.INVALID,
        MSG_KEY.format(provider="Contoso IX"),
    )


@pytest.fixture
def isp():
    """An ISP provider (AS59998) with a Direct Edge Peering Service peering in Seattle and a
    registered prefix 45.70.0.0/16 received on both connections."""
    world = factories.provider_world(
        name="Kordia Test",
        provider_asn=59998,
        customer_asn=150003,
        direct_peering_type="Edge",
        announce=False,
    )
    world.registered_prefix = factories.RegisteredPrefixFactory(
        peering=world.peering, name="isp-block", prefix="45.70.0.0/16"
    )
    return world


@pytest.mark.parametrize(
    ("prefix", "covered"),
    [
        ("45.70.1.0/24", True),
        ("45.70.0.0/16", True),
        ("45.70.255.128/25", True),
        ("45.71.0.0/24", False),
        ("45.0.0.0/8", False),
    ],
)
def test_registered_prefix_key_works_only_for_prefixes_it_covers(isp, prefix, covered):
    isp.announce(prefix, connections=isp.primary_connections, origin_as=150003)
    outcome = prefix_evaluate(
        prefix=prefix,
        provider=isp.provider,
        key=str(isp.registered_prefix.prefix_key),
        primary_location="Seattle",
    )
    if covered:
        assert_outcome(outcome, V.VERIFIED, "", LearnedType.VIA_SERVICE_PROVIDER)
        assert outcome.registered_prefix == isp.registered_prefix
    else:
        assert_outcome(outcome, V.INVALID, MSG_KEY.format(provider="Kordia Test"))
        assert outcome.registered_prefix is None


# --- overlap --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("other", "state", "overlaps"),
    [
        ("45.60.0.0/16", V.VERIFIED, True),
        ("45.60.10.128/25", V.WARNING, True),
        # Someone else's unvalidated or failed copy holds no place.
        ("45.60.10.0/24", V.PENDING, False),
        ("45.60.10.128/25", V.FAILED, False),
        ("45.60.11.0/24", V.VERIFIED, False),
        ("45.60.10.0/24", V.INVALID, False),
        ("2001:db8::/32", V.VERIFIED, False),
        ("not a prefix", V.VERIFIED, False),
    ],
    ids=[
        "covering",
        "inside-warning",
        "same-pending",
        "inside-failed",
        "neighbour",
        "invalid-ignored",
        "v6",
        "junk",
    ],
)
def test_overlap_with_another_peering_service_prefix_fails(world, other, state, overlaps):
    factories.PeeringServicePrefixFactory(prefix=other, validation_state=state)
    outcome = evaluate(world)
    if overlaps:
        assert_outcome(outcome, V.FAILED, MSG_OVERLAP.format(prefix=CUSTOMER_PREFIX))
    else:
        assert outcome.state == V.VERIFIED


def test_a_prefix_does_not_overlap_itself(world):
    own = factories.PeeringServicePrefixFactory(prefix=CUSTOMER_PREFIX)
    outcome = prefix_evaluate(
        prefix=CUSTOMER_PREFIX,
        provider=world.provider,
        key=str(world.registered.prefix_key),
        primary_location="Seattle",
        backup_location="Ashburn",
        exclude_prefix_id=own.pk,
    )
    assert outcome.state == V.VERIFIED


def test_a_failed_copy_by_someone_else_does_not_knock_out_a_verified_prefix(world):
    victim = factories.PeeringServicePrefixFactory(
        peering_service__provider=world.provider,
        peering_service__backup_location="Ashburn",
        prefix=CUSTOMER_PREFIX,
        prefix_key=str(world.registered.prefix_key),
    )
    assert prefix_validate(prefix_id=victim.pk).validation_state == V.VERIFIED
    # Another tenant adds the same prefix (with any valid key of the provider): it fails.
    factories.PeeringServicePrefixFactory(prefix=CUSTOMER_PREFIX, validation_state=V.FAILED)
    # The victim's next re-validation (e.g. after a route import) should keep it Verified.
    assert prefix_validate(prefix_id=victim.pk).validation_state == V.VERIFIED


# --- sessions at the locations --------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "passes"),
    [
        (ConnectionState.ACTIVE, True),
        (ConnectionState.PROVISIONING_STARTED, False),
        (ConnectionState.VALIDATING, False),
        (ConnectionState.PENDING_REMOVE, False),
        (ConnectionState.EXTERNAL_BLOCKER, False),
    ],
)
def test_fewer_than_two_active_sessions_at_the_primary_fails(world, state, passes):
    second = world.primary_connections[1]
    second.connection_state = state
    second.save()
    outcome = evaluate(world)
    if passes:
        assert outcome.state == V.VERIFIED
    else:
        assert_outcome(outcome, V.FAILED, MSG_FEW_PRIMARY.format(location="Seattle"))


def test_primary_location_without_any_session_fails(world):
    assert_outcome(
        evaluate(world, primary="Tokyo", backup=""),
        V.FAILED,
        MSG_FEW_PRIMARY.format(location="Tokyo"),
    )


def test_sessions_of_another_provider_at_the_primary_do_not_count(world):
    second = world.primary_connections[1]
    second.connection_state = ConnectionState.PROVISIONING_STARTED
    second.save()
    factories.provider_world(name="Northwind Exchange", provider_asn=63999, customer_asn=150002)
    assert_outcome(evaluate(world), V.FAILED, MSG_FEW_PRIMARY.format(location="Seattle"))


@pytest.mark.parametrize(
    ("backup", "state", "expected"),
    [
        ("Ashburn", ConnectionState.ACTIVE, None),
        ("", ConnectionState.ACTIVE, None),
        ("Ashburn", ConnectionState.PROVISIONING_COMPLETED, "Ashburn"),
        ("Chicago", ConnectionState.ACTIVE, "Chicago"),
    ],
)
def test_no_session_at_the_backup_location_fails(world, backup, state, expected):
    connection = world.backup_connections[0]
    connection.connection_state = state
    connection.save()
    outcome = evaluate(world, backup=backup)
    if expected is None:
        assert outcome.state == V.VERIFIED
    else:
        assert_outcome(outcome, V.FAILED, MSG_NO_BACKUP.format(location=expected))


# --- the routes -----------------------------------------------------------------------------


def test_prefix_not_received_fails(world):
    clear_routes(world)
    message = MSG_NOT_RECEIVED.format(
        prefix=CUSTOMER_PREFIX, provider="Contoso IX", origin=f" with origin AS{CUSTOMER_ASN}"
    )
    assert_outcome(evaluate(world), V.FAILED, message)
    assert "Microsoft does not receive 45.60.10.0/24 from Contoso IX with origin AS150001" in (
        message
    )


def test_routes_received_only_outside_the_chosen_locations_do_not_count(world):
    clear_routes(world)
    elsewhere = factories.PeeringFactory(
        subscription=world.subscription,
        peer_asn=world.peer_asn,
        peering_location=factories.PeeringLocationFactory(name="Chicago"),
    )
    connection = factories.PeeringConnectionFactory(
        peering=elsewhere, connection_state=ConnectionState.ACTIVE
    )
    world.announce(connections=[connection])
    assert evaluate(world).message.startswith("Prefix not received from the provider")


@pytest.mark.parametrize(("origin", "passes"), [(CUSTOMER_ASN, True), (150999, False)])
def test_wrong_origin_fails(world, origin, passes):
    clear_routes(world)
    world.announce(origin_as=origin)
    outcome = evaluate(world)
    if passes:
        assert outcome.state == V.VERIFIED
    else:
        assert_outcome(
            outcome,
            V.FAILED,
            MSG_ORIGIN.format(prefix=CUSTOMER_PREFIX, actual=150999, expected=CUSTOMER_ASN),
        )


def test_wrong_origin_on_one_session_only_fails(world):
    clear_routes(world)
    world.announce(connections=world.connections[:2])
    world.announce(connections=world.connections[2:], origin_as=150999)
    assert evaluate(world).message == MSG_ORIGIN.format(
        prefix=CUSTOMER_PREFIX, actual=150999, expected=CUSTOMER_ASN
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (f"{CUSTOMER_ASN}", None),
        (f"{PROVIDER_ASN} {CUSTOMER_ASN}", None),
        (f"{PROVIDER_ASN} 3356 {CUSTOMER_ASN}", None),
        (f"{PROVIDER_ASN} 3356 1299 {CUSTOMER_ASN}", MSG_AS_PATH_LONG),
        (f"{PROVIDER_ASN} 64512 {CUSTOMER_ASN}", MSG_AS_PATH_PRIVATE),
        (f"{PROVIDER_ASN} 4200000001 {CUSTOMER_ASN}", MSG_AS_PATH_PRIVATE),
        (f"{PROVIDER_ASN} {CUSTOMER_ASN} {CUSTOMER_ASN}", MSG_AS_PATH_PREPEND),
        (f"{PROVIDER_ASN} {PROVIDER_ASN} {CUSTOMER_ASN}", MSG_AS_PATH_PREPEND),
    ],
    ids=["origin-only", "two", "three", "four", "private-16", "private-32", "prepend", "prepend2"],
)
def test_as_path_rules(world, path, message):
    clear_routes(world)
    world.announce(as_path=path)
    outcome = evaluate(world)
    if message is None:
        assert outcome.state == V.VERIFIED
        return
    # The offending ASN is the second one in every failing path above.
    assert_outcome(outcome, V.FAILED, message.format(asn=path.split()[1], path=path))


def test_as_path_problem_on_the_backup_session_alone_fails(world):
    backup_route = world.backup_connections[0].received_routes.get()
    backup_route.as_path = f"{PROVIDER_ASN} 64512 {CUSTOMER_ASN}"
    backup_route.save()
    assert evaluate(world).state == V.FAILED
    assert evaluate(world, backup="").state == V.VERIFIED


@pytest.mark.parametrize(
    ("communities", "passes"),
    [
        (["8075:8007"], True),
        (["59999:100", "8075:8007"], True),
        ([], False),
        (["8075:8008"], False),
        (["8007:8075"], False),
    ],
)
def test_missing_maps_community_fails(world, communities, passes):
    clear_routes(world)
    world.announce(connections=world.connections[:1], communities=communities)
    world.announce(connections=world.connections[1:])
    outcome = evaluate(world)
    if passes:
        assert outcome.state == V.VERIFIED
    else:
        first = world.primary_connections[0]
        assert_outcome(
            outcome,
            V.FAILED,
            MSG_COMMUNITY.format(next_hop=first.peer_session_ipv4_address, location="Seattle"),
        )
        assert "8075:8007" in outcome.message


def test_not_announced_on_every_primary_session_fails_naming_the_ips(world):
    clear_routes(world)
    first, second = world.primary_connections
    world.announce(connections=[first, *world.backup_connections])
    outcome = evaluate(world)
    assert_outcome(
        outcome,
        V.FAILED,
        MSG_NOT_FROM_IP.format(ips=second.peer_session_ipv4_address, location="Seattle"),
    )
    assert second.peer_session_ipv4_address in outcome.message
    assert first.peer_session_ipv4_address not in outcome.message


def test_not_announced_on_the_backup_session_fails_naming_the_ip(world):
    clear_routes(world)
    world.announce(connections=world.primary_connections)
    backup = world.backup_connections[0]
    assert_outcome(
        evaluate(world),
        V.FAILED,
        MSG_NOT_FROM_IP.format(ips=backup.peer_session_ipv4_address, location="Ashburn"),
    )


def test_not_announced_names_every_missing_ip(world):
    third = factories.PeeringConnectionFactory(
        peering=world.peering,
        direct_facility=world.primary_connections[0].direct_facility,
        connection_state=ConnectionState.ACTIVE,
        # Only connections used for Peering Service count (issue 9).
        use_for_peering_service=True,
        peer_session_ipv4_address="206.81.199.12",
        microsoft_session_ipv4_address="206.81.199.112",
        session_prefix_v4="206.81.199.0/24",
    )
    clear_routes(world)
    world.announce(connections=[world.primary_connections[0], *world.backup_connections])
    message = evaluate(world).message
    assert message == MSG_NOT_FROM_IP.format(
        ips=f"{world.primary_connections[1].peer_session_ipv4_address}, "
        f"{third.peer_session_ipv4_address}",
        location="Seattle",
    )


# Changed with issue 9: the RPKI state is computed from the imported VRPs (RFC 6811), not copied
# from the route, and Invalid fails (a ROA exists and contradicts the route) instead of warning
# "publish a ROA".
def test_rpki_not_found_is_a_warning(world):
    from peering.models import Vrp

    Vrp.objects.all().delete()
    outcome = evaluate(world)
    assert_outcome(
        outcome,
        V.WARNING,
        MSG_RPKI_NOT_FOUND.format(prefix=CUSTOMER_PREFIX, origin=f"AS{CUSTOMER_ASN}"),
        LearnedType.VIA_SERVICE_PROVIDER,
    )
    assert outcome.registered_asn == world.registered


def test_rpki_invalid_fails_naming_the_vrp(world):
    from peering.models import Vrp

    Vrp.objects.all().delete()
    factories.VrpFactory(asn=150999, prefix="45.60.0.0/16", max_length=24)
    outcome = evaluate(world)
    assert outcome.state == V.FAILED
    assert outcome.message == MSG_RPKI_INVALID.format(
        reason="45.60.0.0/16-24 AS150999 authorises AS150999, not AS150001"
    )


@pytest.mark.parametrize("reported", ["Invalid", "NotFound", "Unknown", "None"])
def test_the_routers_reported_state_does_not_decide(world, reported):
    route = world.primary_connections[1].received_routes.get()
    route.reported_rpki_state = reported
    route.save()
    outcome = evaluate(world)
    assert outcome.state == V.VERIFIED
    rpki_check = next(c for c in outcome.checks if c.key == "rpki")
    assert any(f"the router reported {reported}" in line for line in rpki_check.evidence)


def test_checks_run_in_order_first_failure_decides(world):
    """A prefix failing several checks reports the earliest one."""
    second = world.primary_connections[1]
    second.connection_state = ConnectionState.VALIDATING
    second.save()
    clear_routes(world)  # also not received
    assert evaluate(world, "10.0.0.0/8").message == MSG_PRIVATE.format(prefix="10.0.0.0/8")
    assert evaluate(world, key="nope").message == MSG_KEY.format(provider="Contoso IX")
    assert evaluate(world).message == MSG_FEW_PRIMARY.format(location="Seattle")


# --- key secrecy ----------------------------------------------------------------------------


@pytest.fixture
def compare_spy(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(pv.hmac, "compare_digest", spy)
    return calls


@pytest.mark.parametrize("which", ["first", "last", "unknown", "garbage"])
def test_match_key_compares_every_key_of_the_provider_in_constant_time(world, compare_spy, which):
    more = [factories.RegisteredAsnFactory(peering=world.peering, asn=150100 + i) for i in range(3)]
    edge = factories.PeeringFactory(
        subscription=world.subscription,
        peer_asn=world.peer_asn,
        peering_location=world.peering.peering_location,
        direct_peering_type="Edge",
    )
    registered_prefix = factories.RegisteredPrefixFactory(peering=edge, prefix="45.80.0.0/16")
    factories.provider_world(name="Northwind Exchange", provider_asn=63999, customer_asn=150002)
    keys = [str(r.prefix_key) for r in [world.registered, *more, registered_prefix]]
    typed = {
        "first": keys[0],
        "last": keys[-1],
        "unknown": "6f1c2a55-0000-4000-8000-000000000000",
        "garbage": "'; --",
    }[which]

    found_asn, found_prefix = match_key(provider=world.provider, key=typed)

    # Changed with issue 9: the candidate is found by the key's unique index, restricted to
    # this provider, then compared in constant time — one comparison per kind (registered ASN,
    # registered prefix) whatever matched, against the candidate or a stand-in.
    assert len(compare_spy) == 2
    assert all(a.decode() in keys or a == pv._NO_KEY for a, _ in compare_spy)
    assert all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in compare_spy)
    if which == "first":
        assert (found_asn, found_prefix) == (world.registered, None)
    elif which == "last":
        assert (found_asn, found_prefix) == (None, registered_prefix)
    else:
        assert (found_asn, found_prefix) == (None, None)


def test_provider_without_asn_matches_nothing(world):
    world.provider.asn = None
    world.provider.save()
    assert match_key(provider=world.provider, key=str(world.registered.prefix_key)) == (None, None)


# --- prefix_validate: recording the outcome -------------------------------------------------


@pytest.fixture
def customer(region):
    from portal.models import Role

    subscription = factories.SubscriptionFactory(display_name="Fabrikam")
    user = factories.UserFactory(username="customer")
    factories.RoleAssignmentFactory(user=user, subscription=subscription, role=Role.OWNER)
    return user, subscription


def stored_prefix(world, customer, *, key=None, prefix=CUSTOMER_PREFIX, backup="Ashburn"):
    _, subscription = customer
    return factories.PeeringServicePrefixFactory(
        peering_service__subscription=subscription,
        peering_service__provider=world.provider,
        peering_service__primary_location="Seattle",
        peering_service__backup_location=backup,
        prefix=prefix,
        prefix_key=str(world.registered.prefix_key) if key is None else key,
    )


def test_prefix_validate_records_verified_and_notifies(world, customer):
    user, subscription = customer
    prefix = stored_prefix(world, customer)
    assert prefix.validation_state == V.PENDING

    result = prefix_validate(prefix_id=prefix.pk)

    prefix.refresh_from_db()
    assert result.pk == prefix.pk
    assert prefix.validation_state == V.VERIFIED
    assert prefix.learned_type == LearnedType.VIA_SERVICE_PROVIDER
    assert prefix.error_message == ""
    assert prefix.validated_at is not None
    assert prefix.registered_asn == world.registered
    note = Notification.objects.get(user=user)
    assert note.title == f"Prefix {prefix.name} ({CUSTOMER_PREFIX}) Verified"
    assert note.subscription == subscription
    log = ActivityLog.objects.get(subscription=subscription)
    assert log.operation == "Microsoft.Peering/peeringServices/prefixes/validate/action"
    assert log.status == "Succeeded"
    # The provider's tenant hears nothing about the customer's prefix.
    assert not Notification.objects.filter(subscription=world.subscription).exists()


def test_prefix_validate_records_failure_with_its_message(world, customer):
    user, _ = customer
    clear_routes(world)
    prefix = stored_prefix(world, customer)
    prefix_validate(prefix_id=prefix.pk)
    prefix.refresh_from_db()
    assert prefix.validation_state == V.FAILED
    assert prefix.error_message.startswith("Prefix not received from the provider")
    assert prefix.learned_type == LearnedType.NONE
    assert Notification.objects.get(user=user).level == Notification.Level.ERROR


def test_prefix_validate_with_a_wrong_key_is_invalid_and_links_nothing(world, customer):
    prefix = stored_prefix(world, customer, key="6f1c2a55-0000-4000-8000-000000000000")
    prefix_validate(prefix_id=prefix.pk)
    prefix.refresh_from_db()
    assert prefix.validation_state == V.INVALID
    assert prefix.error_message == MSG_KEY.format(provider="Contoso IX")
    assert prefix.registered_asn is None


def test_prefix_validate_again_with_the_same_outcome_does_not_notify_again(world, customer):
    user, _ = customer
    prefix = stored_prefix(world, customer)
    prefix_validate(prefix_id=prefix.pk)
    prefix_validate(prefix_id=prefix.pk)
    assert Notification.objects.filter(user=user).count() == 1
    assert ActivityLog.objects.filter(resource_id=prefix.resource_id).count() == 1


def test_warning_is_recorded_without_a_notification(world, customer):
    user, _ = customer
    from peering.models import Vrp

    Vrp.objects.all().delete()  # no ROA covers the prefix: NotFound (changed with issue 9)
    prefix = stored_prefix(world, customer)
    prefix_validate(prefix_id=prefix.pk)
    prefix.refresh_from_db()
    assert prefix.validation_state == V.WARNING
    assert prefix.learned_type == LearnedType.VIA_SERVICE_PROVIDER
    assert not Notification.objects.filter(user=user).exists()


def test_prefix_validate_of_a_deleted_prefix_is_none(world):
    assert prefix_validate(prefix_id=987654) is None


def test_the_task_runs_after_commit(world, customer, django_capture_on_commit_callbacks):
    from peering.tasks import enqueue_prefix_validation

    prefix = stored_prefix(world, customer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_prefix_validation([prefix.pk, prefix.pk])
    assert len(callbacks) == 1  # de-duplicated
    prefix.refresh_from_db()
    assert prefix.validation_state == V.PENDING  # nothing ran before commit
    callbacks[0]()
    prefix.refresh_from_db()
    assert prefix.validation_state == V.VERIFIED


# --- registered prefixes (the provider's side) ----------------------------------------------


def test_registered_prefix_verified_when_every_active_session_announces_it(isp):
    isp.announce("45.70.0.0/16", connections=isp.primary_connections, origin_as=150003)
    registered = registered_prefix_validate(registered_prefix_id=isp.registered_prefix.pk)
    assert registered.validation_state == V.VERIFIED
    assert registered.error_message == ""


def test_registered_prefix_missing_on_a_session_names_the_ip(isp):
    first, second = isp.primary_connections
    isp.announce("45.70.0.0/16", connections=[first], origin_as=150003)
    registered = registered_prefix_validate(registered_prefix_id=isp.registered_prefix.pk)
    assert registered.validation_state == V.FAILED
    assert registered.error_message == MSG_NOT_FROM_IP.format(
        ips=second.peer_session_ipv4_address, location="Seattle"
    )


@pytest.mark.parametrize(
    ("route", "start"),
    [
        ({"communities": []}, "The announcement lacks the BGP community 8075:8007"),
        ({"as_path": "59998 64512 150003"}, "The AS path contains a private ASN"),
        ({"as_path": "59998 1 2 150003"}, "The AS path is longer than 3"),
    ],
)
def test_registered_prefix_route_rules(isp, route, start):
    isp.announce("45.70.0.0/16", connections=isp.primary_connections, origin_as=150003, **route)
    registered = registered_prefix_validate(registered_prefix_id=isp.registered_prefix.pk)
    assert registered.validation_state == V.FAILED
    assert registered.error_message.startswith(start)


def test_registered_prefix_without_active_connection_fails(isp):
    for connection in isp.primary_connections:
        connection.connection_state = ConnectionState.VALIDATING
        connection.save()
    registered = registered_prefix_validate(registered_prefix_id=isp.registered_prefix.pk)
    assert registered.validation_state == V.FAILED
    assert registered.error_message == "The peering has no Active connection yet."

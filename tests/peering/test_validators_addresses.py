"""Session prefixes, addresses and max-prefix limits (peering.validators), product.md §4.

Pure functions, no database: every bad value is a ValidationError with an actionable message,
never another exception.
"""

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from peering.validators import (
    MAX_PREFIXES_V4,
    MAX_PREFIXES_V6,
    check_host_address,
    is_point_to_point,
    parse_address,
    parse_prefix,
    session_addresses,
    validate_max_prefixes,
)

net = ipaddress.ip_network
addr = ipaddress.ip_address


def _refusal(func, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)
    return info.value


# --- parse_prefix ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "family", "expected"),
    [
        ("192.0.2.0/30", 4, "192.0.2.0/30"),
        ("192.0.2.0/31", 4, "192.0.2.0/31"),
        ("  192.0.2.0/31  ", 4, "192.0.2.0/31"),
        ("198.32.134.0/24", 4, "198.32.134.0/24"),
        ("192.0.2.4/255.255.255.252", 4, "192.0.2.4/30"),
        ("2001:db8::/126", 6, "2001:db8::/126"),
        ("2001:db8::/127", 6, "2001:db8::/127"),
        ("2001:DB8:0:0::/127", 6, "2001:db8::/127"),
        ("2001:504:12::/64", 6, "2001:504:12::/64"),
    ],
)
def test_parse_prefix_accepts(text, family, expected):
    network = parse_prefix(text, family=family)
    assert network == net(expected)
    assert network.version == family


@pytest.mark.parametrize(
    ("text", "family", "names"),
    [
        ("192.0.2.1/30", 4, "192.0.2.0/30"),
        ("192.0.2.3/30", 4, "192.0.2.0/30"),
        ("192.0.2.1/31", 4, "192.0.2.0/31"),
        ("198.32.134.77/24", 4, "198.32.134.0/24"),
        ("2001:db8::1/126", 6, "2001:db8::/126"),
        ("2001:db8::3/127", 6, "2001:db8::2/127"),
    ],
)
def test_parse_prefix_host_bits_names_the_prefix(text, family, names):
    exc = _refusal(parse_prefix, text, family=family)
    assert exc.code == "host_bits"
    assert f"the prefix is {names}" in exc.messages[0]


@pytest.mark.parametrize(
    ("text", "family", "wrong"),
    [
        ("2001:db8::/127", 4, "IPv6"),
        ("192.0.2.0/31", 6, "IPv4"),
    ],
)
def test_parse_prefix_wrong_family(text, family, wrong):
    exc = _refusal(parse_prefix, text, family=family)
    assert exc.code == "wrong_family"
    assert f"is an {wrong} prefix" in exc.messages[0]


@pytest.mark.parametrize(
    ("text", "family"),
    [("192.0.2.0", 4), ("192.0.2.1", 4), ("2001:db8::", 6)],
)
def test_parse_prefix_needs_cidr(text, family):
    exc = _refusal(parse_prefix, text, family=family)
    assert exc.code == "not_cidr"
    assert "CIDR" in exc.messages[0]


@pytest.mark.parametrize(
    "text",
    ["192.0.2.0/33", "192.0.2.0/-1", "192.0.2/30x", "300.0.2.0/30", "/30", "abc/30", "1.2.3.4//30"],
)
def test_parse_prefix_invalid_v4(text):
    assert _refusal(parse_prefix, text, family=4).code == "invalid"


@pytest.mark.parametrize(
    "text", ["2001:db8::/129", "2001:db8:::/64", "2001:zz8::/64", "::/abc", "2001:db8::/ 64"]
)
def test_parse_prefix_invalid_v6(text):
    assert _refusal(parse_prefix, text, family=6).code == "invalid"


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("224.0.0.0/30", 4),
        ("127.0.0.0/30", 4),
        ("169.254.0.0/31", 4),
        ("0.0.0.0/32", 4),
        ("ff02::/127", 6),
        ("::1/128", 6),
        ("fe80::/127", 6),
        ("::/128", 6),
    ],
)
def test_parse_prefix_refuses_non_unicast(text, family):
    assert _refusal(parse_prefix, text, family=family).code == "not_unicast"


@pytest.mark.parametrize(
    "value", [None, 42, 3.5, ["192.0.2.0/31"], {"prefix": "192.0.2.0/31"}, b"192.0.2.0/31"]
)
def test_parse_prefix_refuses_non_text(value):
    assert _refusal(parse_prefix, value, family=4).code == "invalid"


@pytest.mark.parametrize(
    "text",
    ["192.0.2.0/31\x00", "192.0.2.0\n/31", "１９２.0.2.0/31", "192.0.2.0/31" + " " * 70 + "x"],
)
def test_parse_prefix_refuses_control_non_ascii_and_long_text(text):
    assert _refusal(parse_prefix, text, family=4).code == "invalid"


def test_parse_prefix_uses_label_in_messages():
    exc = _refusal(parse_prefix, "nonsense/30", family=4, label="session IPv4 prefix")
    assert "session IPv4 prefix" in exc.messages[0]


# --- parse_address -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "family", "expected"),
    [
        ("192.0.2.1", 4, "192.0.2.1"),
        (" 198.32.134.10 ", 4, "198.32.134.10"),
        ("2001:db8::1", 6, "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1", 6, "2001:db8::1"),
    ],
)
def test_parse_address_accepts(text, family, expected):
    assert parse_address(text, family=family) == addr(expected)


@pytest.mark.parametrize(
    ("text", "family", "wrong"),
    [("2001:db8::1", 4, "IPv6"), ("192.0.2.1", 6, "IPv4"), ("::ffff:192.0.2.1", 4, "IPv6")],
)
def test_parse_address_wrong_family(text, family, wrong):
    exc = _refusal(parse_address, text, family=family)
    assert exc.code == "wrong_family"
    assert f"is an {wrong} address" in exc.messages[0]


def test_parse_address_with_prefix_length_hints_to_drop_it():
    exc = _refusal(parse_address, "192.0.2.1/31", family=4)
    assert exc.code == "invalid"
    assert "without a prefix length" in exc.messages[0]


@pytest.mark.parametrize(
    "value",
    ["", "   ", "192.0.2", "192.0.2.256", "192.0.2.1.", "01.2.3.4", "2001:db8:::1", "abc", None, 7],
)
def test_parse_address_refuses_garbage(value):
    assert _refusal(parse_address, value, family=4).code == "invalid"


# --- check_host_address ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        # /31 and /127 are point-to-point (RFC 3021, RFC 6164): both addresses are usable.
        ("192.0.2.0", "192.0.2.0/31"),
        ("192.0.2.1", "192.0.2.0/31"),
        ("2001:db8::", "2001:db8::/127"),
        ("2001:db8::1", "2001:db8::/127"),
        # /30 and /126: the two middle addresses.
        ("192.0.2.1", "192.0.2.0/30"),
        ("192.0.2.2", "192.0.2.0/30"),
        ("2001:db8::1", "2001:db8::/126"),
        ("2001:db8::2", "2001:db8::/126"),
        # Exchange LANs.
        ("198.32.134.10", "198.32.134.0/24"),
        ("198.32.134.254", "198.32.134.0/24"),
        ("2001:504:12::10", "2001:504:12::/64"),
        # A host route holds just that address.
        ("192.0.2.9", "192.0.2.9/32"),
    ],
)
def test_check_host_address_accepts(address, prefix):
    check_host_address(addr(address), net(prefix), label="Peer address")


@pytest.mark.parametrize(
    ("address", "prefix", "code"),
    [
        ("192.0.2.0", "192.0.2.0/30", "network_address"),
        ("192.0.2.3", "192.0.2.0/30", "broadcast_address"),
        ("2001:db8::", "2001:db8::/126", "network_address"),
        ("2001:db8::3", "2001:db8::/126", "broadcast_address"),
        ("198.32.134.0", "198.32.134.0/24", "network_address"),
        ("198.32.134.255", "198.32.134.0/24", "broadcast_address"),
        ("192.0.2.4", "192.0.2.0/30", "outside_prefix"),
        ("192.0.2.2", "192.0.2.0/31", "outside_prefix"),
        ("2001:db8::2", "2001:db8::/127", "outside_prefix"),
        ("198.32.135.1", "198.32.134.0/24", "outside_prefix"),
        ("192.0.2.8", "192.0.2.9/32", "outside_prefix"),
    ],
)
def test_check_host_address_refuses(address, prefix, code):
    exc = _refusal(check_host_address, addr(address), net(prefix), label="Peer address")
    assert exc.code == code
    assert exc.messages[0].startswith(f"Peer address {address} ")
    assert prefix in exc.messages[0]


def test_check_host_address_names_the_prefix_label():
    exc = _refusal(
        check_host_address,
        addr("10.0.0.1"),
        net("198.32.134.0/24"),
        label="IPv4 address",
        prefix_label="Equinix Seattle's LAN",
    )
    assert "outside Equinix Seattle's LAN 198.32.134.0/24" in exc.messages[0]


def test_check_host_address_other_family_is_outside():
    exc = _refusal(check_host_address, addr("2001:db8::1"), net("192.0.2.0/30"), label="x")
    assert exc.code == "outside_prefix"


# --- session_addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "peer", "microsoft"),
    [
        ("192.0.2.0/31", "192.0.2.0", "192.0.2.1"),
        ("192.0.2.0/30", "192.0.2.1", "192.0.2.2"),
        ("203.0.113.252/30", "203.0.113.253", "203.0.113.254"),
        ("2001:db8::/127", "2001:db8::", "2001:db8::1"),
        ("2001:db8::/126", "2001:db8::1", "2001:db8::2"),
        ("2001:db8::4/126", "2001:db8::5", "2001:db8::6"),
    ],
)
def test_session_addresses_first_usable_is_peer_next_is_microsoft(prefix, peer, microsoft):
    network = net(prefix)
    assert session_addresses(network) == (addr(peer), addr(microsoft))
    for address in session_addresses(network):
        check_host_address(address, network, label="derived")


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("192.0.2.0/31", True), ("2001:db8::/127", True), ("192.0.2.0/30", False),
     ("2001:db8::/126", False), ("192.0.2.0/32", False)],
)  # fmt: skip
def test_is_point_to_point(prefix, expected):
    assert is_point_to_point(net(prefix)) is expected


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.builds(
            lambda a, n: ipaddress.ip_network(f"{a}/{n}", strict=False),
            st.ip_addresses(v=4),
            st.sampled_from([30, 31]),
        ),
        st.builds(
            lambda a, n: ipaddress.ip_network(f"{a}/{n}", strict=False),
            st.ip_addresses(v=6),
            st.sampled_from([126, 127]),
        ),
    )
)
def test_session_addresses_property(network):
    """For every /30, /31, /126, /127 the derived pair is two distinct usable hosts in order."""
    peer, microsoft = session_addresses(network)
    assert peer != microsoft
    assert int(microsoft) == int(peer) + 1
    check_host_address(peer, network, label="peer")
    check_host_address(microsoft, network, label="microsoft")


# --- validate_max_prefixes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "family", "expected"),
    [
        ("1", 4, 1),
        ("20000", 4, 20000),
        (" 1000 ", 4, 1000),
        (500, 4, 500),
        ("1", 6, 1),
        ("2000", 6, 2000),
        (2000, 6, 2000),
    ],
)
def test_max_prefixes_accepts(value, family, expected):
    assert validate_max_prefixes(value, family=family) == expected


@pytest.mark.parametrize(
    ("value", "family", "code"),
    [
        ("0", 4, "out_of_range"),
        (0, 4, "out_of_range"),
        ("20001", 4, "out_of_range"),
        (20001, 4, "out_of_range"),
        ("0", 6, "out_of_range"),
        ("2001", 6, "out_of_range"),
        (2001, 6, "out_of_range"),
        ("20000", 6, "out_of_range"),
        (-1, 4, "out_of_range"),
        ("-1", 4, "invalid"),
        ("", 4, "invalid"),
        ("1.5", 4, "invalid"),
        ("1e3", 4, "invalid"),
        ("١٠٠", 4, "invalid"),
        ("99999999", 4, "invalid"),
        (True, 4, "invalid"),
        (None, 4, "invalid"),
        (10.0, 4, "invalid"),
    ],
)
def test_max_prefixes_refuses(value, family, code):
    exc = _refusal(validate_max_prefixes, value, family=family)
    assert exc.code == code
    limit = MAX_PREFIXES_V4 if family == 4 else MAX_PREFIXES_V6
    assert f"1 to {limit}" in exc.messages[0]


def test_max_prefixes_limits_are_the_documented_ones():
    assert (MAX_PREFIXES_V4, MAX_PREFIXES_V6) == (20000, 2000)


# --- any input: a value or a ValidationError ---------------------------------------------------

_plausible_prefixes = st.builds(
    lambda a, n: f"{a}/{n}", st.ip_addresses(), st.integers(min_value=-1, max_value=130)
)
_anything = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789abcdef.:/%", max_size=50),
    st.ip_addresses().map(str),
    _plausible_prefixes,
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(value=_anything, family=st.sampled_from([4, 6]))
@example(value="2001:db8::%eth0/64", family=6)
@example(value="192.0.2.0/0.0.0.3", family=4)
@example(value="::ffff:192.0.2.0/127", family=6)
@example(value="1.2.3.4/", family=4)
@example(value="\x00", family=4)
def test_parse_prefix_any_input(value, family):
    try:
        network = parse_prefix(value, family=family)
    except ValidationError as exc:
        assert exc.messages and all(exc.messages)
    else:
        assert network.version == family
        assert not (network.is_multicast or network.is_loopback or network.is_link_local)


@settings(max_examples=300, deadline=None)
@given(value=_anything, family=st.sampled_from([4, 6]))
@example(value="2001:db8::1%eth0", family=6)
@example(value="fe80::1%1", family=6)
@example(value="1.2.3.4%1", family=4)
def test_parse_address_any_input(value, family):
    try:
        address = parse_address(value, family=family)
    except ValidationError as exc:
        assert exc.messages and all(exc.messages)
    else:
        assert address.version == family


@settings(max_examples=200, deadline=None)
@given(value=_anything, family=st.sampled_from([4, 6]))
@example(value="20000", family=4)
@example(value="²", family=4)
def test_max_prefixes_any_input(value, family):
    try:
        result = validate_max_prefixes(value, family=family)
    except ValidationError as exc:
        assert exc.messages and all(exc.messages)
    else:
        assert isinstance(result, int) and not isinstance(result, bool)
        assert 1 <= result <= (MAX_PREFIXES_V4 if family == 4 else MAX_PREFIXES_V6)


@settings(max_examples=200, deadline=None)
@given(address=st.ip_addresses(), prefix=_plausible_prefixes)
def test_check_host_address_any_pair(address, prefix):
    """Whatever parse_prefix accepts, check_host_address answers with None or a refusal."""
    try:
        network = parse_prefix(prefix, family=address.version)
    except ValidationError:
        return
    try:
        check_host_address(address, network, label="Address")
    except ValidationError as exc:
        assert exc.code in {"outside_prefix", "network_address", "broadcast_address"}
    else:
        assert address in network

"""Pure, typed validators for the peering domain (no database access).

Each raises django.core.exceptions.ValidationError with a message a network engineer can act on.
"""

import ipaddress
import re

from django.core.exceptions import ValidationError

CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

ASN_MIN = 1
ASN_MAX = 4294967295
# Microsoft's own networks: AS8075, and AS8069 (reserved, not offered).
MICROSOFT_ASNS = (8075, 8069)

# (first, last, what it is, the RFC that says so). Checked in order; the first match explains.
NON_PUBLIC_ASN_RANGES: tuple[tuple[int, int, str, str], ...] = (
    (0, 0, "reserved and may not be used to originate routes", "RFC 7607"),
    (23456, 23456, "AS_TRANS, reserved for 2-byte/4-byte ASN interworking", "RFC 6793"),
    (64496, 64511, "reserved for documentation and sample code", "RFC 5398"),
    (64512, 65534, "reserved for private use", "RFC 6996"),
    (65535, 65535, "reserved (the last 16-bit ASN)", "RFC 7300"),
    (65536, 65551, "reserved for documentation and sample code", "RFC 5398"),
    (4200000000, 4294967294, "reserved for private use", "RFC 6996"),
    (4294967295, 4294967295, "reserved (the last 32-bit ASN)", "RFC 7300"),
)


def _range_text(first: int, last: int) -> str:
    return f"AS{first}" if first == last else f"AS{first}–AS{last}"


def non_public_asn_reason(asn: int) -> str | None:
    """Why `asn` is not a public ASN, or None if it is one."""
    if asn < 0 or asn > ASN_MAX:
        return f"An ASN must be a whole number from {ASN_MIN} to {ASN_MAX}."
    for first, last, what, rfc in NON_PUBLIC_ASN_RANGES:
        if first <= asn <= last:
            return (
                f"AS{asn} is not a public ASN: {_range_text(first, last)} is {what} ({rfc}). "
                "Use your network's public ASN."
            )
    return None


def validate_public_asn(value: object) -> int:
    """Return the ASN as an int if it is a public ASN; raise ValidationError otherwise."""
    if isinstance(value, bool):
        raise ValidationError("Enter the ASN as a whole number, e.g. 37100.", code="invalid")
    if isinstance(value, str):
        text = value.strip()
        if text[:2].upper() == "AS":
            text = text[2:]
        if not text.isascii() or not text.isdigit() or len(text) > 10:
            raise ValidationError(
                f"Enter the ASN as a whole number from {ASN_MIN} to {ASN_MAX}.", code="invalid"
            )
        value = int(text)
    if not isinstance(value, int):
        raise ValidationError("Enter the ASN as a whole number.", code="invalid")
    reason = non_public_asn_reason(value)
    if reason:
        raise ValidationError(reason, code="non_public_asn")
    return value


# --- Addresses and prefixes -------------------------------------------------------------------

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
FAMILY_NAME = {4: "IPv4", 6: "IPv6"}
MAX_PREFIXES_V4 = 20000
MAX_PREFIXES_V6 = 2000


def _text(value: object, label: str, max_length: int = 64) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"Enter the {label}.", code="invalid")
    text = value.strip()
    if len(text) > max_length or not text.isascii() or CONTROL_RE.search(text):
        raise ValidationError(f"'{text[:50]}' is not a valid {label}.", code="invalid")
    return text


def _check_family(text: str, version: int, family: int, noun: str) -> None:
    if version != family:
        raise ValidationError(
            f"'{text}' is an {FAMILY_NAME[version]} {noun}; "
            f"this field takes an {FAMILY_NAME[family]} {noun}.",
            code="wrong_family",
        )


def parse_prefix(value: object, *, family: int, label: str = "prefix") -> IPNetwork:
    """A CIDR prefix of the given family with no host bits set (e.g. 192.0.2.0/31)."""
    text = _text(value, label)
    if "/" not in text:
        raise ValidationError(
            f"Enter the {label} in CIDR notation, e.g. "
            f"{'192.0.2.0/31' if family == 4 else '2001:db8::/127'}.",
            code="not_cidr",
        )
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValidationError(f"'{text}' is not a valid {label}.", code="invalid") from None
    _check_family(text, network.version, family, "prefix")
    if network.prefixlen == 0:
        # /0 is every address of the family (a default route), never a session or LAN prefix.
        raise ValidationError(
            f"'{text}' is the whole {FAMILY_NAME[family]} address space (/0); enter the "
            f"{label} itself.",
            code="default_route",
        )
    if network.network_address != ipaddress.ip_interface(text).ip:
        raise ValidationError(
            f"'{text}' has host bits set; the prefix is {network.with_prefixlen}.",
            code="host_bits",
        )
    if (
        network.is_multicast
        or network.is_loopback
        or network.is_link_local
        or network.is_unspecified
    ):
        raise ValidationError(
            f"'{text}' is a multicast, loopback, link-local or unspecified range; "
            "BGP sessions need unicast addresses.",
            code="not_unicast",
        )
    return network


def parse_address(value: object, *, family: int, label: str = "address") -> IPAddress:
    """One IP address of the given family (no prefix length)."""
    text = _text(value, label)
    if "%" in text:
        # A zone id ("fe80::1%eth0") names an interface, not a session address; Python would
        # treat "x%1" and "x" as different addresses and slip past the clash checks.
        raise ValidationError(
            f"'{text}' has a zone id (%…); enter the address alone.", code="zone_id"
        )
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        hint = " Enter the address without a prefix length." if "/" in text else ""
        raise ValidationError(f"'{text}' is not a valid {label}.{hint}", code="invalid") from None
    _check_family(text, address.version, family, "address")
    return address


def is_point_to_point(network: IPNetwork) -> bool:
    """/31 and /127 use both addresses (RFC 3021, RFC 6164): no network or broadcast address."""
    return network.num_addresses == 2


def check_host_address(
    address: IPAddress, network: IPNetwork, *, label: str, prefix_label: str = "the session prefix"
) -> None:
    """The address lies inside the prefix and is neither its network nor broadcast address."""
    if address not in network:
        raise ValidationError(
            f"{label} {address} is outside {prefix_label} {network.with_prefixlen}.",
            code="outside_prefix",
        )
    if network.num_addresses == 1:
        return
    if is_point_to_point(network):
        return
    if address == network.network_address:
        raise ValidationError(
            f"{label} {address} is the network address of {network.with_prefixlen}.",
            code="network_address",
        )
    if network.version == 4 and address == network.broadcast_address:
        raise ValidationError(
            f"{label} {address} is the broadcast address of {network.with_prefixlen}.",
            code="broadcast_address",
        )
    if network.version == 6 and address == network.broadcast_address:
        # IPv6 has no broadcast, but the all-ones address of a session subnet is refused
        # the same way so /126 sessions follow the /30 convention.
        raise ValidationError(
            f"{label} {address} is the last address of {network.with_prefixlen}, "
            "which is not used for sessions.",
            code="broadcast_address",
        )


def session_addresses(network: IPNetwork) -> tuple[IPAddress, IPAddress]:
    """The (peer, Microsoft) addresses of a point-to-point session prefix: the first usable
    address goes to the peer, the next to Microsoft."""
    first = network.network_address if is_point_to_point(network) else network.network_address + 1
    return first, first + 1


def validate_max_prefixes(value: object, *, family: int) -> int:
    """Maximum advertised prefixes: 1–20000 for IPv4, 1–2000 for IPv6."""
    limit = MAX_PREFIXES_V4 if family == 4 else MAX_PREFIXES_V6
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 7:
            raise ValidationError(f"Enter a whole number from 1 to {limit}.", code="invalid")
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"Enter a whole number from 1 to {limit}.", code="invalid")
    if not 1 <= value <= limit:
        raise ValidationError(
            f"Maximum advertised {FAMILY_NAME[family]} prefixes must be from 1 to {limit}.",
            code="out_of_range",
        )
    return value

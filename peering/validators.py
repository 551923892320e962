"""Pure, typed validators for the peering domain (no database access).

Each raises django.core.exceptions.ValidationError with a message a network engineer can act on.
"""

from django.core.exceptions import ValidationError

ASN_MIN = 1
ASN_MAX = 4294967295

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
        raise ValidationError("Enter the ASN as a whole number, e.g. 64500.", code="invalid")
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

"""The ASN rule (product.md §4) and the ARM name rule: every boundary, and fuzzing for crashes."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from peering.validators import ASN_MAX, non_public_asn_reason, validate_public_asn
from portal.validators import ARM_NAME_MESSAGE, validate_arm_name

# (asn, None if public, else (range text, RFC) the refusal must name).
ASN_BOUNDARIES = [
    (0, ("AS0 is reserved", "RFC 7607")),
    (1, None),
    (23455, None),
    (23456, ("AS23456 is AS_TRANS", "RFC 6793")),
    (23457, None),
    (64495, None),
    (64496, ("AS64496–AS64511", "RFC 5398")),
    (64511, ("AS64496–AS64511", "RFC 5398")),
    (64512, ("AS64512–AS65534", "RFC 6996")),
    (65534, ("AS64512–AS65534", "RFC 6996")),
    (65535, ("AS65535 is reserved", "RFC 7300")),
    (65536, ("AS65536–AS65551", "RFC 5398")),
    (65551, ("AS65536–AS65551", "RFC 5398")),
    (65552, None),
    (4199999999, None),
    (4200000000, ("AS4200000000–AS4294967294", "RFC 6996")),
    (4294967294, ("AS4200000000–AS4294967294", "RFC 6996")),
    (4294967295, ("AS4294967295 is reserved", "RFC 7300")),
]

# The words that say what kind of range it is, per RFC.
RFC_WORDS = {
    "RFC 7607": "reserved",
    "RFC 6793": "AS_TRANS",
    "RFC 5398": "documentation",
    "RFC 6996": "private use",
    "RFC 7300": "reserved",
}


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@pytest.mark.parametrize(("asn", "refusal"), ASN_BOUNDARIES, ids=lambda v: str(v))
def test_asn_boundaries(asn, refusal):
    if refusal is None:
        assert non_public_asn_reason(asn) is None
        assert validate_public_asn(asn) == asn
        assert validate_public_asn(str(asn)) == asn
        assert validate_public_asn(f"AS{asn}") == asn
        return
    range_text, rfc = refusal
    with pytest.raises(ValidationError) as info:
        validate_public_asn(asn)
    message = _message(info.value)
    assert info.value.code == "non_public_asn"
    assert f"AS{asn} is not a public ASN" in message
    assert range_text in message
    assert rfc in message
    assert RFC_WORDS[rfc] in message
    assert non_public_asn_reason(asn) == message
    # The string forms are refused for the same reason.
    for form in (str(asn), f"AS{asn}", f"as{asn}", f"  {asn}  "):
        with pytest.raises(ValidationError) as info:
            validate_public_asn(form)
        assert _message(info.value) == message


@pytest.mark.parametrize("asn", [-1, -4294967295, 4294967296, 10**12, 2**64, -(2**64)])
def test_asn_out_of_range_names_the_range(asn):
    with pytest.raises(ValidationError) as info:
        validate_public_asn(asn)
    assert "1 to 4294967295" in _message(info.value)
    assert "RFC" not in _message(info.value)


def test_every_refusal_names_an_rfc():
    for first, last, *_ in [
        (0, 0),
        (23456, 23456),
        (64496, 64511),
        (64512, 65534),
        (65535, 65535),
        (65536, 65551),
        (4200000000, 4294967294),
        (4294967295, 4294967295),
    ]:
        for asn in (first, (first + last) // 2, last):
            reason = non_public_asn_reason(asn)
            assert reason is not None
            assert any(rfc in reason for rfc in RFC_WORDS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AS13335", 13335),
        (" 8075 ", 8075),
        ("8075", 8075),
        ("as8075", 8075),
        ("As8075", 8075),
        ("\t8075\n", 8075),
        ("AS 8075", ValidationError),
        ("as64512", ValidationError),
        ("AS4294967295", ValidationError),
        ("4294967296", ValidationError),
        ("9999999999", ValidationError),
        ("99999999999", ValidationError),
        ("1" * 5000, ValidationError),
        ("0" * 5000 + "8075", ValidationError),
        ("1e3", ValidationError),
        ("1.0", ValidationError),
        ("8075.", ValidationError),
        ("+8075", ValidationError),
        ("-1", ValidationError),
        ("0x1F", ValidationError),
        ("1_000", ValidationError),
        ("١٢٣", ValidationError),  # Arabic-Indic digits: str.isdigit() says yes, we say no
        ("٣", ValidationError),
        ("²", ValidationError),
        ("８０７５", ValidationError),  # fullwidth digits
        ("", ValidationError),
        ("   ", ValidationError),
        ("AS", ValidationError),
        ("ASAS8075", ValidationError),
        ("12a", ValidationError),
        ("8075\x00", ValidationError),
        ("AS\x008075", ValidationError),
        ("0", ValidationError),
        ("AS0", ValidationError),
        (True, ValidationError),
        (False, ValidationError),
        (None, ValidationError),
        (8075.0, ValidationError),
        (float("nan"), ValidationError),
        (float("inf"), ValidationError),
        (b"8075", ValidationError),
        ([8075], ValidationError),
        ({"asn": 8075}, ValidationError),
        (object(), ValidationError),
    ],
    # Without the object's address: pytest-xdist workers must collect the same ids.
    ids=lambda v: repr(v).split(" at 0x")[0],
)
def test_asn_input_forms(value, expected):
    if expected is ValidationError:
        with pytest.raises(ValidationError) as info:
            validate_public_asn(value)
        assert info.value.messages  # always something to show next to the field
    else:
        result = validate_public_asn(value)
        assert result == expected
        assert type(result) is int


@given(st.text())
@example("AS")
@example("as0")
@example("\x00")
@example("𝟠𝟘𝟟𝟝")
def test_asn_any_text_is_an_int_or_validation_error(value):
    try:
        result = validate_public_asn(value)
    except ValidationError as exc:
        assert exc.messages
    else:
        assert type(result) is int
        assert 1 <= result <= ASN_MAX
        assert non_public_asn_reason(result) is None


@given(st.integers())
def test_asn_any_integer_is_an_int_or_validation_error(value):
    try:
        result = validate_public_asn(value)
    except ValidationError as exc:
        assert exc.messages
        assert not (1 <= value <= ASN_MAX) or non_public_asn_reason(value) is not None
    else:
        assert result == value
        assert non_public_asn_reason(value) is None


@given(st.integers(min_value=0, max_value=ASN_MAX))
def test_asn_text_and_int_forms_agree(value):
    outcomes = []
    for form in (value, str(value), f"AS{value}"):
        try:
            outcomes.append(validate_public_asn(form))
        except ValidationError as exc:
            outcomes.append(tuple(exc.messages))
    assert outcomes[0] == outcomes[1] == outcomes[2]


# --- ARM names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "a",
        "A",
        "0",
        "_",
        "-",
        ".",
        "contoso-peer_asn.1",
        "PeerAsn8075",
        "a" * 63,
        "x" * 62 + "9",
    ],
)
def test_arm_name_accepted(name):
    validate_arm_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a" * 64,
        "a" * 10000,
        " ",
        "my asn",
        " abc",
        "abc ",
        "abc\n",
        "\nabc",
        "abc\r\n",
        "a\tb",
        "a\x00b",
        "a/b",
        "a\\b",
        "a:b",
        "a@b",
        "a#b",
        "a?b",
        "a%2Fb",
        "a+b",
        "café",
        "ǅ",
        "ａｂｃ",  # fullwidth letters
        "١٢٣",
        "peer‐asn",  # U+2010 hyphen, not ASCII '-'
        "name\u200b",  # zero-width space
        None,
        123,
        b"abc",
    ],
    ids=repr,
)
def test_arm_name_refused(name):
    with pytest.raises(ValidationError) as info:
        validate_arm_name(name)
    assert info.value.messages == [ARM_NAME_MESSAGE]
    assert info.value.code == "invalid_name"


ARM_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"


@given(st.text())
@example("abc\n")
@example("a" * 64)
def test_arm_name_property(value):
    expected_ok = 1 <= len(value) <= 63 and all(ch in ARM_ALPHABET for ch in value)
    try:
        validate_arm_name(value)
    except ValidationError:
        assert not expected_ok
    else:
        assert expected_ok


@given(st.text(alphabet=ARM_ALPHABET, min_size=1, max_size=63))
def test_arm_name_every_valid_name_passes(value):
    validate_arm_name(value)

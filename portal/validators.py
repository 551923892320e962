"""Pure validators shared by every app: the ARM resource-name rule and safe free text."""

import re

from django.core.exceptions import ValidationError
from django.urls import register_converter
from django.urls.converters import get_converters

ARM_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]{1,63}")
ARM_NAME_MESSAGE = (
    "The name must be 1 to 63 characters long and may contain only letters, digits, "
    "underscores (_), periods (.) and hyphens (-)."
)
# Control characters (including NUL, which PostgreSQL refuses outright) have no place in names.
CONTROL_CHARS_RE = re.compile(r"[\x00-\x1f\x7f]")


def validate_arm_name(value: str) -> None:
    """Refuse anything that is not a valid ARM resource name (anchored, unlike the swagger)."""
    if not isinstance(value, str) or not ARM_NAME_RE.fullmatch(value):
        raise ValidationError(ARM_NAME_MESSAGE, code="invalid_name")


def validate_plain_text(value: str) -> None:
    """Refuse control characters in free text fields (names of companies, people)."""
    if CONTROL_CHARS_RE.search(value or ""):
        raise ValidationError("Control characters are not allowed.", code="control_characters")


def clean_message(
    value: object, *, field: str, max_length: int, missing: str, too_long: str
) -> str:
    """Free text one person writes to another (a reason, a note): stripped, at most
    `max_length` characters, line breaks and tabs allowed, no other control characters.
    `missing` is the message when it is empty ('' makes it optional). Errors are keyed by
    `field`, so callers show them next to it."""
    text = str(value or "").strip()
    if missing and not text:
        raise ValidationError({field: [missing]})
    if len(text) > max_length:
        raise ValidationError({field: [too_long]})
    try:
        validate_plain_text(text.replace("\n", " ").replace("\r", " ").replace("\t", " "))
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    return text


class ArmNameConverter:
    """`<arm:name>` in a URL: an ARM resource name (1–63 letters, digits, `_`, `.`, `-`).
    Anything else — a 10,000-character name, a slash, a space — does not match the route, so
    it answers 404 before any query (SQLite refuses LIKE patterns past 50,000 bytes)."""

    regex = ARM_NAME_RE.pattern

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def register_arm_converter() -> None:
    """Register `<arm:…>` once; both URL modules call it (whichever is imported first)."""
    if "arm" not in get_converters():
        register_converter(ArmNameConverter, "arm")

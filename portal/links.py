"""URLs for hot tables: one `reverse()` per URL name, then string formatting per row.

`reverse()` resolves the whole URLconf on every call (tens of microseconds each); a table of 50
rows with two links per row paid for a hundred of them. `fast_reverse` reverses each URL name
once with placeholder arguments, keeps the result as a pattern, and fills in each row's values
when they are plain (ARM names, UUIDs, numbers: nothing to quote, nothing a `str`, `uuid` or
`int` converter refuses); any other value goes through `reverse()` itself. Either way the
answer is byte for byte reverse()'s. Meant for URL names whose arguments use those converters.

`view_paths` is the other way round: URL patterns named after their views.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from functools import cache

from django.urls import URLPattern, path, reverse

# Values that reverse() writes as they are and every `str`, `uuid` or `int` converter
# accepts (ARM names, UUIDs, numbers): the only ones filled in without reverse().
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")


def _placeholder(index: int, kind: type) -> object:
    if kind is uuid.UUID:
        return uuid.UUID(int=0xFA57_0000 + index)
    if kind is int:
        return 987_650_000 + index
    return f"fast{index}arg"


@cache
def _pattern(name: str, kinds: tuple[type, ...]) -> tuple[list[str], tuple[type, ...]]:
    """The reversed URL split around its arguments: [text, arg0, text, arg1, …, text]."""
    placeholders = [str(_placeholder(i, kind)) for i, kind in enumerate(kinds)]
    url = reverse(name, args=[_placeholder(i, kind) for i, kind in enumerate(kinds)])
    parts = []
    for placeholder in placeholders:
        head, found, url = url.partition(placeholder)
        if not found:
            raise ValueError(f"{name}: argument not found in the reversed URL")
        parts.append(head)
    parts.append(url)
    return parts, kinds


def _kind(value: object) -> type:
    if isinstance(value, uuid.UUID):
        return uuid.UUID
    if isinstance(value, int) and not isinstance(value, bool):
        return int
    return str


def fast_reverse(name: str, *args: object) -> str:
    """`reverse(name, args=args)` for positional path arguments (str, int or UUID)."""
    parts, _kinds = _pattern(name, tuple(_kind(arg) for arg in args))
    values = [str(arg) for arg in args]
    if not all(_PLAIN.fullmatch(value) for value in values):
        # Anything but ARM-name characters: let reverse() quote it, or refuse it ("/" in a
        # `str` argument, an empty value) exactly as it always does.
        return reverse(name, args=args)
    out = [parts[0]]
    for value, text in zip(values, parts[1:], strict=True):
        out.append(value)
        out.append(text)
    return "".join(out)


def view_paths(routes: dict[str, Callable], *, strip: str = "") -> list[URLPattern]:
    """The URL patterns of `routes` (route → view), each named as its view is, less `strip` (a
    prefix its namespace already says, e.g. "peering_service_"): one name per page, from the
    code to `{% url %}`. In order: the first route that matches wins."""
    return [
        path(route, view, name=view.__name__.removeprefix(strip)) for route, view in routes.items()
    ]

"""URLs, reversed once: the one cache behind `{% url %}` (Django templates) and `url()`
(Jinja2), and `view_paths`, URL patterns named after their views.

`reverse()` resolves the whole URLconf on every call (tens of microseconds each): the shell alone
asks for a dozen URLs on every page, and a table of 50 rows with two links per row paid for a
hundred of them. Both engines' URLs go through one cache here, keyed by everything `reverse()`
depends on besides its arguments: the current app, the script prefix and the URLconf (as
Django's own tag would resolve them), so a site mounted under a prefix or a request on another
URLconf gets its own answers.

- `cached_reverse` (Django's `{% url %}`, `portal/templatetags/fast_url.py`) remembers each
  distinct URL whose arguments are plain text, numbers or UUIDs; anything else reverses as
  before. A URL that does not reverse is never remembered: it raises as it always did.
- `fast_reverse` (Jinja2's `url()`, the hot tables) reverses each URL name once with
  placeholder arguments, keeps the result as a pattern, and fills in each row's values when
  they are plain (ARM names, UUIDs, numbers: nothing to quote, nothing a `str`, `uuid` or `int`
  converter refuses); any other value goes through `reverse()` itself. Meant for URL names
  whose arguments use those converters. `fast_reverser` is the same for a table's rows.

Either way the answer is byte for byte reverse()'s.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping

from django.conf import settings
from django.urls import URLPattern, get_script_prefix, get_urlconf, path, reverse

# Values that reverse() writes as they are and every `str`, `uuid` or `int` converter
# accepts (ARM names, UUIDs, numbers): the only ones filled in without reverse().
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+")
_PLAIN_TYPES = (str, int, uuid.UUID)
_MAX_ENTRIES = 20_000
# The one cache: ("url", …) → a reversed URL; ("pattern", …) → a URL split around its
# arguments. Each key ends with `_where(current_app)`.
_cache: dict[tuple, object] = {}


def _where(current_app: str | None) -> tuple:
    """What a reversed URL depends on besides its name and arguments."""
    return (current_app, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def _remember(key: tuple, value: object) -> None:
    if len(_cache) >= _MAX_ENTRIES:
        _cache.clear()
    _cache[key] = value


def _plain(values: Iterable[object]) -> bool:
    # bool is an int whose reverse() text differs ("True"), and True == 1 as a key: refused.
    return all(isinstance(v, _PLAIN_TYPES) and not isinstance(v, bool) for v in values)


def cached_reverse(
    view_name: object,
    args: list | tuple = (),
    kwargs: Mapping[str, object] | None = None,
    current_app: str | None = None,
) -> str:
    """`reverse(view_name, args=…, kwargs=…, current_app=…)`, remembered when the arguments
    are plain; raises NoReverseMatch as reverse() does (a failure is never remembered)."""
    kwargs = kwargs or {}
    key = None
    if isinstance(view_name, str) and _plain(args) and _plain(kwargs.values()):
        key = (
            "url",
            view_name,
            tuple((type(a), a) for a in args),
            tuple(sorted((k, type(v), v) for k, v in kwargs.items())),
            *_where(current_app),
        )
        url = _cache.get(key)
        if url is not None:
            return url
    url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    if key is not None:
        _remember(key, url)
    return url


def _placeholder(index: int, kind: type) -> object:
    if kind is uuid.UUID:
        return uuid.UUID(int=0xFA57_0000 + index)
    if kind is int:
        return 987_650_000 + index
    return f"fast{index}arg"


def _pattern(name: str, kinds: tuple[type, ...]) -> list[str]:
    """The reversed URL split around its arguments: [text, arg0, text, arg1, …, text]."""
    # `_where(None)`, inline: this runs for every link of a table.
    key = (
        "pattern",
        name,
        kinds,
        None,
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
    )
    parts = _cache.get(key)
    if parts is not None:
        return parts
    placeholders = [str(_placeholder(i, kind)) for i, kind in enumerate(kinds)]
    url = reverse(name, args=[_placeholder(i, kind) for i, kind in enumerate(kinds)])
    parts = []
    for placeholder in placeholders:
        head, found, url = url.partition(placeholder)
        if not found:
            raise ValueError(f"{name}: argument not found in the reversed URL")
        parts.append(head)
    parts.append(url)
    _remember(key, parts)
    return parts


def _kind(value: object) -> type:
    if isinstance(value, uuid.UUID):
        return uuid.UUID
    if isinstance(value, int) and not isinstance(value, bool):
        return int
    return str


def fast_reverse(name: str, *args: object) -> str:
    """`reverse(name, args=args)` for positional path arguments (str, int or UUID)."""
    return _fill(name, _pattern(name, tuple(_kind(arg) for arg in args)), args)


def fast_reverser(name: str, *head: object) -> Callable[..., str]:
    """`fast_reverse(name, *head, *rest)` as a function of `rest`, for the rows of one table
    while one request is answered: the pattern is looked up once per kind of arguments, not
    for every row (each lookup asks for the script prefix and the URLconf)."""
    patterns: dict[tuple[type, ...], list[str]] = {}

    def reverse_row(*rest: object) -> str:
        args = (*head, *rest)
        kinds = tuple(_kind(arg) for arg in args)
        parts = patterns.get(kinds)
        if parts is None:
            parts = patterns[kinds] = _pattern(name, kinds)
        return _fill(name, parts, args)

    return reverse_row


def _fill(name: str, parts: list[str], args: tuple) -> str:
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

"""ARM list pages: `{"value": [...], "nextLink": "<absolute url>"}`.

The SDK follows nextLink verbatim and re-sends none of the original query, so the link carries
every filter of the request plus `$skipToken` (an offset). A page reads one row more than it
shows to know whether another follows, so no COUNT query is ever made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest

from peering.api.errors import ArmError

SKIP_TOKEN = "$skipToken"
MAX_OFFSET = 10_000_000


def page_size() -> int:
    return int(getattr(settings, "ARM_PAGE_SIZE", 50))


def skip_offset(request: HttpRequest) -> int:
    raw = request.GET.get(SKIP_TOKEN, "")
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 8) or int(raw) > MAX_OFFSET:
        raise ArmError(
            400, "InvalidParameter", "The $skipToken is not one this API issued.", target=SKIP_TOKEN
        )
    return int(raw)


def next_link(request: HttpRequest, offset: int) -> str:
    query = [(key, value) for key, value in request.GET.items() if key != SKIP_TOKEN]
    query.append((SKIP_TOKEN, str(offset)))
    return request.build_absolute_uri(request.path) + "?" + urlencode(query)


def _slice(rows, start: int, stop: int) -> list:
    """rows[start:stop]. A queryset that joins its related rows (`select_related`) is read in
    two steps: the page's keys first, sorted on narrow rows (the database joins and sorts only
    the ordering's columns of every row), then those rows with all their joins, in the same
    order. Sorting the whole wide join to keep 51 rows cost most of a 10k-row list."""
    if not isinstance(rows, QuerySet) or not rows.query.select_related:
        return list(rows[start:stop])
    keys = list(rows.values_list("pk", flat=True)[start:stop])
    if not keys:
        return []
    return list(rows.filter(pk__in=keys))


def arm_page(
    request: HttpRequest,
    rows,
    serialize: Callable[[object], dict],
    *,
    read: Callable[[list], Sequence] | None = None,
) -> dict:
    """One page of `rows` (a queryset or a sequence), serialized, with nextLink if more.
    With `read`, `rows` are the page's keys and `read(keys)` reads their rows (in that order)
    all at once — a list that reads plain values instead of model instances."""
    offset = skip_offset(request)
    size = page_size()
    chunk: Sequence = _slice(rows, offset, offset + size + 1)
    page = chunk[:size] if read is None else read(list(chunk[:size]))
    body: dict = {"value": [serialize(row) for row in page]}
    if len(chunk) > size:
        body["nextLink"] = next_link(request, offset + size)
    return body

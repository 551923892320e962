"""ARM list pages: `{"value": [...], "nextLink": "<absolute url>"}`.

The SDK follows nextLink verbatim and re-sends none of the original query, so the link carries
every filter of the request plus `$skipToken` (an offset). A page reads one row more than it
shows to know whether another follows, so no COUNT query is ever made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from django.conf import settings
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


def arm_page(request: HttpRequest, rows, serialize: Callable[[object], dict]) -> dict:
    """One page of `rows` (a queryset or a sequence), serialized, with nextLink if more."""
    offset = skip_offset(request)
    size = page_size()
    chunk: Sequence = list(rows[offset : offset + size + 1])
    body: dict = {"value": [serialize(row) for row in chunk[:size]]}
    if len(chunk) > size:
        body["nextLink"] = next_link(request, offset + size)
    return body

"""Every API write in the Activity log with the token's name beside the user's."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

from django.http import HttpRequest

from portal.services import activity_attribute_to_token, activity_mark


@contextmanager
def api_write(request: HttpRequest, *, paths: Mapping[str, str] | None = None):
    """Run a service call as an API write: its field errors map through `paths` to ARM
    property paths, and the entries it logs name the token.

    No transaction is opened here on purpose: a refused prefix key must stay counted by the
    throttle, which a rollback around the service would undo."""
    request.arm_paths = paths or {}
    mark = activity_mark()
    try:
        yield
    finally:
        activity_attribute_to_token(since_id=mark, token=request.api_token)

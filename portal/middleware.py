"""The request's cache, and two answers the portal gives instead of a traceback.

* `DatabaseUnavailableMiddleware`: the database went away for a moment (a restart, a failover,
  a dropped connection) while a request was being served. The visitor gets a clear 503 page
  that says to try again, the broken connection is closed so the next request opens a new one,
  and the event is logged. `server_error` (handler500) gives the same answer when the
  connection is lost outside the view, in a middleware before or after it.
* `RequestCacheMiddleware`: what a request reads many times and cannot change under it (the
  caller's role assignments) is read once per request (`portal.selectors`).
* `sign_in_locked_out`: django-axes's lockout answer — the sign-in page with what happened and
  how long it lasts (portal and admin sign-in alike).
"""

from __future__ import annotations

import logging
import math
import sys

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class RequestCacheMiddleware:
    """Opens the request's cache of `portal.selectors` (the caller's roles) and drops it when
    the response is ready, so nothing read for one request is seen by the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from portal.selectors import request_cache_close, request_cache_open

        token = request_cache_open()
        try:
            return self.get_response(request)
        finally:
            request_cache_close(token)


class DatabaseUnavailableMiddleware:
    """A view that lost the database answers 503 (templates/503.html), never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        return database_unavailable_response(request, exception)


def database_unavailable_response(request: HttpRequest, exception: BaseException | None):
    """The 503 answer when `exception` is a lost database connection, else None."""
    if not isinstance(exception, OperationalError | InterfaceError) or not _connection_lost():
        return None
    logger.warning(
        "Database unavailable while serving %s %s: %s", request.method, request.path, exception
    )
    for connection in connections.all(initialized_only=True):
        # Throw the broken connection away: the next query (this worker's next request)
        # connects afresh instead of failing again.
        try:
            connection.close()
        except DatabaseError:
            connection.connection = None
    # Rendered without the request: the shell's context processors would ask the database.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: where the database is lost outside a view — in a middleware before it or
    after it (a session saved at the end of the request) — the same 503 as in a view."""
    return database_unavailable_response(request, sys.exc_info()[1]) or defaults.server_error(
        request, template_name
    )


def _connection_lost() -> bool:
    """True when a connection is gone or unusable (not a query that was merely wrong — a
    lock timeout or a constraint stays a real error)."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            return True
        try:
            if not connection.is_usable():
                return True
        except DatabaseError:
            return True
    return False


def sign_in_locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """django-axes's lockout response: the sign-in page, saying why and for how long."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    context = {
        "form": AuthenticationForm(request),
        "locked_out": True,
        "lockout_minutes": minutes,
        "lockout_message": (
            f"Too many failed sign-in attempts. Sign-in is locked for {minutes} minutes for "
            "this username and for the address you are connecting from. Wait and try again, "
            "or ask Microsoft's peering team to unlock it."
        ),
    }
    return render(
        request,
        "registration/login.html",
        context,
        status=429,
    )

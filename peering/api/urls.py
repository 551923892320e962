"""URLs under /arm: the NinjaAPI's operations, each answer stamped with `x-ms-request-id`, and
an ARM error (JSON) for any path or method that is not an operation."""

from __future__ import annotations

import functools
import uuid

from django.urls import URLPattern, include, path, re_path

from peering.api.api import api
from peering.api.errors import ArmError, error_response


def _stamped(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            response = error_response(
                ArmError(
                    405,
                    "HttpMethodNotAllowed",
                    f"The method '{request.method}' is not supported here; allowed: {allowed}.",
                    headers={"Allow": allowed},
                )
            )
        response["x-ms-request-id"] = str(uuid.uuid4())
        for echoed in ("x-ms-client-request-id", "x-ms-correlation-request-id"):
            value = request.headers.get(echoed)
            if value and len(value) <= 100:
                response[echoed] = value
        return response

    return wrapper


def no_such_operation(request, rest: str = ""):
    return error_response(
        ArmError(
            404,
            "InvalidResourceType",
            f"No operation of Microsoft.Peering 2025-05-01 answers "
            f"'{request.method} /{rest[:200]}'.",
        )
    )


_patterns, _app, _namespace = api.urls
for pattern in _patterns:
    if isinstance(pattern, URLPattern):
        pattern.callback = _stamped(pattern.callback)

urlpatterns = [
    path("", include((_patterns, _app), namespace=_namespace)),
    re_path(r"^(?P<rest>.*)$", _stamped(no_such_operation)),
]

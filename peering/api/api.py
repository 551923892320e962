"""The NinjaAPI instance: auth, the ARM error handlers, and the routers of every operation group.

django-ninja was chosen over Django REST framework: request and response shapes are pydantic
models (the same typing the domain contract uses), the OpenAPI document comes from the handlers'
signatures, and there is no second serializer layer between the JSON and the services.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from peering.api.auth import ArmAuth
from peering.api.docs import ReadableDocs
from peering.api.errors import ArmError, error_response, validation_error
from peering.api.routing import body_components
from peering.api.versions import PEERING_API_VERSION

logger = logging.getLogger(__name__)


class ArmNinjaAPI(NinjaAPI):
    """Adds the request bodies the handlers parse themselves to the OpenAPI components."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(body_components())
        return schema


api = ArmNinjaAPI(
    title="Microsoft.Peering — Peering Portal",
    version=PEERING_API_VERSION,
    description=(
        "The Azure Resource Manager API of Microsoft.Peering (api-version 2025-05-01), served "
        "by the Peering Portal so the official azure-mgmt-peering SDK drives it. Authenticate "
        "with `Authorization: Bearer <token>` (create a token on the portal's API tokens page)."
    ),
    urls_namespace="arm",
    auth=ArmAuth([PEERING_API_VERSION]),
    docs=ReadableDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _scope(request: HttpRequest) -> str:
    path = request.path
    return path[len("/arm") :] if path.startswith("/arm/") else path


@api.exception_handler(ArmError)
def _arm_error(request, exc: ArmError):
    return error_response(exc)


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    if "subscription" in str(exc).lower():
        sub = (request.resolver_match.kwargs if request.resolver_match else {}).get(
            "subscription_id", ""
        )
        return error_response(
            ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        )
    return error_response(
        ArmError(404, "ResourceNotFound", f"The resource '{_scope(request)}' was not found.")
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    who = request.user.get_username() if request.user.is_authenticated else "anonymous"
    return error_response(
        ArmError(
            403,
            "AuthorizationFailed",
            f"The client '{who}' does not have authorization to perform action "
            f"'{request.method}' over scope '{_scope(request)}': {exc or 'Reader role.'}",
        )
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    status = 409 if request.method == "DELETE" else 400
    return error_response(
        validation_error(exc, paths=getattr(request, "arm_paths", None), status=status)
    )


@api.exception_handler(IntegrityError)
def _conflict(request, exc: IntegrityError):
    return error_response(
        ArmError(409, "Conflict", "The resource changed at the same time; retry the request.")
    )


@api.exception_handler(NinjaValidationError)
def _bad_parameter(request, exc: NinjaValidationError):
    details = []
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path")]
        target = ".".join(loc) or None
        details.append({"code": "InvalidParameter", "target": target, "message": error["msg"]})
    first = details[0] if details else {"target": None, "message": "Invalid parameter."}
    return error_response(
        ArmError(
            400,
            "InvalidParameter",
            f"{first['target']}: {first['message']}" if first["target"] else first["message"],
            target=first["target"],
            details=details,
        )
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(ArmError(401, "AuthenticationFailed", "Authentication failed."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return error_response(ArmError(exc.status_code, "BadRequest", str(exc)))


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    logger.exception("Unhandled error in %s %s", request.method, request.path)
    return error_response(
        ArmError(500, "InternalServerError", "The server had an unexpected error; it was logged.")
    )


def _register() -> None:
    from peering.api.routers import (
        operations,
        peer_asns,
        peering_services,
        peerings,
        reference,
        registered,
        resources,
        unsupported,
    )

    for module in (
        operations,
        reference,
        peer_asns,
        peerings,
        registered,
        peering_services,
        unsupported,
        resources,
    ):
        api.add_router("", module.router)


_register()
